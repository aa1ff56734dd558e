/**
 * The daily cron at scale (DESIGN "Fan out per clinic"): the cron only enqueues, its own D1 cost
 * does not grow with the number of clinics, every clinic gets its purge and roll-up through the
 * queue, each job stays far under D1's 1,000 queries per invocation, a huge backlog is worked off
 * by a job that re-enqueues itself, duplicates change nothing, and one clinic's failure blocks
 * no other.
 */
import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../src/index'
import { FANOUT_PAGE, JOB_STATEMENT_BUDGET, runDateOf } from '../src/jobs/daily'
import type { ClinicPurgeJob, JobMessage } from '../src/jobs/messages'
import { DAY_MS } from '../src/lib/time'
import { api, createTestClinic } from './helpers/clinic'
import { type CapturedQueue, captureQueue } from './helpers/queue'

const NOW = Date.UTC(2026, 10, 23, 3, 0, 0)

/** Adds clinics `<prefix>0000…` straight in D1: one statement per hundred clinics. */
async function insertClinics(prefix: string, from: number, to: number): Promise<void> {
  const statements: D1PreparedStatement[] = []
  for (let start = from; start < to; start += 100) {
    const end = Math.min(to, start + 100)
    statements.push(
      env.DB.prepare(
        `WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2)
         INSERT INTO clinics (id, name) SELECT ?3 || printf('%04d', i), 'Clinic ' || i FROM n`,
      ).bind(start, end, prefix),
    )
  }
  await env.DB.batch(statements)
}

/** One call 100 days old and one a day old for every clinic whose id starts with `prefix`. */
async function insertCallsFor(prefix: string): Promise<void> {
  const insert = (label: string, at: number) =>
    env.DB.prepare(
      `INSERT INTO calls (id, clinic_id, call_sid, direction, caller_hash, caller_kind, started_at, status)
       SELECT 'call_' || ?1 || '_' || id, id, 'CA' || ?1 || id, 'inbound', ?2, 'mobile', ?3, 'missed'
       FROM clinics WHERE id LIKE ?4 || '%'`,
    ).bind(label, 'a'.repeat(64), at, prefix)
  await env.DB.batch([insert('old', NOW - 100 * DAY_MS), insert('new', NOW - DAY_MS)])
}

async function runCron(queue: CapturedQueue, scheduledTime: number): Promise<number> {
  const before = queue.statements()
  const ctx = createExecutionContext()
  await worker.scheduled(
    createScheduledController({ cron: '0 3 * * *', scheduledTime }),
    queue.env,
    ctx,
  )
  await waitOnExecutionContext(ctx)
  return queue.statements() - before
}

async function count(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>()
  return row?.n ?? 0
}

