/**
 * Decisions in the clinic's Durable Object, repair in the Durable Object: when D1 fails to take
 * an attribution decision, the object keeps it unsynced, and its alarm — or the same event
 * redelivered by the queue — writes it, so the API converges on the object's outcome.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { notifyAttribution } from '../src/attribution/notify'
import { syncBackoffMs } from '../src/attribution/sync'
import { createDb } from '../src/db/client'
import { calls, dailyMetrics } from '../src/db/schema'
import { getConfig } from '../src/env'
import worker from '../src/index'
import type { JobMessage } from '../src/jobs/messages'
import { newId } from '../src/lib/ids'
import { HOUR_MS } from '../src/lib/time'
import { localDateOf } from '../src/metrics/local-time'
import { contactHash } from '../src/privacy/crypto'
import { api, BASE, createTestClinic } from './helpers/clinic'
import { ATTRIBUTION_WRITE, failBatchesMatching } from './helpers/faulty-d1'

const db = createDb(env.DB)
const config = getConfig(env)

type View = { id: string; attribution: { status: string; callId: string | null } }

/** A missed call stored in D1 (as the calls feature would), optionally told to the object. */
async function missedCall(clinicId: string, e164: string, at: number, tell = true) {
  const id = newId('call', at)
  const callerHash = await contactHash(config, clinicId, e164)
  await db.insert(calls).values({
    id,
    clinicId,
    callSid: `CA${crypto.randomUUID().replace(/-/g, '')}`,
    direction: 'inbound',
    callerHash,
    callerKind: 'mobile',
    startedAt: at,
    status: 'missed',
  })
  if (tell) {
    await notifyAttribution(env, clinicId, {
      kind: 'inbound-call',
      callId: id,
      callerHash,
      at,
      status: 'missed',
    })
  }
  return { id, callerHash }
}

/** POSTs a booking through the Worker with the given bindings (e.g. a failing D1). */
async function postBooking(bindings: typeof env, key: string, body: unknown) {
  const ctx = createExecutionContext()
  const res = await worker.fetch(
    new Request(new URL('/api/v1/appointments', BASE), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    }),
    bindings,
    ctx,
  )
  await waitOnExecutionContext(ctx)
  return res
}

async function getView(key: string, id: string): Promise<View> {
  const res = await api('GET', `/api/v1/appointments/${id}`, undefined, {
    authorization: `Bearer ${key}`,
  })
  expect(res.status).toBe(200)
  return (await res.json()) as View
}

