/**
 * resettleClinic: history written straight to D1 (demo seed, imports) is loaded into the clinic's
 * Durable Object, settled under rules v1, written back and rolled into the daily metrics;
 * running it again changes nothing.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { resettleClinic } from '../src/attribution/notify'
import { createDb } from '../src/db/client'
import { appointments, calls, dailyMetrics, inboundMessages } from '../src/db/schema'
import { HOUR_MS } from '../src/lib/time'
import { createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)

describe('resettleClinic', () => {
  it('settles a clinic’s stored history, paths included, idempotently', async () => {
    const clinic = await createTestClinic({
      timezone: 'Europe/London',
      defaultAppointmentValuePence: 7070,
    })
    const t = Date.UTC(2026, 10, 3, 9)
    const call = (
      id: string,
      callerHash: string,
      at: number,
      status: 'missed' | 'answered',
      direction: 'inbound' | 'outbound' = 'inbound',
    ) => ({
      id,
      clinicId: clinic.clinicId,
      callSid: `CA-${id}`,
      direction,
      callerHash,
      callerKind: 'mobile' as const,
      startedAt: at,
      status,
    })
    await db
      .insert(calls)
      .values([
        call('call_a', 'ha', t, 'missed'),
        call('call_a_cb', 'ha', t + HOUR_MS, 'answered', 'outbound'),
        call('call_b', 'hb', t, 'missed'),
        call('call_c', 'hc', t, 'missed'),
        call('call_c2', 'hc', t + HOUR_MS, 'answered'),
      ])
    await db.insert(inboundMessages).values({
      id: 'msg_b',
      clinicId: clinic.clinicId,
      messageSid: 'SM-b',
      channel: 'sms',
      senderHash: 'hb',
      receivedAt: t + 30 * 60_000,
      inReplyToCallId: 'call_b',
    })
    const appt = (id: string, callerHash: string, at: number) => ({
      id,
      clinicId: clinic.clinicId,
      callerHash,
      createdAt: at,
      receivedAt: at,
    })
    await db
      .insert(appointments)
      .values([
        appt('apt_a', 'ha', t + 2 * HOUR_MS),
        appt('apt_b', 'hb', t + 2 * HOUR_MS),
        appt('apt_c', 'hc', t + 2 * HOUR_MS),
        appt('apt_d', 'hd', t + 2 * HOUR_MS),
      ])

    await resettleClinic(env, clinic.clinicId)
    const read = async () =>
      Object.fromEntries(
        (
          await db.select().from(appointments).where(eq(appointments.clinicId, clinic.clinicId))
        ).map((a) => [
          a.id,
          [a.attributionStatus, a.attributedCallId, a.attributionPath, a.ruleVersion, a.settledAt],
        ]),
      )
    const first = await read()
    expect(Object.fromEntries(Object.entries(first).map(([k, v]) => [k, v.slice(0, 4)]))).toEqual({
      apt_a: ['recovered', 'call_a', 'callback', 1],
      apt_b: ['recovered', 'call_b', 'text-back', 1],
      apt_c: ['recovered', 'call_c', 'return-call', 1],
      apt_d: ['unattributed', null, null, 1],
    })
    const [dayRow] = await db
      .select()
      .from(dailyMetrics)
      .where(eq(dailyMetrics.clinicId, clinic.clinicId))
    expect(dayRow).toMatchObject({
      date: '2026-11-03',
      recoveredAppointments: 3,
      recoveredRevenuePence: 3 * 7070,
    })

    await resettleClinic(env, clinic.clinicId)
    expect(await read()).toEqual(first)
  })
})
