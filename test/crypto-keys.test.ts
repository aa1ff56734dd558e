import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { runScheduled } from '../src/cron'
import { createDb } from '../src/db/client'
import { clinicKeys } from '../src/db/schema'
import { type Config, getConfig } from '../src/env'
import { ciphertextKeyVersion, clinicKeyring, importKek } from '../src/privacy/crypto'
import { rewrapClinicKeys, rotateClinicDataKey, shredClinicKeys } from '../src/privacy/keys'
import { createTestClinic } from './helpers/clinic'
import { captureQueue } from './helpers/queue'

const db = createDb(env.DB)
const base = getConfig(env)
const NEW_KEK = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)))

describe('data-key rotation', () => {
  it('seals new data under the new version while older ciphertexts still open', async () => {
    const clinic = await createTestClinic()
    const before = await (await clinicKeyring(db, base, clinic.clinicId)).seal('Jane Doe')
    expect(ciphertextKeyVersion(before)).toBe(1)
    expect(await rotateClinicDataKey(db, base, clinic.clinicId)).toBe(2)
    const ring = await clinicKeyring(db, base, clinic.clinicId)
    const after = await ring.seal('John Roe')
    expect(ciphertextKeyVersion(after)).toBe(2)
    expect(await ring.open(before)).toBe('Jane Doe')
    expect(await ring.open(after)).toBe('John Roe')
    const rows = await db.select().from(clinicKeys).where(eq(clinicKeys.clinicId, clinic.clinicId))
    expect(rows.find((r) => r.version === 1)?.retiredAt).not.toBeNull()
    expect(rows.find((r) => r.version === 2)?.retiredAt).toBeNull()
  })
})

describe('key-encryption-key rotation (re-wrap)', () => {
  it('re-wraps every data key from DATA_ENCRYPTION_KEY_PREVIOUS to the new key; ciphertexts keep opening', async () => {
    const clinic = await createTestClinic()
    const sealed = await (await clinicKeyring(db, base, clinic.clinicId)).seal('+447700900123')
    const rotated: Config = {
      ...base,
      dataEncryptionKey: NEW_KEK,
      dataEncryptionKeyPrevious: base.dataEncryptionKey,
    }
    // During the rotation, both keys work.
    expect(await (await clinicKeyring(db, rotated, clinic.clinicId)).open(sealed)).toBe(
      '+447700900123',
    )
    const result = await rewrapClinicKeys(db, rotated)
    expect(result.rewrapped).toBeGreaterThanOrEqual(1)
    expect(result.remaining).toBe(0)
    const newId = (await importKek(NEW_KEK)).id
    const rows = await db.select().from(clinicKeys).where(eq(clinicKeys.clinicId, clinic.clinicId))
    expect(rows.every((r) => r.kekId === newId)).toBe(true)
    // Afterwards the old key can be removed.
    const after: Config = { ...base, dataEncryptionKey: NEW_KEK, dataEncryptionKeyPrevious: null }
    expect(await (await clinicKeyring(db, after, clinic.clinicId)).open(sealed)).toBe(
      '+447700900123',
    )
    // Idempotent.
    expect((await rewrapClinicKeys(db, rotated)).rewrapped).toBe(0)
    // Put things back for the other tests in this file.
    await rewrapClinicKeys(db, { ...base, dataEncryptionKeyPrevious: NEW_KEK })
  })

  it('runs from the daily cron when DATA_ENCRYPTION_KEY_PREVIOUS is set', async () => {
    const clinic = await createTestClinic()
    const sealed = await (await clinicKeyring(db, base, clinic.clinicId)).seal('secret')
    // The cron enqueues a re-wrap job; the queue runs it.
    const queue = captureQueue({
      DATA_ENCRYPTION_KEY: NEW_KEK,
      DATA_ENCRYPTION_KEY_PREVIOUS: env.DATA_ENCRYPTION_KEY,
    })
    await runScheduled({ cron: '0 3 * * *', scheduledTime: Date.now(), noRetry() {} }, queue.env)
    expect(queue.pending.map((j) => j.type)).toContain('rewrap-keys')
    await queue.drain()
    const newId = (await importKek(NEW_KEK)).id
    const [row] = await db.select().from(clinicKeys).where(eq(clinicKeys.clinicId, clinic.clinicId))
    expect(row?.kekId).toBe(newId)
    const after: Config = { ...base, dataEncryptionKey: NEW_KEK, dataEncryptionKeyPrevious: null }
    expect(await (await clinicKeyring(db, after, clinic.clinicId)).open(sealed)).toBe('secret')
  })
})

describe('crypto-shredding', () => {
  it('makes every ciphertext of the clinic unreadable, and only that clinic’s', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const sealed = await (await clinicKeyring(db, base, clinic.clinicId)).seal('Jane, 07700 900123')
    await rotateClinicDataKey(db, base, clinic.clinicId)
    const sealedV2 = await (await clinicKeyring(db, base, clinic.clinicId)).seal('later')
    const otherSealed = await (await clinicKeyring(db, base, other.clinicId)).seal('kept')
    expect(await shredClinicKeys(db, clinic.clinicId)).toBe(2)
    const ring = await clinicKeyring(db, base, clinic.clinicId)
    await expect(ring.open(sealed)).rejects.toThrow()
    await expect(ring.open(sealedV2)).rejects.toThrow()
    expect(await (await clinicKeyring(db, base, other.clinicId)).open(otherSealed)).toBe('kept')
  })

  it('binds a ciphertext to its clinic: another clinic’s keyring cannot open it', async () => {
    const a = await createTestClinic()
    const b = await createTestClinic()
    const sealed = await (await clinicKeyring(db, base, a.clinicId)).seal('private')
    await expect((await clinicKeyring(db, base, b.clinicId)).open(sealed)).rejects.toThrow()
  })
})
