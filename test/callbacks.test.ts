import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { api, type createTestClinic } from './helpers/clinic'
import { callRow, createClinic, newCallSid, newMobile, spyOnJobs, voice } from './helpers/voice'

let jobs: ReturnType<typeof spyOnJobs>
beforeEach(() => {
  jobs = spyOnJobs()
})
afterEach(() => jobs.restore())

type Clinic = Awaited<ReturnType<typeof createTestClinic>>

async function missedCall(clinic: Clinic, from: string) {
  const p = { CallSid: newCallSid(), From: from, To: clinic.trackingNumber }
  await voice.incoming(p)
  await voice.dialResult(p, 'no-answer')
  return p
}

/** The status callback of a call placed from the clinic's number to `to`. */
function outboundStatus(clinic: Clinic, to: string, callStatus: string, callSid = newCallSid()) {
  return {
    callSid,
    post: () =>
      voice.status(
        { CallSid: callSid, From: clinic.trackingNumber, To: to },
        callStatus,
        undefined,
        'outbound-api',
      ),
  }
}

describe('callbacks through Twilio (voice status webhook)', () => {
  it('an outbound call from the clinic number is stored as a callback and marks earlier missed calls', async () => {
    const clinic = await createClinic()
    const from = newMobile()
    const m1 = await missedCall(clinic, from)
    const m2 = await missedCall(clinic, from)
    const out = outboundStatus(clinic, from, 'completed')
    expect((await out.post()).status).toBe(200)
    const callback = await callRow(clinic.clinicId, out.callSid)
    expect(callback).toMatchObject({
      direction: 'outbound',
      status: 'answered',
      callerKind: 'mobile',
    })
    for (const m of [m1, m2]) {
      const row = await callRow(clinic.clinicId, m.CallSid)
      expect(row?.callbackCallId).toBe(callback?.id)
      expect(row?.calledBackAt).toBe(callback?.startedAt)
      expect(row?.callerHash).toBe(callback?.callerHash)
    }
  })

  it('keeps the first callback: a later outbound call does not overwrite it', async () => {
    const clinic = await createClinic()
    const from = newMobile()
    const m = await missedCall(clinic, from)
    const first = outboundStatus(clinic, from, 'no-answer')
    await first.post()
    const second = outboundStatus(clinic, from, 'completed')
    await second.post()
    const firstRow = await callRow(clinic.clinicId, first.callSid)
    expect(firstRow).toMatchObject({ status: 'missed', direction: 'outbound' })
    expect((await callRow(clinic.clinicId, m.CallSid))?.callbackCallId).toBe(firstRow?.id)
  })

  it('does not mark answered calls, other callers, or missed calls made after the callback', async () => {
    const clinic = await createClinic()
    const from = newMobile()
    const answered = { CallSid: newCallSid(), From: from, To: clinic.trackingNumber }
    await voice.incoming(answered)
    await voice.dialResult(answered, 'answered')
    const other = await missedCall(clinic, newMobile())
    await outboundStatus(clinic, from, 'completed').post()
    const later = await missedCall(clinic, from)
    for (const sid of [answered.CallSid, other.CallSid, later.CallSid]) {
      expect((await callRow(clinic.clinicId, sid))?.calledBackAt).toBeNull()
    }
  })

  it('a call from a number that is not a tracking number is ignored', async () => {
    const clinic = await createClinic()
    const sid = newCallSid()
    await voice.status(
      { CallSid: sid, From: '+441134969998', To: newMobile() },
      'completed',
      undefined,
      'outbound-api',
    )
    expect(await callRow(clinic.clinicId, sid)).toBeNull()
  })

  it('the forwarding leg to the clinic’s own front desk is not a callback', async () => {
    const clinic = await createClinic()
    const sid = newCallSid()
    await voice.status(
      { CallSid: sid, From: clinic.trackingNumber, To: clinic.forwardTo },
      'completed',
      undefined,
      'outbound-dial',
    )
    expect(await callRow(clinic.clinicId, sid)).toBeNull()
  })
})

describe('POST /api/v1/calls/callbacks', () => {
  it('logs a callback made outside Twilio and marks the caller’s earlier missed calls (any number form)', async () => {
    const clinic = await createClinic()
    const from = newMobile()
    const m = await missedCall(clinic, from)
    const member = await clinic.as('receptionist')
    const national = `0${from.slice(3, 7)} ${from.slice(7)}`
    const res = await api('POST', '/api/v1/calls/callbacks', { phone: national }, member.headers)
    expect(res.status).toBe(201)
    const body = (await res.json()) as Record<string, unknown>
    const missed = await callRow(clinic.clinicId, m.CallSid)
    expect(body).toMatchObject({
      direction: 'outbound',
      status: 'answered',
      callerHash: missed?.callerHash,
      calledBackCallIds: [missed?.id],
    })
    expect(JSON.stringify(body)).not.toContain(from.slice(3))
    expect(missed?.callbackCallId).toBe(body.id)
  })

  it('takes `at` as the callback time, and only marks missed calls before it', async () => {
    const clinic = await createClinic()
    const from = newMobile()
    const m = await missedCall(clinic, from)
    const key = await clinic.apiKey('calls:write')
    const past = new Date(Date.now() - 3600_000).toISOString()
    const res = await api(
      'POST',
      '/api/v1/calls/callbacks',
      { phone: from, at: past },
      {
        authorization: `Bearer ${key}`,
      },
    )
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({ calledBackCallIds: [] })
    expect((await callRow(clinic.clinicId, m.CallSid))?.calledBackAt).toBeNull()
  })

  it('rejects an invalid phone or a future time with 400 problem+json', async () => {
    const clinic = await createClinic()
    const member = await clinic.as('admin')
    for (const body of [
      { phone: 'not a number' },
      { phone: '12' },
      {},
      { phone: newMobile(), at: 'yesterday' },
      { phone: newMobile(), at: new Date(Date.now() + 86400_000).toISOString() },
    ]) {
      const res = await api('POST', '/api/v1/calls/callbacks', body, member.headers)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
      expect(await res.text()).not.toContain('not a number')
    }
  })

  it('is for operators: an analyst gets 403, nobody signed in 401, a foreign Origin 403', async () => {
    const clinic = await createClinic()
    const analyst = await clinic.as('analyst')
    expect(
      (await api('POST', '/api/v1/calls/callbacks', { phone: newMobile() }, analyst.headers))
        .status,
    ).toBe(403)
    expect((await api('POST', '/api/v1/calls/callbacks', { phone: newMobile() })).status).toBe(401)
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/calls/callbacks',
      { phone: newMobile() },
      {
        ...owner.headers,
        origin: 'https://evil.example',
      },
    )
    expect(res.status).toBe(403)
  })
})
