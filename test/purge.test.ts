import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { audit } from '../src/audit/audit'
import { createDb } from '../src/db/client'
import {
  appointments,
  calls,
  clinicKeys,
  clinics,
  dailyMetrics,
  inboundMessages,
  outboundMessages,
  purgeRuns,
  users,
  webhookDeliveries,
} from '../src/db/schema'
import { getConfig } from '../src/env'
import worker from '../src/index'
import { newId } from '../src/lib/ids'
import { DAY_MS } from '../src/lib/time'
import { clinicKeyring } from '../src/privacy/crypto'
import { purgeClinic, runPurgeJob } from '../src/privacy/purge'
import { api, createTestClinic } from './helpers/clinic'
import { captureQueue } from './helpers/queue'

const db = createDb(env.DB)
const NOW = Date.UTC(2026, 10, 23, 3, 0, 0)

async function insertCall(
  clinicId: string,
  startedAt: number,
  extra: Partial<typeof calls.$inferInsert> = {},
) {
  const id = newId('call', startedAt)
  await db.insert(calls).values({
    id,
    clinicId,
    callSid: `CA${id}`,
    direction: 'inbound',
    callerHash: 'a'.repeat(64),
    callerKind: 'mobile',
    startedAt,
    status: 'missed',
    ...extra,
  })
  return id
}

async function callIds(clinicId: string) {
  return (await db.select({ id: calls.id }).from(calls).where(eq(calls.clinicId, clinicId))).map(
    (r) => r.id,
  )
}

type Receipt = {
  job: string
  ranAt: string
  cutoff: string
  deleted: Record<string, number>
  status: string
}

