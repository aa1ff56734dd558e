/**
 * The budgeted purge for every backlog, chunk size and budget (fast-check): a run cut into slices
 * by a statement budget keeps every slice within it, always makes progress, and ends exactly where
 * an uninterrupted run would — everything due deleted, nothing younger touched, one receipt whose
 * counts add up.
 */
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Bindings } from '../src/env'
import { countStatements } from '../src/lib/statement-budget'
import { DAY_MS } from '../src/lib/time'
import { type PurgeCursor, planClinicPurge, runPurgeJobs } from '../src/privacy/purge'
import { createTestClinic } from './helpers/clinic'

const NOW = Date.UTC(2026, 10, 23, 3, 0, 0)

async function insertCalls(clinicId: string, label: string, n: number, at: number, rec: boolean) {
  if (n === 0) return
  await env.DB.prepare(
    `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?1)
     INSERT INTO calls (id, clinic_id, call_sid, direction, caller_hash, caller_kind, started_at, status, recording_key)
     SELECT 'call_' || ?2 || '_' || ?3 || i, ?2, 'CA' || ?3 || i, 'inbound', ?4, 'mobile', ?5, 'voicemail',
            CASE WHEN ?6 THEN ?2 || '/rec/' || ?3 || i ELSE NULL END FROM k`,
  )
    .bind(n, clinicId, label, 'e'.repeat(64), at, rec ? 1 : 0)
    .run()
}

describe('a purge cut into slices by a statement budget', () => {
  it('stays within every budget, always progresses, and deletes exactly what is due', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 250 }),
        fc.integer({ min: 0, max: 10 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 15, max: 60 }),
        async (old, young, recorded, chunkSize, budget) => {
          const clinic = await createTestClinic()
          await insertCalls(clinic.clinicId, 'old', old, NOW - 120 * DAY_MS, recorded)
          await insertCalls(clinic.clinicId, 'young', young, NOW - 2 * DAY_MS, recorded)
          let cursor: PurgeCursor | null = null
          let slices = 0
          do {
            const counted = countStatements(env.DB)
            const sliceEnv = { ...env, DB: counted.db } as Bindings
            const plan = await planClinicPurge(sliceEnv, clinic.clinicId, NOW)
            const slice = await runPurgeJobs(
              sliceEnv,
              plan?.jobs ?? [],
              NOW,
              { chunkSize, budget: { limit: budget, spent: counted.count } },
              cursor,
            )
            expect(counted.count()).toBeLessThanOrEqual(budget)
            cursor = slice.next
            slices++
            expect(slices).toBeLessThan(2000)
          } while (cursor !== null)

          const left = await env.DB.prepare(
            'SELECT COUNT(*) AS n, MIN(started_at) AS oldest FROM calls WHERE clinic_id = ?',
          )
            .bind(clinic.clinicId)
            .first<{ n: number; oldest: number | null }>()
          expect(left?.n).toBe(young)
          if (young > 0) expect(left?.oldest).toBe(NOW - 2 * DAY_MS)
          const receipts = await env.DB.prepare(
            "SELECT status, deleted_json AS d FROM purge_runs WHERE clinic_id = ? AND job = 'calls'",
          )
            .bind(clinic.clinicId)
            .all<{ status: string; d: string }>()
          if (old === 0) {
            expect(receipts.results).toEqual([])
          } else {
            expect(receipts.results).toHaveLength(1)
            expect(receipts.results[0]?.status).toBe('completed')
            const counts = JSON.parse(receipts.results[0]?.d ?? '{}')
            expect(counts.calls).toBe(old)
            expect(counts.recordings).toBe(recorded ? old : 0)
          }
        },
      ),
      { numRuns: 15 },
    )
  }, 120_000)
})
