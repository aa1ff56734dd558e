/**
 * Key management on top of src/privacy/crypto.ts: re-wrapping data keys after the platform
 * key-encryption key (KEK) changes, rotating a clinic's data key, and crypto-shredding.
 *
 * - KEK rotation: deploy the new key as DATA_ENCRYPTION_KEY and the old one as
 *   DATA_ENCRYPTION_KEY_PREVIOUS. Reads keep working at once (the keyring unwraps with either),
 *   and the next cron run (or `npm run keys:rotate` locally) re-wraps every data key still under
 *   the previous KEK. When a run reports `remaining: 0`, remove DATA_ENCRYPTION_KEY_PREVIOUS.
 *   Ciphertexts themselves are not touched: only the small wrapped keys change.
 * - Data-key rotation: a new version becomes active for new writes; old versions stay (retired)
 *   so everything sealed before still opens (`rb1.<version>.…` names the key).
 * - Shredding: deleting a clinic's key rows makes every ciphertext sealed under them unreadable,
 *   wherever a copy of it survives.
 */
import { and, eq, isNull, max, ne } from 'drizzle-orm'
import type { Db } from '../db/client'
import { clinicKeys } from '../db/schema'
import type { Config } from '../env'
import { importKek, unwrapDataKey, wrapDataKey } from './crypto'

export type RewrapResult = { rewrapped: number; remaining: number }

/**
 * Re-wraps every clinic data key wrapped by DATA_ENCRYPTION_KEY_PREVIOUS under DATA_ENCRYPTION_KEY.
 * Idempotent and resumable: each row is updated on its own, guarded by its old KEK id, so a
 * crash or a concurrent run never double-wraps. Rows under an unknown KEK are left alone and
 * counted in `remaining` (they need the KEK that wrapped them).
 */
export async function rewrapClinicKeys(
  db: Db,
  config: Pick<Config, 'dataEncryptionKey' | 'dataEncryptionKeyPrevious'>,
  batchSize = 50,
): Promise<RewrapResult> {
  const current = await importKek(config.dataEncryptionKey)
  if (!config.dataEncryptionKeyPrevious) {
    return { rewrapped: 0, remaining: await countNotUnder(db, current.id) }
  }
  const previous = await importKek(config.dataEncryptionKeyPrevious)
  let rewrapped = 0
  for (;;) {
    const rows = await db
      .select()
      .from(clinicKeys)
      .where(eq(clinicKeys.kekId, previous.id))
      .limit(batchSize)
    if (rows.length === 0) break
    for (const row of rows) {
      const raw = await unwrapDataKey(previous, row.wrappedKey, row.clinicId)
      const updated = await db
        .update(clinicKeys)
        .set({ wrappedKey: await wrapDataKey(current, raw, row.clinicId), kekId: current.id })
        .where(
          and(
            eq(clinicKeys.clinicId, row.clinicId),
            eq(clinicKeys.version, row.version),
            eq(clinicKeys.kekId, previous.id),
          ),
        )
        .returning({ version: clinicKeys.version })
      rewrapped += updated.length
    }
  }
  return { rewrapped, remaining: await countNotUnder(db, current.id) }
}

async function countNotUnder(db: Db, kekId: string): Promise<number> {
  const rows = await db
    .select({ version: clinicKeys.version })
    .from(clinicKeys)
    .where(ne(clinicKeys.kekId, kekId))
  return rows.length
}

/**
 * Starts a new data-key version for a clinic: new seals use it, and older versions are retired
 * (kept, so their ciphertexts still open). Returns the new version.
 */
export async function rotateClinicDataKey(
  db: Db,
  config: Pick<Config, 'dataEncryptionKey'>,
  clinicId: string,
): Promise<number> {
  const kek = await importKek(config.dataEncryptionKey)
  const [top] = await db
    .select({ version: max(clinicKeys.version) })
    .from(clinicKeys)
    .where(eq(clinicKeys.clinicId, clinicId))
  const version = (top?.version ?? 0) + 1
  const raw = crypto.getRandomValues(new Uint8Array(32))
  // Insert first, then retire: at every instant some version is active. A concurrent rotation
  // loses the primary-key race and simply finds the winner's version active.
  await db
    .insert(clinicKeys)
    .values({ clinicId, version, wrappedKey: await wrapDataKey(kek, raw, clinicId), kekId: kek.id })
    .onConflictDoNothing()
  await db
    .update(clinicKeys)
    .set({ retiredAt: Date.now() })
    .where(
      and(
        eq(clinicKeys.clinicId, clinicId),
        isNull(clinicKeys.retiredAt),
        ne(clinicKeys.version, version),
      ),
    )
  return version
}

/**
 * Crypto-shredding: deletes every data key of the clinic. All its ciphertexts, in D1, queue
 * messages or any copy, become permanently unreadable. Returns how many key versions were
 * destroyed. (A later `clinicKeyring()` would mint a fresh key; nothing sealed before opens
 * with it, because AES-GCM authenticates the key.)
 */
export async function shredClinicKeys(db: Db, clinicId: string): Promise<number> {
  const deleted = await db
    .delete(clinicKeys)
    .where(eq(clinicKeys.clinicId, clinicId))
    .returning({ version: clinicKeys.version })
  return deleted.length
}
