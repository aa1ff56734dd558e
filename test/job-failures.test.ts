/**
 * Dead letters reach a human: every job type's dead letter is recorded in job_failures (ids and
 * counts only) and listed at GET /api/v1/jobs/failures; a clinic's owners and admins get at most
 * one alert email an hour; an email's own dead letter is recorded, never emailed about; platform
 * jobs are logged at error level; and the dead-letter handler's own failures are retried, then
 * logged, with the record written first.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createDb } from '../src/db/client'
import type { Bindings } from '../src/env'
import { getConfig } from '../src/env'
import worker from '../src/index'
import { createConsumer, DLQ_MAX_ATTEMPTS, DLQ_NAME, PermanentJobError } from '../src/jobs/consumer'
import { jobHandlers } from '../src/jobs/handlers'
import type { EmailJob, JobMessage } from '../src/jobs/messages'
import { HOUR_MS } from '../src/lib/time'
import { clinicKeyring } from '../src/privacy/crypto'
import { api, createTestClinic, type TestClinic } from './helpers/clinic'
import { captureQueue } from './helpers/queue'

const db = createDb(env.DB)
const RUN = { runAt: Date.UTC(2026, 10, 23, 3), runDate: '2026-11-23' }

type Failure = {
  id: string
  jobType: string
  ref: string
  count: number
  firstFailedAt: string
  lastFailedAt: string
  resolvedAt: string | null
}

let seq = 0
async function deadLetter(testEnv: Bindings, job: JobMessage, id = `dlq-${++seq}`, attempts = 1) {
  const batch = createMessageBatch<JobMessage>(DLQ_NAME, [
    { id, timestamp: new Date(), attempts, body: job },
  ])
  const ctx = createExecutionContext()
  await worker.queue(batch, testEnv)
  return getQueueResult(batch, ctx)
}

function textBack(clinicId: string, callId = `call_${++seq}`): JobMessage {
  return { type: 'text-back', clinicId, callId, outboxId: `out_${seq}`, toSealed: 'rb1.1.x.y' }
}

async function failuresOf(clinicId: string) {
  return env.DB.prepare('SELECT * FROM job_failures WHERE clinic_id = ? ORDER BY job_type, ref')
    .bind(clinicId)
    .all<Record<string, unknown>>()
    .then((r) => r.results)
}

/** The recipients of the alert emails queued, opened with the clinic's key. */
async function alertRecipients(clinicId: string, jobs: JobMessage[]): Promise<string[]> {
  const ring = await clinicKeyring(db, getConfig(env), clinicId)
  const emails = jobs.filter(
    (j): j is EmailJob =>
      j.type === 'email' && j.clinicId === clinicId && j.idempotencyKey.startsWith('job-failures:'),
  )
  const out: string[] = []
  for (const e of emails) out.push((JSON.parse(await ring.open(e.sealed)) as { to: string }).to)
  return out.sort()
}