describe('the daily cron fans out per clinic', () => {
  it('costs the cron the same D1 statements for 30 and 300 clinics, and every one of 300 gets its purge and roll-up', async () => {
    const prefix = 'cln_fan_'
    await insertClinics(prefix, 0, 30)
    const small = captureQueue()
    const statementsFor30 = await runCron(small, NOW)
    const enqueuedFor30 = small.pending.length

    await insertClinics(prefix, 30, 300)
    await insertCallsFor(prefix)
    const queue = captureQueue()
    const statementsFor300 = await runCron(queue, NOW)
    // Bounded: the cron issues no D1 statement at all, and enqueues the same few jobs.
    expect(statementsFor300).toBe(statementsFor30)
    expect(statementsFor300).toBe(0)
    expect(queue.pending.length).toBe(enqueuedFor30)
    expect(queue.pending.map((j) => j.type).sort()).toEqual([
      'cron-fanout',
      'platform-housekeeping',
    ])

    // Drain one job per invocation, so each job's own D1 statements are measured.
    const perJob: Record<string, number[]> = {}
    await queue.drain({
      batchSize: 1,
      onBatch: ([job], statements) => {
        const type = (job as JobMessage).type
        perJob[type] ??= []
        perJob[type].push(statements)
      },
    })
    const clinicCount = await count('SELECT COUNT(*) AS n FROM clinics')
    expect(clinicCount).toBeGreaterThanOrEqual(300)
    // Every clinic got exactly one purge and one roll-up, from fan-out pages of FANOUT_PAGE.
    expect(perJob['clinic-purge']).toHaveLength(clinicCount)
    expect(perJob['clinic-rollup']).toHaveLength(clinicCount)
    expect(perJob['cron-fanout']).toHaveLength(Math.floor(clinicCount / FANOUT_PAGE) + 1)
    const purged = new Set(
      queue.sent
        .filter((j) => j.type === 'clinic-purge')
        .map((j) => (j as ClinicPurgeJob).clinicId),
    )
    expect(purged.size).toBe(clinicCount)

    // Each job stays far under the 1,000 queries of an invocation (ten share one batch).
    for (const [type, counts] of Object.entries(perJob)) {
      expect(Math.max(...counts), type).toBeLessThanOrEqual(JOB_STATEMENT_BUDGET)
    }
    expect(Math.max(...(perJob['clinic-purge'] ?? []))).toBeLessThan(100)

    // The effects, for all 300: the old call purged, the young one kept, one summary line each,
    // and yesterday's metrics rolled up.
    const like = `${prefix}%`
    expect(await count('SELECT COUNT(*) AS n FROM calls WHERE clinic_id LIKE ?', like)).toBe(300)
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM calls WHERE clinic_id LIKE ? AND started_at < ?',
        like,
        NOW - 90 * DAY_MS,
      ),
    ).toBe(0)
    expect(
      await count(
        "SELECT COUNT(DISTINCT clinic_id) AS n FROM purge_runs WHERE clinic_id LIKE ? AND job = 'all' AND ran_at = ?",
        like,
        NOW,
      ),
    ).toBe(300)
    expect(
      await count(
        'SELECT COUNT(DISTINCT clinic_id) AS n FROM daily_metrics WHERE clinic_id LIKE ? AND date = ? AND inbound_calls = 1',
        like,
        runDateOf(NOW - DAY_MS),
      ),
    ).toBe(300)
  }, 240_000)
})

