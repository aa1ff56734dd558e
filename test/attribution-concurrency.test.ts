/**
 * The clinic's Durable Object serialises attribution: fifty bookings for one missed call, posted
 * at once (distinct externalIds, same caller, all inside the window), recover it exactly once.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { notifyAttribution } from '../src/attribution/notify'
import { createDb } from '../src/db/client'
import { appointments, calls } from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { HOUR_MS, toIso } from '../src/lib/time'
import { contactHash } from '../src/privacy/crypto'
import { api, createTestClinic } from './helpers/clinic'

describe('concurrent bookings', () => {
  it('recovers one missed call exactly once when 50 bookings for the caller arrive at once', async () => {
    const clinic = await createTestClinic()
    const key = await clinic.apiKey()
    const db = createDb(env.DB)
    const e164 = '+447700900500'
    const callerHash = await contactHash(getConfig(env), clinic.clinicId, e164)
    const missedAt = Date.now() - 2 * HOUR_MS
    const callId = newId('call', missedAt)
    await db.insert(calls).values({
      id: callId,
      clinicId: clinic.clinicId,
      callSid: 'CA-concurrency',
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

    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api(
          'POST',
          '/api/v1/appointments',
          {
            phone: '07700 900500',
            externalId: `pms-${i}`,
            createdAt: toIso(missedAt + HOUR_MS + i * 1000),
          },
          { authorization: `Bearer ${key}` },
        ),
      ),
    )
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201))

    const rows = await db
      .select()
      .from(appointments)
      .where(eq(appointments.clinicId, clinic.clinicId))
    expect(rows).toHaveLength(50)
    const recovered = rows.filter((r) => r.attributionStatus === 'recovered')
    expect(recovered).toHaveLength(1)
    // Rules: the earliest booking settles first and takes the call.
    expect(recovered[0]).toMatchObject({ externalId: 'pms-0', attributedCallId: callId })
    const [call] = await db.select().from(calls).where(eq(calls.id, callId))
    expect(call?.recoveredAppointmentId).toBe(recovered[0]!.id)
  })
})
