/**
 * The KEK re-wrap as a queue job: bounded like every daily job. With more keys than one budget
 * covers, it stops at the budget, re-enqueues itself, and the continuations finish the rotation.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { getConfig } from '../src/env'
import { JOB_STATEMENT_BUDGET, runDateOf } from '../src/jobs/daily'
import { clinicKeyring, importKek } from '../src/privacy/crypto'
import { captureQueue } from './helpers/queue'

const NEW_KEK = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)))

describe('the rewrap-keys job', () => {
  it('re-wraps more keys than one budget covers, continuing itself, each invocation within the budget', async () => {
    const db = createDb(env.DB)
    const config = getConfig(env)
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150)
       INSERT INTO clinics (id, name) SELECT 'cln_rewrap_' || printf('%04d', i), 'Clinic ' || i FROM n`,
    ).run()
    const ids = (
      await env.DB.prepare("SELECT id FROM clinics WHERE id LIKE 'cln_rewrap_%'").all<{
        id: string
      }>()
    ).results.map((r) => r.id)
    for (const id of ids) await clinicKeyring(db, config, id)
    const sealed = await (await clinicKeyring(db, config, ids[0] as string)).seal('kept')

    const queue = captureQueue({
      DATA_ENCRYPTION_KEY: NEW_KEK,
      DATA_ENCRYPTION_KEY_PREVIOUS: env.DATA_ENCRYPTION_KEY,
    })
    const at = Date.UTC(2026, 10, 23, 3)
    queue.pending.push({ type: 'rewrap-keys', runAt: at, runDate: runDateOf(at) })
    const perInvocation: number[] = []
    await queue.drain({ batchSize: 1, onBatch: (_jobs, n) => perInvocation.push(n) })

    expect(perInvocation.length).toBeGreaterThan(1)
    for (const n of perInvocation) expect(n).toBeLessThanOrEqual(JOB_STATEMENT_BUDGET)
    const newId = (await importKek(NEW_KEK)).id
    const left = await env.DB.prepare('SELECT COUNT(*) AS n FROM clinic_keys WHERE kek_id != ?')
      .bind(newId)
      .first<{ n: number }>()
    expect(left?.n).toBe(0)
    const rotated = { ...config, dataEncryptionKey: NEW_KEK, dataEncryptionKeyPrevious: null }
    expect(await (await clinicKeyring(db, rotated, ids[0] as string)).open(sealed)).toBe('kept')
  }, 60_000)
})