describe('retention purge: call data', () => {
  it('deletes calls older than the clinic’s call retention, keeps younger ones and every daily metric', async () => {
    const clinic = await createTestClinic({ retentionCallDays: 30 })
    const old = await insertCall(clinic.clinicId, NOW - 31 * DAY_MS)
    const young = await insertCall(clinic.clinicId, NOW - 29 * DAY_MS)
    await db
      .insert(dailyMetrics)
      .values({ clinicId: clinic.clinicId, date: '2026-10-01', inboundCalls: 7, missedCalls: 3 })
    const result = await purgeClinic(env, clinic.clinicId, NOW)
    expect(result.calls?.calls).toBe(1)
    expect(await callIds(clinic.clinicId)).toEqual([young])
    expect(await callIds(clinic.clinicId)).not.toContain(old)
    const metrics = await db
      .select()
      .from(dailyMetrics)
      .where(eq(dailyMetrics.clinicId, clinic.clinicId))
    expect(metrics).toMatchObject([{ date: '2026-10-01', inboundCalls: 7, missedCalls: 3 }])
  })

  it('never keeps calls beyond 90 days, whatever the stored setting says', async () => {
    const clinic = await createTestClinic({ retentionCallDays: 400 })
    await insertCall(clinic.clinicId, NOW - 91 * DAY_MS)
    const kept = await insertCall(clinic.clinicId, NOW - 89 * DAY_MS)
    await purgeClinic(env, clinic.clinicId, NOW)
    expect(await callIds(clinic.clinicId)).toEqual([kept])
  })

  it('deletes the old calls’ recordings from R2, their text-backs, replies and delivery keys, and unlinks old appointments', async () => {
    const clinic = await createTestClinic()
    const oldAt = NOW - 100 * DAY_MS
    const oldCall = await insertCall(clinic.clinicId, oldAt, {
      recordingKey: `${clinic.clinicId}/recordings/old.wav`,
    })
    const youngCall = await insertCall(clinic.clinicId, NOW - DAY_MS, {
      recordingKey: `${clinic.clinicId}/recordings/young.wav`,
    })
    await env.BLOBS.put(`${clinic.clinicId}/recordings/old.wav`, 'audio')
    await env.BLOBS.put(`${clinic.clinicId}/recordings/young.wav`, 'audio')
    await db.insert(outboundMessages).values({
      id: newId('msg'),
      clinicId: clinic.clinicId,
      dedupeKey: `text-back:${oldCall}`,
      kind: 'text-back',
      channel: 'sms',
      callId: oldCall,
      recipientHash: 'a'.repeat(64),
      toMasked: '•••123',
      bodySealed: 'rb1.1.x.y',
      createdAt: oldAt,
    })
    await db.insert(inboundMessages).values({
      id: newId('in'),
      clinicId: clinic.clinicId,
      messageSid: 'SMold',
      channel: 'sms',
      senderHash: 'a'.repeat(64),
      receivedAt: oldAt + 1000,
      inReplyToCallId: oldCall,
    })
    await db
      .insert(webhookDeliveries)
      .values({ key: `k-${oldCall}`, clinicId: clinic.clinicId, receivedAt: oldAt })
    const appt = newId('apt')
    await db.insert(appointments).values({
      id: appt,
      clinicId: clinic.clinicId,
      callerHash: 'a'.repeat(64),
      createdAt: oldAt + 5000,
      receivedAt: oldAt + 5000,
      valuePence: 100,
      attributionStatus: 'recovered',
      attributedCallId: oldCall,
    })

    const result = await purgeClinic(env, clinic.clinicId, NOW)
    expect(result.calls).toMatchObject({
      recordings: 1,
      textBacks: 1,
      textBackReplies: 1,
      calls: 1,
      appointmentLinks: 1,
      webhookDeliveries: 1,
    })
    expect(await env.BLOBS.head(`${clinic.clinicId}/recordings/old.wav`)).toBeNull()
    expect(await env.BLOBS.head(`${clinic.clinicId}/recordings/young.wav`)).not.toBeNull()
    expect(await callIds(clinic.clinicId)).toEqual([youngCall])
    const [kept] = await db.select().from(appointments).where(eq(appointments.id, appt))
    // The booking and its value stay for the metrics; the link to the person goes.
    expect(kept).toMatchObject({
      callerHash: null,
      valuePence: 100,
      attributionStatus: 'recovered',
    })
  })

  it('deletes recordings after the recording retention even while the call is kept', async () => {
    const clinic = await createTestClinic({ retentionRecordingDays: 10 })
    const key = `${clinic.clinicId}/recordings/r.wav`
    const id = await insertCall(clinic.clinicId, NOW - 20 * DAY_MS, {
      recordingKey: key,
      status: 'voicemail',
    })
    await env.BLOBS.put(key, 'audio')
    const result = await purgeClinic(env, clinic.clinicId, NOW)
    expect(result.recordings).toEqual({ recordings: 1 })
    expect(await env.BLOBS.head(key)).toBeNull()
    const [row] = await db.select().from(calls).where(eq(calls.id, id))
    expect(row).toMatchObject({ status: 'voicemail', recordingKey: null })
  })

  it('keeps a conversation until 24 months after the contact’s last interaction, then deletes all of it', async () => {
    const clinic = await createTestClinic()
    const quiet = 'b'.repeat(64)
    const active = 'c'.repeat(64)
    const longAgo = NOW - 800 * DAY_MS
    for (const [sender, at] of [
      [quiet, longAgo],
      [active, longAgo],
      [active, NOW - 5 * DAY_MS],
    ] as const) {
      await db.insert(inboundMessages).values({
        id: newId('in'),
        clinicId: clinic.clinicId,
        messageSid: newId('SM'),
        channel: 'sms',
        senderHash: sender,
        receivedAt: at,
      })
    }
    const result = await purgeClinic(env, clinic.clinicId, NOW)
    expect(result.conversations?.inboundMessages).toBe(1)
    const left = await db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.clinicId, clinic.clinicId))
    expect(left.map((m) => m.senderHash).sort()).toEqual([active, active])
  })

  it('is idempotent: a second run deletes nothing and says so', async () => {
    const clinic = await createTestClinic()
    await insertCall(clinic.clinicId, NOW - 95 * DAY_MS)
    expect((await purgeClinic(env, clinic.clinicId, NOW)).calls?.calls).toBe(1)
    expect((await purgeClinic(env, clinic.clinicId, NOW)).calls?.calls).toBe(0)
  })

  it('deletes in chunks until a chunk comes back short', async () => {
    const clinic = await createTestClinic()
    for (let i = 0; i < 7; i++) await insertCall(clinic.clinicId, NOW - (91 + i) * DAY_MS)
    const result = await purgeClinic(env, clinic.clinicId, NOW, { chunkSize: 3 })
    expect(result.calls?.calls).toBe(7)
    expect(await callIds(clinic.clinicId)).toEqual([])
  })

  it('resumes an interrupted run: its receipt is continued, not duplicated, and counts add up', async () => {
    const clinic = await createTestClinic()
    for (let i = 0; i < 4; i++) await insertCall(clinic.clinicId, NOW - (91 + i) * DAY_MS)
    // A run that crashed after deleting two calls: the receipt is still `running`.
    const crashedId = newId('prg')
    await db.insert(purgeRuns).values({
      id: crashedId,
      clinicId: clinic.clinicId,
      job: 'calls',
      ranAt: NOW - 60_000,
      cutoff: NOW - 90 * DAY_MS,
      deletedJson: JSON.stringify({ recordings: 0, calls: 2 }),
      status: 'running',
    })
    await purgeClinic(env, clinic.clinicId, NOW)
    const receipts = await db
      .select()
      .from(purgeRuns)
      .where(eq(purgeRuns.clinicId, clinic.clinicId))
    const callReceipts = receipts.filter((r) => r.job === 'calls')
    expect(callReceipts).toHaveLength(1)
    expect(callReceipts[0]).toMatchObject({ id: crashedId, status: 'completed' })
    expect(JSON.parse(callReceipts[0]!.deletedJson).calls).toBe(6)
  })
})

