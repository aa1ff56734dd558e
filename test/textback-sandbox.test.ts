/**
 * The sandbox never counts as a sent message: a text-back kept in the sandbox outbox makes no
 * later message a `text-back` recovery and is not counted in `textBacks`; one Twilio (a local
 * fake) really took does both.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { notifyAttribution, resettleClinic } from '../src/attribution/notify'
import { appointments, dailyMetrics } from '../src/db/schema'
import { rollUpInstants } from '../src/metrics/rollup'
import { deliverTextBack } from '../src/textback/deliver'
import { api, createTestClinic, type TestClinic } from './helpers/clinic'
import { postTwilio } from './helpers/twilio'
import {
  CALLER,
  callRow,
  db,
  fakeTwilio,
  liveConfig,
  missedCallWithTextBack,
} from './textback-delivery.fixtures'

/**
 * A missed call from CALLER whose text-back goes out `mode`, a reply from CALLER, then a booking
 * for CALLER a minute later. Returns the booking's settled attribution and the day's textBacks.
 */
async function missedCallReplyAndBooking(clinic: TestClinic, mode: 'sandbox' | 'twilio') {
  const { job, callId, callerHash } = await missedCallWithTextBack(clinic)
  const call = await callRow(clinic.clinicId, callId)
  await notifyAttribution(env, clinic.clinicId, {
    kind: 'inbound-call',
    callId,
    callerHash,
    at: call.startedAt,
    status: 'missed',
  })
  const outcome =
    mode === 'twilio'
      ? await deliverTextBack(job, env, { fetch: fakeTwilio().fetch, config: liveConfig() })
      : await deliverTextBack(job, env) // the test env is in sandbox mode
  expect(outcome).toBe(mode === 'twilio' ? 'sent' : 'sandboxed')

  const reply = await postTwilio('/webhooks/twilio/messaging', {
    MessageSid: `SM${crypto.randomUUID().replace(/-/g, '')}`,
    AccountSid: `AC${'1'.repeat(32)}`,
    From: CALLER,
    To: clinic.trackingNumber,
    Body: 'Yes please, can I book a check-up?',
    NumMedia: '0',
  })
  expect(reply.status).toBe(200)

  const owner = await clinic.as('owner')
  const booked = await api(
    'POST',
    '/api/v1/appointments',
    { phone: CALLER, createdAt: new Date(Date.now() + 60_000).toISOString() },
    owner.headers,
  )
  expect(booked.status).toBe(201)
  const { id } = (await booked.json()) as { id: string }
  // Settle from D1's facts, whatever the after-response work has done by now.
  await resettleClinic(env, clinic.clinicId)
  const [appointment] = await db
    .select({ status: appointments.attributionStatus, path: appointments.attributionPath })
    .from(appointments)
    .where(and(eq(appointments.clinicId, clinic.clinicId), eq(appointments.id, id)))

  await rollUpInstants(env, clinic.clinicId, [call.startedAt])
  const [day] = await db
    .select({ textBacks: dailyMetrics.textBacks, cohort: dailyMetrics.textBackMissedCalls })
    .from(dailyMetrics)
    .where(eq(dailyMetrics.clinicId, clinic.clinicId))
  return { appointment, day, call: await callRow(clinic.clinicId, callId) }
}

describe('a text-back kept in the sandbox outbox', () => {
  it('does not make a later reply a text-back recovery, and is not counted as sent', async () => {
    const clinic = await createTestClinic()
    const { appointment, day, call } = await missedCallReplyAndBooking(clinic, 'sandbox')

    expect(appointment).toEqual({ status: 'recovered', path: 'direct' })
    expect(call).toMatchObject({ textBackStatus: 'suppressed', textBackReason: 'sandboxed' })
    expect(day).toEqual({ textBacks: 0, cohort: 0 })
  })
})

describe('a text-back Twilio took', () => {
  it('makes a later reply a text-back recovery, and is counted as sent', async () => {
    const clinic = await createTestClinic()
    const { appointment, day, call } = await missedCallReplyAndBooking(clinic, 'twilio')

    expect(appointment).toEqual({ status: 'recovered', path: 'text-back' })
    expect(call).toMatchObject({ textBackStatus: 'sent', textedBackAt: expect.any(Number) })
    expect(day).toEqual({ textBacks: 1, cohort: 1 })
  })
})
