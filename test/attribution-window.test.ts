/**
 * Changing a clinic's attribution window re-settles its open window with the new W (in the
 * clinic's Durable Object, without reloading D1) and writes what changed to D1 and the metrics.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { notifyAttribution } from '../src/attribution/notify'
import { createDb } from '../src/db/client'
import { calls, dailyMetrics } from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { DAY_MS } from '../src/lib/time'
import { localDateOf } from '../src/metrics/local-time'
import { contactHash } from '../src/privacy/crypto'
import { api, createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)
const config = getConfig(env)

type View = { id: string; attribution: { status: string; callId: string | null } }

describe('attribution window change', () => {
  it('re-settles open bookings under the new window, both ways, with D1 and the metrics following', async () => {
    const clinic = await createTestClinic({ attributionWindowDays: 14 })
    const owner = await clinic.as('owner')
    const e164 = '+447700900701'
    const callerHash = await contactHash(config, clinic.clinicId, e164)
    const bookedAt = Date.now() - DAY_MS
    const missedAt = bookedAt - 10 * DAY_MS
    const callId = newId('call', missedAt)
    await db.insert(calls).values({
      id: callId,
      clinicId: clinic.clinicId,
      callSid: `CA${crypto.randomUUID().replace(/-/g, '')}`,
      direction: 'inbound',
      callerHash,
      callerKind: 'mobile',
      startedAt: missedAt,
      status: 'missed',
    })
    await notifyAttribution(env, clinic.clinicId, {
      kind: 'inbound-call',
      callId,
      callerHash,
      at: missedAt,
      status: 'missed',
    })
    const posted = (await (
      await api(
        'POST',
        '/api/v1/appointments',
        { phone: e164, createdAt: new Date(bookedAt).toISOString(), valuePence: 3000 },
        owner.headers,
      )
    ).json()) as View
    expect(posted.attribution).toMatchObject({ status: 'recovered', callId })

    const read = async () => {
      const view = (await (
        await api('GET', `/api/v1/appointments/${posted.id}`, undefined, owner.headers)
      ).json()) as View
      const [day] = await db
        .select()
        .from(dailyMetrics)
        .where(
          and(
            eq(dailyMetrics.clinicId, clinic.clinicId),
            eq(dailyMetrics.date, localDateOf(bookedAt, 'Europe/London')),
          ),
        )
      const [call] = await db.select().from(calls).where(eq(calls.id, callId))
      return {
        status: view.attribution.status,
        callId: view.attribution.callId,
        recovered: day?.recoveredAppointments,
        linked: call?.recoveredAppointmentId ?? null,
      }
    }
    expect(await read()).toEqual({ status: 'recovered', callId, recovered: 1, linked: posted.id })

    const patch = (days: number) =>
      api('PATCH', '/api/v1/clinic', { attributionWindowDays: days }, owner.headers)
    // Ten days between the call and the booking: outside a 7-day window…
    expect((await patch(7)).status).toBe(200)
    expect(await read()).toEqual({
      status: 'unattributed',
      callId: null,
      recovered: 0,
      linked: null,
    })
    // …and inside a 10-day one again.
    expect((await patch(10)).status).toBe(200)
    expect(await read()).toEqual({ status: 'recovered', callId, recovered: 1, linked: posted.id })
    expect(await env.CLINIC.getByName(clinic.clinicId).unsyncedAttributionCount()).toBe(0)
  })
})