describe('a clinic purge job', () => {
  it('stops at its statement budget with a huge backlog, re-enqueues itself, and the continuation finishes the run', async () => {
    const clinic = await createTestClinic()
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
       INSERT INTO calls (id, clinic_id, call_sid, direction, caller_hash, caller_kind, started_at, status, recording_key)
       SELECT 'call_bulk_' || i, ?1, 'CAbulk' || i, 'inbound', ?2, 'mobile', ?3, 'voicemail', ?1 || '/rec/' || i || '.wav' FROM n`,
    )
      .bind(clinic.clinicId, 'b'.repeat(64), NOW - 120 * DAY_MS)
      .run()
    const queue = captureQueue()
    const job: ClinicPurgeJob = {
      type: 'clinic-purge',
      clinicId: clinic.clinicId,
      runAt: NOW,
      runDate: runDateOf(NOW),
      resume: null,
    }
    queue.pending.push(job)
    const perInvocation: number[] = []
    await queue.drain({ batchSize: 1, onBatch: (_jobs, n) => perInvocation.push(n) })

    // 3,000 recordings at 90 per chunk cannot fit one budget: the job continued itself.
    const continuations = queue.sent.filter(
      (j): j is ClinicPurgeJob => j.type === 'clinic-purge' && j.resume !== null,
    )
    expect(continuations.length).toBeGreaterThan(0)
    expect(perInvocation.length).toBe(continuations.length + 1)
    for (const n of perInvocation) expect(n).toBeLessThanOrEqual(JOB_STATEMENT_BUDGET)
    expect(
      await count('SELECT COUNT(*) AS n FROM calls WHERE clinic_id = ?', clinic.clinicId),
    ).toBe(0)
    // One receipt for the calls job across every invocation, its counts adding up.
    const receipts = await env.DB.prepare(
      'SELECT job, status, deleted_json AS deleted FROM purge_runs WHERE clinic_id = ? ORDER BY job',
    )
      .bind(clinic.clinicId)
      .all<{ job: string; status: string; deleted: string }>()
    expect(receipts.results.map((r) => [r.job, r.status])).toEqual([
      ['all', 'completed'],
      ['calls', 'completed'],
    ])
    const calls = JSON.parse(receipts.results[1]?.deleted ?? '{}')
    expect(calls).toMatchObject({ recordings: 3000, calls: 3000 })
    expect(JSON.parse(receipts.results[0]?.deleted ?? '{}')).toMatchObject({
      recordings: 3000,
      calls: 3000,
    })
  }, 120_000)

  it('is idempotent: a duplicate or redelivered job for the same clinic and date changes nothing', async () => {
    const clinic = await createTestClinic()
    await env.DB.prepare(
      `INSERT INTO calls (id, clinic_id, call_sid, direction, caller_hash, caller_kind, started_at, status)
       VALUES (?1, ?2, ?1, 'inbound', ?3, 'mobile', ?4, 'missed')`,
    )
      .bind('call_dup_1', clinic.clinicId, 'c'.repeat(64), NOW - 95 * DAY_MS)
      .run()
    const job: ClinicPurgeJob = {
      type: 'clinic-purge',
      clinicId: clinic.clinicId,
      runAt: NOW,
      runDate: runDateOf(NOW),
      resume: null,
    }
    const receipts = () =>
      env.DB.prepare('SELECT * FROM purge_runs WHERE clinic_id = ? ORDER BY id')
        .bind(clinic.clinicId)
        .all()
        .then((r) => r.results)
    const queue = captureQueue()
    queue.pending.push(job)
    await queue.drain()
    const first = await receipts()
    expect(first.map((r) => r.job).sort()).toEqual(['all', 'calls'])

    // The same job again, twice in one batch (a duplicate and a redelivery).
    const before = queue.statements()
    queue.pending.push(job, { ...job })
    await queue.drain()
    expect(await receipts()).toEqual(first)
    // Each duplicate only looked up the run's summary line.
    expect(queue.statements() - before).toBe(2)
  })

  it('writes one summary line with empty counts when nothing is due, and the purges list shows it', async () => {
    const clinic = await createTestClinic()
    const queue = captureQueue()
    queue.pending.push({
      type: 'clinic-purge',
      clinicId: clinic.clinicId,
      runAt: NOW,
      runDate: runDateOf(NOW),
      resume: null,
    })
    await queue.drain()
    const owner = await clinic.as('owner')
    const res = await api('GET', '/api/v1/privacy/purges', undefined, owner.headers)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      items: [
        {
          job: 'all',
          ranAt: '2026-11-23T03:00:00Z',
          cutoff: '2026-08-25T03:00:00Z',
          deleted: {},
          status: 'completed',
        },
      ],
      nextCursor: null,
    })
  })

  it('one clinic’s failure blocks no other: its job is retried, the others finish', async () => {
    const ok = await createTestClinic()
    const broken = await createTestClinic()
    // A D1 that fails every statement bound to the broken clinic.
    const failing = new Proxy(env.DB, {
      get(target, prop) {
        if (prop !== 'prepare') return Reflect.get(target, prop).bind(target)
        return (query: string) => {
          const stmt = target.prepare(query)
          return new Proxy(stmt, {
            get(s, p) {
              if (p !== 'bind') return Reflect.get(s, p).bind(s)
              return (...values: unknown[]) => {
                if (values.includes(broken.clinicId)) throw new Error('D1_ERROR: injected')
                return s.bind(...values)
              }
            },
          })
        }
      },
    })
    const queue = captureQueue({ DB: failing })
    const base = { runAt: NOW, runDate: runDateOf(NOW), resume: null }
    queue.pending.push(
      { type: 'clinic-purge', clinicId: broken.clinicId, ...base },
      { type: 'clinic-purge', clinicId: ok.clinicId, ...base },
    )
    const retried = await queue.drain({ allowRetries: true })
    expect(retried.map((j) => (j as ClinicPurgeJob).clinicId)).toEqual([broken.clinicId])
    expect(
      await count(
        "SELECT COUNT(*) AS n FROM purge_runs WHERE clinic_id = ? AND job = 'all'",
        ok.clinicId,
      ),
    ).toBe(1)
    expect(
      await count('SELECT COUNT(*) AS n FROM purge_runs WHERE clinic_id = ?', broken.clinicId),
    ).toBe(0)
  })
})

describe('platform housekeeping', () => {
  it('keeps purge receipts 7 years, dead-letter records 90 days, unmatched early recordings and spent sign-in counters a day', async () => {
    const clinic = await createTestClinic()
    const sevenYearsAgo = Date.UTC(2019, 10, 23, 3, 0, 0)
    const insertReceipt = (id: string, at: number) =>
      env.DB.prepare(
        `INSERT INTO purge_runs (id, clinic_id, job, ran_at, cutoff, deleted_json, status)
         VALUES (?, ?, 'calls', ?, ?, '{"calls":1}', 'completed')`,
      ).bind(id, clinic.clinicId, at, at)
    const insertFailure = (id: string, at: number) =>
      env.DB.prepare(
        `INSERT INTO job_failures (id, clinic_id, job_type, ref, first_failed_at, last_failed_at, count)
         VALUES (?, ?, 'text-back', 'call:x', ?, ?, 1)`,
      ).bind(id, clinic.clinicId, at, at)
    await env.DB.batch([
      // Early recording callbacks whose call never came: kept a day, then gone.
      env.DB.prepare(
        `INSERT INTO pending_recordings (recording_sid, call_sid, seconds, received_at)
         VALUES ('RE_stale', 'CA_never', 12, ?), ('RE_fresh', 'CA_soon', 9, ?)`,
      ).bind(NOW - DAY_MS - 1, NOW - 60_000),
      env.DB.prepare(
        `INSERT INTO login_throttle (key, failures, window_started_at, locked_until)
         VALUES ('pair:spent', 3, ?, NULL), ('pair:locked', 5, ?, ?), ('pair:fresh', 1, ?, NULL)`,
      ).bind(NOW - 2 * DAY_MS, NOW - 2 * DAY_MS, NOW + 60_000, NOW - 60_000),
      insertReceipt('prg_too_old', sevenYearsAgo - DAY_MS),
      insertReceipt('prg_kept', sevenYearsAgo + DAY_MS),
      insertFailure('jf_too_old', NOW - 91 * DAY_MS),
      insertFailure('jf_kept', NOW - 89 * DAY_MS),
    ])
    const queue = captureQueue()
    queue.pending.push({
      type: 'platform-housekeeping',
      runAt: NOW,
      runDate: runDateOf(NOW),
      resume: null,
    })
    await queue.drain()
    const ids = async (table: string) =>
      (
        await env.DB.prepare(`SELECT id FROM ${table} WHERE clinic_id = ? ORDER BY id`)
          .bind(clinic.clinicId)
          .all<{ id: string }>()
      ).results.map((r) => r.id)
    expect(await ids('purge_runs')).toEqual(['prg_kept'])
    expect(await ids('job_failures')).toEqual(['jf_kept'])
    const pending = await env.DB.prepare(
      'SELECT recording_sid AS sid FROM pending_recordings ORDER BY recording_sid',
    ).all<{ sid: string }>()
    expect(pending.results.map((r) => r.sid)).toEqual(['RE_fresh'])
    // Throttle counters go once their window is a day old, unless a lock is still running.
    const throttles = await env.DB.prepare('SELECT key FROM login_throttle ORDER BY key').all<{
      key: string
    }>()
    expect(throttles.results.map((r) => r.key)).toEqual(['pair:fresh', 'pair:locked'])
  })
})