describe('the daily cron', () => {
  it('runs the purges at 03:00 and leaves receipts at GET /api/v1/privacy/purges with counts only', async () => {
    const clinic = await createTestClinic()
    // The demo's shape: 120 days of calls, and the monthly metrics built from them.
    for (let day = 1; day <= 120; day += 7) await insertCall(clinic.clinicId, NOW - day * DAY_MS)
    await db.insert(dailyMetrics).values([
      {
        clinicId: clinic.clinicId,
        date: '2026-07-28',
        inboundCalls: 5,
        missedCalls: 2,
        recoveredAppointments: 1,
        recoveredRevenuePence: 15000,
      },
      { clinicId: clinic.clinicId, date: '2026-11-01', inboundCalls: 3, missedCalls: 1 },
    ])
    const queue = captureQueue()
    const ctx = createExecutionContext()
    await worker.scheduled(
      createScheduledController({ cron: '0 3 * * *', scheduledTime: NOW }),
      queue.env,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    // The cron only enqueues; the work happens as the queue drains.
    expect(await callIds(clinic.clinicId)).toHaveLength(18)
    await queue.drain()

    const left = await db
      .select({ startedAt: calls.startedAt })
      .from(calls)
      .where(eq(calls.clinicId, clinic.clinicId))
    expect(left.length).toBeGreaterThan(0)
    expect(left.every((c) => c.startedAt >= NOW - 90 * DAY_MS)).toBe(true)
    const metrics = await db
      .select()
      .from(dailyMetrics)
      .where(eq(dailyMetrics.clinicId, clinic.clinicId))
    expect(metrics.find((m) => m.date === '2026-07-28')).toMatchObject({
      inboundCalls: 5,
      recoveredRevenuePence: 15000,
    })

    const owner = await clinic.as('owner')
    const res = await api('GET', '/api/v1/privacy/purges', undefined, owner.headers)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { items: Receipt[]; nextCursor: string | null }
    const callsReceipt = body.items.find((r) => r.job === 'calls')
    expect(callsReceipt).toMatchObject({
      ranAt: '2026-11-23T03:00:00Z',
      cutoff: '2026-08-25T03:00:00Z',
      status: 'completed',
      deleted: { calls: 5 },
    })
    // Jobs that deleted nothing leave no receipt; the run's one summary line has the totals.
    expect(body.items.map((r) => r.job).sort()).toEqual(['all', 'calls'])
    expect(body.items.find((r) => r.job === 'all')).toMatchObject({
      ranAt: '2026-11-23T03:00:00Z',
      cutoff: '2026-08-25T03:00:00Z',
      status: 'completed',
      deleted: { calls: 5 },
    })
    for (const r of body.items)
      for (const v of Object.values(r.deleted)) expect(typeof v).toBe('number')

    const page = (await (
      await api('GET', '/api/v1/privacy/purges?limit=1', undefined, owner.headers)
    ).json()) as { items: Receipt[]; nextCursor: string }
    expect(page.items).toHaveLength(1)
    const rest = (await (
      await api(
        'GET',
        `/api/v1/privacy/purges?limit=1&cursor=${page.nextCursor}`,
        undefined,
        owner.headers,
      )
    ).json()) as { items: Receipt[] }
    expect([...page.items, ...rest.items].map((r) => r.job).sort()).toEqual(
      body.items.map((r) => r.job).sort(),
    )
  })

  it('shows receipts to owners and admins of that clinic only', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    await purgeClinic(env, clinic.clinicId, NOW)
    const analyst = await clinic.as('analyst')
    expect((await api('GET', '/api/v1/privacy/purges', undefined, analyst.headers)).status).toBe(
      403,
    )
    const otherOwner = await other.as('owner')
    const seen = (await (
      await api('GET', '/api/v1/privacy/purges', undefined, otherOwner.headers)
    ).json()) as { items: Receipt[] }
    expect(seen.items).toEqual([])
  })
})

