import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { calls, dailyMetrics } from '../src/db/schema'
import { newId } from '../src/lib/ids'
import { DAY_MS } from '../src/lib/time'
import { purgeClinic } from '../src/privacy/purge'
import {
  addUtcMonths,
  MAX_CALL_DAYS,
  MAX_RECORDING_DAYS,
  retentionCutoffs,
} from '../src/privacy/retention'
import { createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)
const NOW = Date.UTC(2026, 10, 23, 3, 0, 0)

describe('retention cut-offs (pure)', () => {
  it('never lets a clinic keep calls beyond 90 days or recordings beyond 12 months, nor purge today’s calls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 5000 }),
        fc.integer({ min: -1000, max: 5000 }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (callDays, recordingDays, now) => {
          const cut = retentionCutoffs(
            {
              retentionCallDays: callDays,
              retentionRecordingDays: recordingDays,
              retentionEnquiryDays: 730,
              contractEndsAt: null,
            },
            now,
          )
          expect(cut.calls).toBeGreaterThanOrEqual(now - MAX_CALL_DAYS * DAY_MS)
          expect(cut.calls).toBeLessThanOrEqual(now - DAY_MS)
          expect(cut.recordings).toBeGreaterThanOrEqual(now - MAX_RECORDING_DAYS * DAY_MS)
          expect(cut.terminated).toBeNull()
        },
      ),
    )
  })

  it('marks a clinic terminated exactly when six calendar months have passed since its contract ended', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_000_000_000_000 }),
        fc.integer({ min: -400, max: 400 }),
        (end, offsetDays) => {
          const now = end + offsetDays * DAY_MS
          const cut = retentionCutoffs(
            {
              retentionCallDays: 90,
              retentionRecordingDays: 365,
              retentionEnquiryDays: 730,
              contractEndsAt: end,
            },
            now,
          )
          expect(cut.terminated !== null).toBe(addUtcMonths(end, 6) <= now)
        },
      ),
    )
  })
})

describe('retention purge (property, against D1)', () => {
  it('for random calls and retention settings: nothing younger than the cut-off is deleted, nothing older remains, aggregates are unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 90 }),
        fc.array(fc.integer({ min: 0, max: 200 * 24 }), { minLength: 0, maxLength: 25 }),
        fc.array(
          fc.record({
            day: fc.integer({ min: 1, max: 28 }),
            inbound: fc.nat(50),
            revenue: fc.nat(100_000),
          }),
          {
            maxLength: 5,
          },
        ),
        fc.integer({ min: 1, max: 6 }),
        async (callDays, ageHours, metrics, chunkSize) => {
          const clinic = await createTestClinic({ retentionCallDays: callDays })
          const cutoff = NOW - callDays * DAY_MS
          const rows = ageHours.map((h) => ({ id: newId('call'), startedAt: NOW - h * 3_600_000 }))
          for (const r of rows) {
            await db.insert(calls).values({
              id: r.id,
              clinicId: clinic.clinicId,
              callSid: `CA${r.id}`,
              direction: 'inbound',
              callerHash: 'd'.repeat(64),
              callerKind: 'mobile',
              startedAt: r.startedAt,
              status: 'missed',
            })
          }
          const uniqueMetrics = [...new Map(metrics.map((m) => [m.day, m])).values()]
          for (const m of uniqueMetrics) {
            await db.insert(dailyMetrics).values({
              clinicId: clinic.clinicId,
              date: `2026-07-${String(m.day).padStart(2, '0')}`,
              inboundCalls: m.inbound,
              recoveredRevenuePence: m.revenue,
            })
          }
          const before = await db
            .select()
            .from(dailyMetrics)
            .where(eq(dailyMetrics.clinicId, clinic.clinicId))

          await purgeClinic(env, clinic.clinicId, NOW, { chunkSize })

          const left = new Set(
            (
              await db
                .select({ id: calls.id })
                .from(calls)
                .where(eq(calls.clinicId, clinic.clinicId))
            ).map((r) => r.id),
          )
          for (const r of rows) expect(left.has(r.id)).toBe(r.startedAt >= cutoff)
          const after = await db
            .select()
            .from(dailyMetrics)
            .where(eq(dailyMetrics.clinicId, clinic.clinicId))
          expect(after).toEqual(before)
        },
      ),
      { numRuns: 12 },
    )
  }, 60_000)
})
