/**
 * The inbound voice webhook does its work in at most two D1 round trips (one with a warm line
 * cache), and the per-isolate line cache never answers or stores anything stale: settings changed
 * through the API, or straight in D1 as another isolate would, are used by the next webhook.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { trackingNumbers } from '../src/db/schema'
import { api, createTestClinic } from './helpers/clinic'
import { type D1Probe, postTwilioWith, probeD1 } from './helpers/d1'
import { type CallParams, callRow, db, newCallSid, newMobile, spyOnJobs } from './helpers/voice'

let jobs: ReturnType<typeof spyOnJobs>
let probe: D1Probe
beforeEach(() => {
  jobs = spyOnJobs()
  probe = probeD1()
})
afterEach(() => jobs.restore())

const VOICE = '/webhooks/twilio/voice'
const params = (to: string, from = newMobile()): CallParams & Record<string, string> => ({
  CallSid: newCallSid(),
  From: from,
  To: to,
  Direction: 'inbound',
  CallStatus: 'ringing',
})

async function incoming(p: Record<string, string>) {
  probe.reset()
  const res = await postTwilioWith(probe.db, VOICE, p)
  return { res, xml: await res.text(), roundTrips: probe.roundTrips }
}

describe('POST /webhooks/twilio/voice round trips', () => {
  it('takes at most two D1 round trips cold, and one with the line cached', async () => {
    const clinic = await createTestClinic()
    const cold = await incoming(params(clinic.trackingNumber))
    expect(cold.res.status).toBe(200)
    expect(cold.roundTrips).toBeLessThanOrEqual(2)
    const warm = await incoming(params(clinic.trackingNumber))
    expect(warm.roundTrips).toBe(1)
    const p = params(clinic.trackingNumber)
    await incoming(p)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({ status: 'ringing' })
  })

  it('a duplicate takes one round trip and changes nothing', async () => {
    const clinic = await createTestClinic()
    const p = params(clinic.trackingNumber)
    await incoming(p)
    const before = await callRow(clinic.clinicId, p.CallSid)
    probe.reset()
    const dup = await postTwilioWith(probe.db, VOICE, p, { idempotencyToken: undefined })
    expect(dup.status).toBe(200)
    expect(probe.roundTrips).toBe(1)
    expect(await callRow(clinic.clinicId, p.CallSid)).toEqual(before)
  })

  it('checks the signature before any D1 access', async () => {
    const clinic = await createTestClinic()
    probe.reset()
    const res = await postTwilioWith(probe.db, VOICE, params(clinic.trackingNumber), {
      signature: 'bm90LWEtc2lnbmF0dXJl',
    })
    expect(res.status).toBe(403)
    expect(probe.roundTrips).toBe(0)
  })

  it('dial-result (answered) takes at most three round trips with the line cached', async () => {
    const clinic = await createTestClinic()
    const p = params(clinic.trackingNumber, '+442079460123')
    await incoming(p)
    probe.reset()
    const res = await postTwilioWith(probe.db, `${VOICE}/dial-result`, {
      ...p,
      DialCallStatus: 'completed',
    })
    expect(res.status).toBe(200)
    expect(probe.roundTrips).toBeLessThanOrEqual(3)
    expect((await callRow(clinic.clinicId, p.CallSid))?.status).toBe('answered')
  })
})

describe('the line cache is never stale', () => {
  it('a forwarding number changed through the API is dialled by the next webhook', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    await incoming(params(clinic.trackingNumber)) // warm this isolate's cache
    const [number] = await db
      .select()
      .from(trackingNumbers)
      .where(eq(trackingNumbers.clinicId, clinic.clinicId))
    const res = await api(
      'PATCH',
      `/api/v1/numbers/${number?.id}`,
      { forwardTo: '+441134960888' },
      owner.headers,
    )
    expect(res.status).toBe(200)
    const next = await incoming(params(clinic.trackingNumber))
    expect(next.xml).toContain('<Number>+441134960888</Number>')
    expect(next.roundTrips).toBe(1)
  })

  it('settings changed in D1 by another isolate (ring timeout, name, screening) are used at once', async () => {
    const clinic = await createTestClinic()
    await incoming(params(clinic.trackingNumber))
    await env.DB.prepare(
      'UPDATE clinics SET ring_timeout_seconds = 33, call_screening = 1, name = ? WHERE id = ?',
    )
      .bind('Renamed & Co', clinic.clinicId)
      .run()
    const p = params(clinic.trackingNumber)
    const next = await incoming(p)
    expect(next.xml).toContain('timeout="33"')
    expect(next.xml).toContain('<Number url="/webhooks/twilio/voice/screen">')
    expect(next.roundTrips).toBeLessThanOrEqual(2)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({ screeningRequired: true })
  })

  it('a number deleted elsewhere is rejected, and stores nothing', async () => {
    const clinic = await createTestClinic()
    await incoming(params(clinic.trackingNumber))
    await env.DB.prepare('DELETE FROM tracking_numbers WHERE clinic_id = ?')
      .bind(clinic.clinicId)
      .run()
    const p = params(clinic.trackingNumber)
    const next = await incoming(p)
    expect(next.xml).toContain('<Reject/>')
    expect(await callRow(clinic.clinicId, p.CallSid)).toBeNull()
  })

  it('a number moved to another clinic stores the call under the new clinic only', async () => {
    const first = await createTestClinic()
    const second = await createTestClinic({ name: 'New Owner Clinic' })
    await incoming(params(first.trackingNumber))
    await env.DB.batch([
      env.DB.prepare('DELETE FROM tracking_numbers WHERE clinic_id = ?').bind(second.clinicId),
      env.DB.prepare(
        'UPDATE tracking_numbers SET clinic_id = ?, forward_to = ? WHERE clinic_id = ?',
      ).bind(second.clinicId, '+441134960777', first.clinicId),
    ])
    const p = params(first.trackingNumber)
    const next = await incoming(p)
    expect(next.xml).toContain('<Number>+441134960777</Number>')
    expect(next.roundTrips).toBeLessThanOrEqual(2)
    expect(await callRow(first.clinicId, p.CallSid)).toBeNull()
    expect(await callRow(second.clinicId, p.CallSid)).toMatchObject({ status: 'ringing' })
  })
})
