import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { seedDemoClinic } from '../src/demo/seed'
import worker from '../src/index'
import { DAY_MS } from '../src/lib/time'
import { captureQueue } from './helpers/queue'

type MonthTotals = Record<string, { inbound: number; revenue: number }>

async function monthTotals(clinicId: string): Promise<MonthTotals> {
  const rows = await env.DB.prepare(
    'SELECT substr(date, 1, 7) AS month, SUM(inbound_calls) AS inbound, SUM(recovered_revenue_pence) AS revenue FROM daily_metrics WHERE clinic_id = ? GROUP BY month',
  )
    .bind(clinicId)
    .all<{ month: string; inbound: number; revenue: number }>()
  return Object.fromEntries(
    rows.results.map((r) => [r.month, { inbound: r.inbound, revenue: r.revenue }]),
  )
}

describe('retention on the demo clinic (CONTRACT "Privacy")', () => {
  it('the first 03:00 run deletes the calls older than 90 days of the 120 seeded, and leaves the monthly metrics in place', async () => {
    const now = Date.now()
    const seeded = await seedDemoClinic(env, now)
    const clinicId = seeded.clinicId
    const oldest = await env.DB.prepare(
      'SELECT MIN(started_at) AS t FROM calls WHERE clinic_id = ?',
    )
      .bind(clinicId)
      .first<{ t: number }>()
    expect(oldest?.t).toBeLessThan(now - 100 * DAY_MS)
    const before = await monthTotals(clinicId)
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(4)

    // The cron fans out through the queue: run it, then drain what it enqueued.
    const queue = captureQueue()
    const ctx = createExecutionContext()
    await worker.scheduled(
      createScheduledController({ cron: '0 3 * * *', scheduledTime: now }),
      queue.env,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    await queue.drain()

    const left = await env.DB.prepare(
      'SELECT COUNT(*) AS n, MIN(started_at) AS t FROM calls WHERE clinic_id = ?',
    )
      .bind(clinicId)
      .first<{ n: number; t: number }>()
    expect(left?.n).toBeGreaterThan(0)
    expect(left?.t).toBeGreaterThanOrEqual(now - 90 * DAY_MS)
    const receipt = await env.DB.prepare(
      "SELECT deleted_json FROM purge_runs WHERE clinic_id = ? AND job = 'calls'",
    )
      .bind(clinicId)
      .first<{ deleted_json: string }>()
    expect(JSON.parse(receipt?.deleted_json ?? '{}').calls).toBeGreaterThan(0)
    // The months whose calls are gone keep their totals (the roll-up does not recompute them).
    const after = await monthTotals(clinicId)
    for (const [month, totals] of Object.entries(before))
      expect(after[month], month).toEqual(totals)
  }, 60_000)
})