describe('attribution repair', () => {
  it('answers with the object’s outcome when D1 fails, and the object’s alarm writes it to D1 and the metrics', async () => {
    const clinic = await createTestClinic({ defaultAppointmentValuePence: 5000 })
    const key = await clinic.apiKey()
    const e164 = '+447700900601'
    const missedAt = Date.now() - 3 * HOUR_MS
    const call = await missedCall(clinic.clinicId, e164, missedAt)
    const faulty = failBatchesMatching(env.DB, ATTRIBUTION_WRITE, 1)

    const res = await postBooking({ ...env, DB: faulty.db }, key, { phone: e164 })
    expect(res.status).toBe(201)
    expect(faulty.failures()).toBe(1)
    const posted = (await res.json()) as View
    // The object decided: the response says so even though D1 did not take it.
    expect(posted.attribution).toMatchObject({ status: 'recovered', callId: call.id })
    expect((await getView(key, posted.id)).attribution.status).toBe('unattributed')
    const stub = env.CLINIC.getByName(clinic.clinicId)
    expect(await stub.unsyncedAttributionCount()).toBe(1)

    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect((await getView(key, posted.id)).attribution).toMatchObject({
      status: 'recovered',
      callId: call.id,
    })
    const [callRow] = await db.select().from(calls).where(eq(calls.id, call.id))
    expect(callRow?.recoveredAppointmentId).toBe(posted.id)
    const [day] = await db
      .select()
      .from(dailyMetrics)
      .where(
        and(
          eq(dailyMetrics.clinicId, clinic.clinicId),
          eq(dailyMetrics.date, localDateOf(Date.now(), 'Europe/London')),
        ),
      )
    expect(day).toMatchObject({ recoveredAppointments: 1, recoveredRevenuePence: 5000 })
    expect(await stub.unsyncedAttributionCount()).toBe(0)
  })

  it('a queue event redelivered after a failed D1 write finishes it, with no alarm', async () => {
    const clinic = await createTestClinic()
    const key = await clinic.apiKey()
    const e164 = '+447700900602'
    const missedAt = Date.now() - 3 * HOUR_MS
    // The booking arrives first (unattributed); the missed call's event comes later by queue.
    const call = await missedCall(clinic.clinicId, e164, missedAt, false)
    const booked = (await (
      await api('POST', '/api/v1/appointments', { phone: e164 }, { authorization: `Bearer ${key}` })
    ).json()) as View
    expect(booked.attribution.status).toBe('unattributed')

    const job: JobMessage = {
      type: 'attribution',
      clinicId: clinic.clinicId,
      event: {
        kind: 'inbound-call',
        callId: call.id,
        callerHash: call.callerHash,
        at: missedAt,
        status: 'missed',
      },
    }
    const deliver = async (bindings: typeof env, attempts: number) => {
      const batch = createMessageBatch<JobMessage>('ringback-jobs', [
        { id: 'm1', timestamp: new Date(), attempts, body: job },
      ])
      const ctx = createExecutionContext()
      await worker.queue(batch, bindings, ctx)
      return getQueueResult(batch, ctx)
    }
    const faulty = failBatchesMatching(env.DB, ATTRIBUTION_WRITE, 1)
    const first = await deliver({ ...env, DB: faulty.db }, 1)
    expect(faulty.failures()).toBe(1)
    expect(first.retryMessages.map((m) => m.msgId)).toEqual(['m1'])
    expect((await getView(key, booked.id)).attribution.status).toBe('unattributed')

    // The object already decided, so the redelivery changes nothing there — and still writes.
    const second = await deliver(env, 2)
    expect(second.explicitAcks).toEqual(['m1'])
    expect((await getView(key, booked.id)).attribution).toMatchObject({
      status: 'recovered',
      callId: call.id,
    })
    expect(await env.CLINIC.getByName(clinic.clinicId).unsyncedAttributionCount()).toBe(0)
  })

  it('an alarm that cannot reach D1 keeps the decision and re-arms with backoff', async () => {
    const clinic = await createTestClinic()
    const key = await clinic.apiKey()
    const e164 = '+447700900603'
    const call = await missedCall(clinic.clinicId, e164, Date.now() - 3 * HOUR_MS)
    const faulty = failBatchesMatching(env.DB, ATTRIBUTION_WRITE, 2)
    const posted = (await (
      await postBooking({ ...env, DB: faulty.db }, key, { phone: e164 })
    ).json()) as View
    const stub = env.CLINIC.getByName(clinic.clinicId)
    // The object's own D1 fails too, once.
    const swapDb = (db: D1Database) =>
      runInDurableObject(stub, (instance) => {
        ;(instance as unknown as { env: typeof env }).env = { ...env, DB: db }
      })
    await swapDb(faulty.db)
    const before = Date.now()
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(faulty.failures()).toBe(2)
    expect(await stub.unsyncedAttributionCount()).toBe(1)
    const next = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())
    expect(next).toBeGreaterThanOrEqual(before + syncBackoffMs(1))
    expect(next).toBeLessThan(before + syncBackoffMs(2))
    expect((await getView(key, posted.id)).attribution.status).toBe('unattributed')

    await swapDb(env.DB)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect((await getView(key, posted.id)).attribution).toMatchObject({
      status: 'recovered',
      callId: call.id,
    })
    expect(await stub.unsyncedAttributionCount()).toBe(0)
    // Nothing left to repair: no further alarm.
    expect(await runDurableObjectAlarm(stub)).toBe(false)
  })

  it('backs off from the grace period, doubling, capped at an hour', () => {
    expect(syncBackoffMs(1)).toBe(30_000)
    expect(syncBackoffMs(2)).toBe(60_000)
    expect(syncBackoffMs(3)).toBe(120_000)
    expect(syncBackoffMs(50)).toBe(3_600_000)
  })
})
