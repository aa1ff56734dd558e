/**
 * The appointments API: bookings in (session or API key), idempotent on externalId, the phone
 * hashed and never stored, values resolved, attribution returned and re-settled by late events,
 * and tenancy (another clinic's appointment is a 404).
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { notifyAttribution } from '../src/attribution/notify'
import { createDb } from '../src/db/client'
import { appointments, calls, treatments } from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { DAY_MS, HOUR_MS, toIso } from '../src/lib/time'
import { contactHash } from '../src/privacy/crypto'
import { api, createTestClinic, type TestClinic, type TestMember } from './helpers/clinic'

const db = createDb(env.DB)
const config = getConfig(env)

/** Stores a call in D1 (as the calls feature would) and tells the attribution engine. */
async function inboundCall(
  clinicId: string,
  e164: string,
  at: number,
  status: 'missed' | 'voicemail' | 'answered',
): Promise<string> {
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
    status,
  })
  await notifyAttribution(env, clinicId, {
    kind: 'inbound-call',
    callId: id,
    callerHash,
    at,
    status,
  })
  return id
}

describe('appointments API', () => {
  let clinic: TestClinic
  let staff: TestMember
  const now = Date.now()

  beforeAll(async () => {
    clinic = await createTestClinic({ defaultAppointmentValuePence: 15000 })
    staff = await clinic.as('receptionist')
  })

  it('records a booking with no missed call as unattributed, at the clinic default value', async () => {
    const res = await api('POST', '/api/v1/appointments', { phone: '07700 900001' }, staff.headers)
    expect(res.status).toBe(201)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      id: expect.stringMatching(/^apt_/),
      valuePence: 15000,
      attribution: { status: 'unattributed', callId: null, path: null, ruleVersion: 1 },
    })
  })

  it('recovers a booking made after a missed call and links the call to it', async () => {
    const callId = await inboundCall(clinic.clinicId, '+447700900002', now - 3 * HOUR_MS, 'missed')
    const res = await api(
      'POST',
      '/api/v1/appointments',
      { phone: '+44 7700 900002' },
      staff.headers,
    )
    expect(res.status).toBe(201)
    const body = (await res.json()) as { id: string; attribution: Record<string, unknown> }
    expect(body.attribution).toMatchObject({
      status: 'recovered',
      callId,
      path: 'direct',
      ruleVersion: 1,
    })
    expect(body.attribution.explanation).toMatch(/^Recovered: booked 3 hours after a missed call/)
    const [call] = await db.select().from(calls).where(eq(calls.id, callId))
    expect(call?.recoveredAppointmentId).toBe(body.id)
  })

  it('answers a repeated externalId with 200 and the same appointment', async () => {
    const first = await api(
      'POST',
      '/api/v1/appointments',
      { phone: '07700900003', externalId: 'pms-1' },
      staff.headers,
    )
    const again = await api(
      'POST',
      '/api/v1/appointments',
      { phone: '07700900003', externalId: 'pms-1' },
      staff.headers,
    )
    expect(first.status).toBe(201)
    expect(again.status).toBe(200)
    expect(((await again.json()) as { id: string }).id).toBe(
      ((await first.json()) as { id: string }).id,
    )
  })

  it('stores only the keyed hash of the phone number, never the number', async () => {
    const res = await api(
      'POST',
      '/api/v1/appointments',
      { phone: '07700 900004', externalId: 'pms-hash' },
      staff.headers,
    )
    const { id, callerHash } = (await res.json()) as { id: string; callerHash: string }
    expect(callerHash).toBe(await contactHash(config, clinic.clinicId, '+447700900004'))
    const row = await env.DB.prepare('SELECT * FROM appointments WHERE id = ?').bind(id).first()
    expect(JSON.stringify(row)).not.toMatch(/7700\s?900004/)
  })

  it('resolves the value: explicit, else the treatment’s, else the clinic default', async () => {
    const treatmentId = newId('trt')
    await db.insert(treatments).values({
      id: treatmentId,
      clinicId: clinic.clinicId,
      name: 'Implant consultation',
      valuePence: 240000,
    })
    const byTreatment = await api(
      'POST',
      '/api/v1/appointments',
      { phone: '07700900005', treatmentId },
      staff.headers,
    )
    expect(((await byTreatment.json()) as { valuePence: number }).valuePence).toBe(240000)
    const explicit = await api(
      'POST',
      '/api/v1/appointments',
      { phone: '07700900005', treatmentId, valuePence: 7070 },
      staff.headers,
    )
    expect(((await explicit.json()) as { valuePence: number }).valuePence).toBe(7070)
  })

  it('refuses another clinic’s treatment, a bad phone and a future booking time with problem+json 400', async () => {
    const other = await createTestClinic()
    const foreignTreatment = newId('trt')
    await db
      .insert(treatments)
      .values({ id: foreignTreatment, clinicId: other.clinicId, name: 'X', valuePence: 1 })
    const cases = [
      [{ phone: '07700900006', treatmentId: foreignTreatment }, 'treatmentId'],
      [{ phone: 'not a phone' }, 'phone'],
      [{ phone: '07700900006', createdAt: toIso(now + 2 * DAY_MS) }, 'createdAt'],
      [{ phone: '07700900006', valuePence: -1 }, 'valuePence'],
      [{ phone: '07700900006', surprise: true }, '(body)'],
    ] as const
    for (const [body, path] of cases) {
      const res = await api('POST', '/api/v1/appointments', body, staff.headers)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      const problem = (await res.json()) as { errors: Array<{ path: string }> }
      expect(problem.errors.map((e) => e.path).join(',')).toContain(path === '(body)' ? '' : path)
      expect(JSON.stringify(problem)).not.toContain('07700900006')
    }
  })

  it('accepts an API key, refuses analysts and strangers', async () => {
    const key = await clinic.apiKey()
    const viaKey = await api(
      'POST',
      '/api/v1/appointments',
      { phone: '07700900007' },
      { authorization: `Bearer ${key}` },
    )
    expect(viaKey.status).toBe(201)
    const analyst = await clinic.as('analyst')
    expect(
      (await api('POST', '/api/v1/appointments', { phone: '07700900007' }, analyst.headers)).status,
    ).toBe(403)
    expect((await api('POST', '/api/v1/appointments', { phone: '07700900007' })).status).toBe(401)
  })

  it('gets one appointment, and answers 404 for another clinic’s', async () => {
    const created = (await (
      await api('POST', '/api/v1/appointments', { phone: '07700900008' }, staff.headers)
    ).json()) as {
      id: string
    }
    const mine = await api('GET', `/api/v1/appointments/${created.id}`, undefined, staff.headers)
    expect(mine.status).toBe(200)
    expect(((await mine.json()) as { id: string }).id).toBe(created.id)
    const other = await createTestClinic()
    const stranger = await other.as('owner')
    const theirs = await api(
      'GET',
      `/api/v1/appointments/${created.id}`,
      undefined,
      stranger.headers,
    )
    expect(theirs.status).toBe(404)
  })

  it('lists appointments newest first within from/to, page by page', async () => {
    const c = await createTestClinic()
    const owner = await c.as('owner')
    const base = now - 10 * DAY_MS
    for (let i = 0; i < 5; i++) {
      await api(
        'POST',
        '/api/v1/appointments',
        { phone: '07700900009', createdAt: toIso(base + i * DAY_MS) },
        owner.headers,
      )
    }
    const from = toIso(base + DAY_MS)
    const to = toIso(base + 4 * DAY_MS)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const q: string = `from=${from}&to=${to}&limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const page = (await (
        await api('GET', `/api/v1/appointments?${q}`, undefined, owner.headers)
      ).json()) as {
        items: Array<{ createdAt: string }>
        nextCursor: string | null
      }
      seen.push(...page.items.map((i) => i.createdAt))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen).toEqual([4, 3, 2, 1].map((d) => toIso(base + d * DAY_MS)))
  })

  it('re-settles when the missed call is reported after the booking', async () => {
    const bookedAt = now - HOUR_MS
    const res = await api(
      'POST',
      '/api/v1/appointments',
      { phone: '07700900010', createdAt: toIso(bookedAt) },
      staff.headers,
    )
    const { id, attribution } = (await res.json()) as {
      id: string
      attribution: { status: string }
    }
    expect(attribution.status).toBe('unattributed')
    const callId = await inboundCall(
      clinic.clinicId,
      '+447700900010',
      bookedAt - 5 * HOUR_MS,
      'missed',
    )
    const later = (await (
      await api('GET', `/api/v1/appointments/${id}`, undefined, staff.headers)
    ).json()) as {
      attribution: { status: string; callId: string; path: string }
    }
    expect(later.attribution).toMatchObject({ status: 'recovered', callId, path: 'direct' })
  })

  it('changes the path when a callback is logged late', async () => {
    const e164 = '+447700900011'
    const missedAt = now - 6 * HOUR_MS
    await inboundCall(clinic.clinicId, e164, missedAt, 'missed')
    const res = await api(
      'POST',
      '/api/v1/appointments',
      { phone: e164, createdAt: toIso(now - HOUR_MS) },
      staff.headers,
    )
    const { id } = (await res.json()) as { id: string }
    const callerHash = await contactHash(config, clinic.clinicId, e164)
    await notifyAttribution(env, clinic.clinicId, {
      kind: 'callback',
      callId: newId('call'),
      callerHash,
      at: missedAt + HOUR_MS,
    })
    const [row] = await db.select().from(appointments).where(eq(appointments.id, id))
    expect(row).toMatchObject({
      attributionStatus: 'recovered',
      attributionPath: 'callback',
      ruleVersion: 1,
    })
  })

  it('repairs D1 on a repeat when the write after the object’s decision was lost', async () => {
    const callId = await inboundCall(clinic.clinicId, '+447700900012', now - 2 * HOUR_MS, 'missed')
    const body = { phone: '07700900012', externalId: 'pms-repair' }
    const { id } = (await (
      await api('POST', '/api/v1/appointments', body, staff.headers)
    ).json()) as { id: string }
    // Simulate a crash between the decision and the D1 write.
    await db
      .update(appointments)
      .set({
        attributionStatus: 'unattributed',
        attributedCallId: null,
        attributionPath: null,
        settledAt: null,
      })
      .where(eq(appointments.id, id))
    await db.update(calls).set({ recoveredAppointmentId: null }).where(eq(calls.id, callId))
    const again = await api('POST', '/api/v1/appointments', body, staff.headers)
    expect(again.status).toBe(200)
    const [row] = await db.select().from(appointments).where(eq(appointments.id, id))
    expect(row).toMatchObject({ attributionStatus: 'recovered', attributedCallId: callId })
    const [call] = await db.select().from(calls).where(eq(calls.id, callId))
    expect(call?.recoveredAppointmentId).toBe(id)
  })

  it('documents every appointments and metrics route in the OpenAPI document', async () => {
    const doc = (await (await api('GET', '/api/v1/openapi.json')).json()) as {
      paths: Record<string, object>
    }
    for (const path of [
      '/api/v1/appointments',
      '/api/v1/appointments/{id}',
      '/api/v1/appointments/import',
      '/api/v1/metrics/daily',
      '/api/v1/metrics/monthly',
    ]) {
      expect(doc.paths).toHaveProperty([path])
    }
  })
})