describe('retention purge: a terminated clinic', () => {
  it('six months after the contract ends deletes everything the clinic had, and shreds its keys', async () => {
    const clinic = await createTestClinic({ contractEndsAt: NOW - 190 * DAY_MS })
    const survivor = await createTestClinic({ contractEndsAt: NOW - 170 * DAY_MS })
    const owner = await clinic.as('owner')
    await insertCall(clinic.clinicId, NOW - DAY_MS, { recordingKey: `${clinic.clinicId}/rec.wav` })
    await env.BLOBS.put(`${clinic.clinicId}/rec.wav`, 'audio')
    await env.BLOBS.put(`${clinic.clinicId}/uploads/photo.jpg`, 'jpeg')
    await db
      .insert(dailyMetrics)
      .values({ clinicId: clinic.clinicId, date: '2026-05-01', inboundCalls: 1 })
    await audit(env, clinic.clinicId, { actor: `user:${owner.userId}`, action: 'test' })
    const sealed = await (await clinicKeyring(db, getConfig(env), clinic.clinicId)).seal(
      'Jane, +447700900123',
    )
    await insertCall(survivor.clinicId, NOW - DAY_MS)

    const result = await purgeClinic(env, clinic.clinicId, NOW)
    expect(result['terminated-clinic']).toMatchObject({
      calls: 1,
      recordings: 1,
      blobs: 1,
      users: 1,
      daily_metrics: 1,
      clinic: 1,
    })
    for (const table of [
      'calls',
      'users',
      'sessions',
      'tracking_numbers',
      'daily_metrics',
      'clinic_keys',
    ]) {
      const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE clinic_id = ?`)
        .bind(clinic.clinicId)
        .first<{ n: number }>()
      expect(row?.n, table).toBe(0)
    }
    expect(await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))).toEqual([])
    expect((await env.BLOBS.list({ prefix: `${clinic.clinicId}/` })).objects).toEqual([])
    const auditRows = await runInDurableObject(
      env.CLINIC.getByName(clinic.clinicId),
      (_i, state) => state.storage.sql.exec('SELECT COUNT(*) AS n FROM audit_log').one().n,
    )
    expect(auditRows).toBe(0)
    // Crypto-shredded: whatever copy of a ciphertext survived cannot be opened any more.
    await expect(
      (await clinicKeyring(db, getConfig(env), clinic.clinicId)).open(sealed),
    ).rejects.toThrow()
    // The receipt survives as proof of deletion, and holds only counts.
    const receipts = await db
      .select()
      .from(purgeRuns)
      .where(eq(purgeRuns.clinicId, clinic.clinicId))
    expect(receipts.map((r) => r.job)).toContain('terminated-clinic')
    // A clinic still inside its six months is untouched.
    expect(await callIds(survivor.clinicId)).toHaveLength(1)
    expect(await db.select().from(users).where(eq(users.clinicId, clinic.clinicId))).toEqual([])
    expect(
      await db.select().from(clinicKeys).where(eq(clinicKeys.clinicId, clinic.clinicId)),
    ).toHaveLength(1)
  })

  it('skips jobs with no steps: nothing to delete yet writes no receipt', async () => {
    const clinic = await createTestClinic()
    const counts = await runPurgeJob(
      env,
      { job: 'leads', clinicId: clinic.clinicId, cutoff: NOW, steps: [] },
      NOW,
    )
    expect(counts).toEqual({})
    expect(
      await db.select().from(purgeRuns).where(eq(purgeRuns.clinicId, clinic.clinicId)),
    ).toEqual([])
  })
})