async function withStaff(clinic: TestClinic) {
  const owner = await clinic.as('owner')
  const admin = await clinic.as('admin')
  const receptionist = await clinic.as('receptionist')
  return { owner, admin, receptionist }
}

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('a dead-lettered text-back', () => {
  it('is recorded without personal data, listed for owners and admins, and emailed to them (not to other roles)', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const { owner, admin, receptionist } = await withStaff(clinic)
    const queue = captureQueue()
    const job = textBack(clinic.clinicId, 'call_01TEXTBACK')

    const result = await deadLetter(queue.env, job)
    expect(result.explicitAcks).toHaveLength(1)

    const rows = await failuresOf(clinic.clinicId)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ job_type: 'text-back', ref: 'call:call_01TEXTBACK', count: 1 })
    expect(JSON.stringify(rows)).not.toContain('rb1.1.x.y')
    expect(await alertRecipients(clinic.clinicId, queue.pending)).toEqual(
      [owner.email, admin.email].sort(),
    )
    expect(await alertRecipients(clinic.clinicId, queue.pending)).not.toContain(receptionist.email)

    const res = await api('GET', '/api/v1/jobs/failures', undefined, owner.headers)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { items: Failure[]; nextCursor: string | null }
    expect(body.nextCursor).toBeNull()
    expect(body.items).toEqual([
      {
        id: expect.stringMatching(/^jf_/),
        jobType: 'text-back',
        ref: 'call:call_01TEXTBACK',
        count: 1,
        firstFailedAt: expect.any(String),
        lastFailedAt: expect.any(String),
        resolvedAt: null,
      },
    ])
    const analyst = await clinic.as('analyst')
    expect((await api('GET', '/api/v1/jobs/failures', undefined, analyst.headers)).status).toBe(403)
    const otherOwner = await other.as('owner')
    const seen = (await (
      await api('GET', '/api/v1/jobs/failures', undefined, otherOwner.headers)
    ).json()) as { items: Failure[] }
    expect(seen.items).toEqual([])

    // The alert, drained through the queue, goes out through the one email interface.
    await queue.drain()
    const sent = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM outbound_messages WHERE clinic_id = ? AND kind = 'email' AND dedupe_key LIKE 'email:job-failures:%'",
    )
      .bind(clinic.clinicId)
      .first<{ n: number }>()
    expect(sent?.n).toBe(2)
  })

  it('sends at most one alert per clinic per hour, however many jobs fail; the next hour alerts again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.UTC(2026, 10, 23, 9, 5))
    const clinic = await createTestClinic()
    const { owner, admin } = await withStaff(clinic)
    const queue = captureQueue()
    for (let i = 0; i < 50; i++) await deadLetter(queue.env, textBack(clinic.clinicId))
    expect(await failuresOf(clinic.clinicId)).toHaveLength(50)
    expect(await alertRecipients(clinic.clinicId, queue.pending)).toEqual(
      [owner.email, admin.email].sort(),
    )

    vi.setSystemTime(Date.UTC(2026, 10, 23, 9, 5) + HOUR_MS)
    await deadLetter(queue.env, textBack(clinic.clinicId))
    const alerts = queue.pending.filter(
      (j) => j.type === 'email' && j.idempotencyKey.startsWith('job-failures:'),
    ) as EmailJob[]
    expect(alerts).toHaveLength(4)
    // One idempotency key per clinic, hour and recipient.
    expect(new Set(alerts.map((a) => a.idempotencyKey)).size).toBe(4)
  })

  it('counts a redelivered dead letter once, and a new failure of the same job again', async () => {
    const clinic = await createTestClinic()
    const queue = captureQueue()
    const job = textBack(clinic.clinicId, 'call_01REDELIVER')
    await deadLetter(queue.env, job, 'same-message')
    await deadLetter(queue.env, job, 'same-message', 2)
    expect((await failuresOf(clinic.clinicId))[0]).toMatchObject({ count: 1 })
    await deadLetter(queue.env, job, 'another-message')
    expect((await failuresOf(clinic.clinicId))[0]).toMatchObject({ count: 2 })
  })
})

describe('every job type’s dead letter is recorded with a safe reference', () => {
  it('recording copies, attribution events, and the daily jobs', async () => {
    const clinic = await createTestClinic()
    await withStaff(clinic)
    const queue = captureQueue()
    const id = clinic.clinicId
    const jobs: JobMessage[] = [
      { type: 'recording-copy', clinicId: id, callId: 'call_REC', recordingSid: 'RE1', key: 'k' },
      {
        type: 'attribution',
        clinicId: id,
        event: { kind: 'callback', callId: 'call_CB', callerHash: 'f'.repeat(64), at: 1 },
      },
      {
        type: 'attribution',
        clinicId: id,
        event: { kind: 'text-back-reply', messageId: 'in_R', callerHash: 'f'.repeat(64), at: 1 },
      },
      { type: 'clinic-purge', clinicId: id, ...RUN, resume: { job: 0, step: 3 } },
      { type: 'clinic-rollup', clinicId: id, ...RUN },
    ]
    for (const job of jobs) expect((await deadLetter(queue.env, job)).explicitAcks).toHaveLength(1)
    const rows = await failuresOf(id)
    expect(rows.map((r) => [r.job_type, r.ref])).toEqual([
      ['attribution', 'call:call_CB'],
      ['attribution', 'message:in_R'],
      ['clinic-purge', 'run:2026-11-23'],
      ['clinic-rollup', 'run:2026-11-23'],
      ['recording-copy', 'call:call_REC'],
    ])
    for (const r of rows) expect(JSON.stringify(r)).not.toContain('f'.repeat(64))
  })

  it('an email’s own dead letter is recorded but never emailed about (no loop)', async () => {
    const clinic = await createTestClinic()
    await withStaff(clinic)
    const queue = captureQueue()
    const email: EmailJob = {
      type: 'email',
      clinicId: clinic.clinicId,
      idempotencyKey: 'password-reset:0123456789abcdef0123456789abcdef',
      subject: 'Reset your password',
      sealed: 'rb1.1.x.y',
    }
    await deadLetter(queue.env, email)
    const rows = await failuresOf(clinic.clinicId)
    expect(rows).toHaveLength(1)
    expect(rows[0]?.ref).toMatch(/^email:password-reset:[0-9a-f]{16}$/)
    expect(String(rows[0]?.ref)).not.toContain('0123456789abcdef0123456789abcdef')
    expect(queue.pending).toEqual([])
  })

  it('a platform job (no clinic) is logged at error level and recorded with no clinic, no email', async () => {
    const errors: string[] = []
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => errors.push(String(line)))
    const queue = captureQueue()
    await deadLetter(queue.env, { type: 'rewrap-keys', ...RUN })
    await deadLetter(queue.env, { type: 'cron-fanout', ...RUN, after: 'cln_x' })
    const rows = await env.DB.prepare(
      "SELECT job_type, ref FROM job_failures WHERE clinic_id IS NULL AND ref LIKE 'run:2026-11-23%' ORDER BY job_type",
    ).all()
    expect(rows.results).toEqual([
      { job_type: 'cron-fanout', ref: 'run:2026-11-23:after:cln_x' },
      { job_type: 'rewrap-keys', ref: 'run:2026-11-23' },
    ])
    const logged = errors.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'platform job dead-lettered',
        type: 'rewrap-keys',
        ref: 'run:2026-11-23',
      }),
    )
    expect(queue.pending).toEqual([])
  })

  it('a permanent failure on the main queue is dead at once: recorded and alerted, not retried', async () => {
    const clinic = await createTestClinic()
    const { owner } = await withStaff(clinic)
    const queue = captureQueue()
    const consume = createConsumer({
      ...jobHandlers,
      'recording-copy': {
        run: async () => {
          throw new PermanentJobError('gone')
        },
        deadLetter: async () => {},
      },
    })
    const batch = createMessageBatch<JobMessage>('ringback-jobs', [
      {
        id: 'perm-1',
        timestamp: new Date(),
        attempts: 1,
        body: {
          type: 'recording-copy',
          clinicId: clinic.clinicId,
          callId: 'call_PERM',
          recordingSid: 'RE2',
          key: 'k',
        },
      },
    ])
    const ctx = createExecutionContext()
    await consume(batch, queue.env)
    const result = await getQueueResult(batch, ctx)
    expect(result.explicitAcks).toEqual(['perm-1'])
    expect(result.retryMessages).toEqual([])
    expect((await failuresOf(clinic.clinicId))[0]).toMatchObject({ ref: 'call:call_PERM' })
    expect(await alertRecipients(clinic.clinicId, queue.pending)).toContain(owner.email)
  })
})

describe('when the dead-letter handler itself fails', () => {
  it('writes the record first, retries, and on the last attempt logs the job type and safe ids', async () => {
    const clinic = await createTestClinic()
    await withStaff(clinic)
    const errors: string[] = []
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => errors.push(String(line)))
    const queue = captureQueue()
    // The queue refuses every message: the alert email cannot be queued.
    const broken = {
      ...queue.env,
      JOBS: {
        send: async () => {
          throw new Error('queue unavailable')
        },
        sendBatch: async () => {
          throw new Error('queue unavailable')
        },
      },
    } as unknown as Bindings
    const job = textBack(clinic.clinicId, 'call_01NOQUEUE')

    const first = await deadLetter(broken, job, 'dlq-broken', 1)
    expect(first.explicitAcks).toEqual([])
    expect(first.retryMessages.map((m) => m.msgId)).toEqual(['dlq-broken'])
    // Visible even though no email could be queued.
    expect(await failuresOf(clinic.clinicId)).toMatchObject([
      { ref: 'call:call_01NOQUEUE', count: 1 },
    ])

    const last = await deadLetter(broken, job, 'dlq-broken', DLQ_MAX_ATTEMPTS)
    expect(last.explicitAcks).toEqual(['dlq-broken'])
    expect(last.retryMessages).toEqual([])
    const logged = errors.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'dead letter dropped',
        type: 'text-back',
        clinicId: clinic.clinicId,
        ref: 'call:call_01NOQUEUE',
      }),
    )
    // The redelivered message still counts once.
    expect((await failuresOf(clinic.clinicId))[0]).toMatchObject({ count: 1 })
  })
})

describe('GET /api/v1/jobs/failures and resolving', () => {
  it('pages with {items, nextCursor}, rejects bad input with 4xx, and resolves only the clinic’s own records', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const { owner } = await withStaff(clinic)
    const queue = captureQueue()
    for (let i = 0; i < 3; i++) await deadLetter(queue.env, textBack(clinic.clinicId))
    await deadLetter(queue.env, textBack(other.clinicId, 'call_OTHER'))

    const page = (await (
      await api('GET', '/api/v1/jobs/failures?limit=2', undefined, owner.headers)
    ).json()) as { items: Failure[]; nextCursor: string }
    expect(page.items).toHaveLength(2)
    const rest = (await (
      await api(
        'GET',
        `/api/v1/jobs/failures?limit=2&cursor=${page.nextCursor}`,
        undefined,
        owner.headers,
      )
    ).json()) as { items: Failure[]; nextCursor: string | null }
    expect(rest.items).toHaveLength(1)
    expect(rest.nextCursor).toBeNull()

    for (const bad of ['?limit=0', '?limit=abc', '?limit=501', '?cursor=%%%garbage']) {
      const res = await api('GET', `/api/v1/jobs/failures${bad}`, undefined, owner.headers)
      expect(res.status, bad).toBe(400)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
    }

    const target = page.items[0] as Failure
    const resolved = await api(
      'POST',
      `/api/v1/jobs/failures/${target.id}/resolve`,
      undefined,
      owner.headers,
    )
    expect(resolved.status).toBe(200)
    expect(((await resolved.json()) as Failure).resolvedAt).toEqual(expect.any(String))

    const otherRow = (await failuresOf(other.clinicId))[0] as { id: string }
    const foreign = await api(
      'POST',
      `/api/v1/jobs/failures/${otherRow.id}/resolve`,
      undefined,
      owner.headers,
    )
    expect(foreign.status).toBe(404)
    expect((await failuresOf(other.clinicId))[0]?.resolved_at).toBeNull()
    expect(
      (await api('POST', '/api/v1/jobs/failures/jf_nope/resolve', undefined, owner.headers)).status,
    ).toBe(404)
    expect(
      (
        await api(
          'POST',
          `/api/v1/jobs/failures/${'x'.repeat(101)}/resolve`,
          undefined,
          owner.headers,
        )
      ).status,
    ).toBe(400)
  })
})

describe('the dead-letter consumer’s configuration', () => {
  it('logs on the attempt wrangler.toml makes the last one (max_retries + 1)', async () => {
    const toml = (await import('../wrangler.toml?raw')).default
    const section = toml
      .split('[[queues.consumers]]')
      .find((s) => new RegExp(`^\\s*queue\\s*=\\s*"${DLQ_NAME}"`).test(s))
    const retries = Number(/max_retries\s*=\s*(\d+)/.exec(section ?? '')?.[1])
    expect(DLQ_MAX_ATTEMPTS).toBe(retries + 1)
  })
})
