import { exports } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { calls, outboundMessages } from '../src/db/schema'
import { BASE, type createTestClinic } from './helpers/clinic'
import { postTwilio } from './helpers/twilio'
import {
  callRow,
  createClinic,
  db,
  newCallSid,
  newMobile,
  spyOnJobs,
  textBacksFor,
  voice,
} from './helpers/voice'

let jobs: ReturnType<typeof spyOnJobs>
beforeEach(() => {
  jobs = spyOnJobs()
})
afterEach(() => jobs.restore())

async function newCall(overrides: Parameters<typeof createTestClinic>[0] = {}, from = newMobile()) {
  const clinic = await createClinic(overrides)
  const p = { CallSid: newCallSid(), From: from, To: clinic.trackingNumber }
  return { clinic, p }
}

describe('POST /webhooks/twilio/voice', () => {
  it('dials the forwarding number with the clinic ring timeout and stores a ringing call', async () => {
    const { clinic, p } = await newCall({ ringTimeoutSeconds: 25 })
    const res = await voice.incoming(p)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/)
    const xml = await res.text()
    expect(xml).toContain(
      `<Response><Dial action="/webhooks/twilio/voice/dial-result" timeout="25" answerOnBridge="true"><Number>${clinic.forwardTo}</Number></Dial></Response>`,
    )
    const row = await callRow(clinic.clinicId, p.CallSid)
    expect(row).toMatchObject({ direction: 'inbound', status: 'ringing', callerKind: 'mobile' })
    expect(row?.callerHash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('rejects a call to an unknown number and stores nothing', async () => {
    const sid = newCallSid()
    const res = await voice.incoming({ CallSid: sid, From: newMobile(), To: '+441134969999' })
    expect(await res.text()).toContain('<Response><Reject/></Response>')
    expect(await db.select().from(calls).where(eq(calls.callSid, sid))).toHaveLength(0)
  })

  it('refuses a bad signature with 403 and stores nothing', async () => {
    const { clinic, p } = await newCall()
    const res = await postTwilio('/webhooks/twilio/voice', p, { signature: 'bm90LWEtc2lnbmF0dXJl' })
    expect(res.status).toBe(403)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(await callRow(clinic.clinicId, p.CallSid)).toBeNull()
  })

  it('refuses an unsigned but otherwise valid webhook with 403 and stores nothing', async () => {
    const { clinic, p } = await newCall()
    const res = await exports.default.fetch(
      new Request(`${BASE}/webhooks/twilio/voice`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(p),
      }),
    )
    expect(res.status).toBe(403)
    expect(await callRow(clinic.clinicId, p.CallSid)).toBeNull()
  })

  it('refuses a signature made with another auth token', async () => {
    const { clinic, p } = await newCall()
    const res = await postTwilio('/webhooks/twilio/voice', p, { token: 'someone-elses-token' })
    expect(res.status).toBe(403)
    expect(await callRow(clinic.clinicId, p.CallSid)).toBeNull()
  })

  it('answers a duplicate delivery with the same TwiML and keeps the first ring time', async () => {
    const { clinic, p } = await newCall()
    const first = await (await voice.incoming(p, 'tok-1')).text()
    const before = await callRow(clinic.clinicId, p.CallSid)
    const again = await (await voice.incoming(p, 'tok-1')).text()
    const naturalDuplicate = await (await voice.incoming(p, 'tok-2')).text()
    expect(again).toBe(first)
    expect(naturalDuplicate).toBe(first)
    expect(await callRow(clinic.clinicId, p.CallSid)).toEqual(before)
  })

  it('with call screening on, the forwarded leg gets a whisper first', async () => {
    const { p } = await newCall({ callScreening: true })
    const xml = await (await voice.incoming(p)).text()
    expect(xml).toMatch(/<Number url="\/webhooks\/twilio\/voice\/screen">\+44\d+<\/Number>/)
  })

  it('escapes the clinic name in TwiML', async () => {
    const { p, clinic } = await newCall({ name: 'Smile & <Co>' })
    await voice.incoming(p)
    const xml = await (await voice.dialResult(p, 'busy')).text()
    expect(xml).toContain('Smile &amp; &lt;Co&gt;')
    expect(clinic.clinicId).toBeTruthy()
  })
})

describe('POST /webhooks/twilio/voice/dial-result', () => {
  for (const dialStatus of ['answered', 'completed']) {
    it(`DialCallStatus ${dialStatus} marks the call answered and hangs up`, async () => {
      const { clinic, p } = await newCall()
      await voice.incoming(p)
      const xml = await (await voice.dialResult(p, dialStatus)).text()
      expect(xml).toContain('<Response><Hangup/></Response>')
      expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
        status: 'answered',
        dialOutcome: 'answered',
        textBackStatus: 'none',
      })
      expect(jobs.sent).toHaveLength(0)
    })
  }

  for (const dialStatus of ['busy', 'no-answer', 'failed', 'canceled']) {
    it(`DialCallStatus ${dialStatus} marks the call missed, offers voicemail and queues a text-back`, async () => {
      const { clinic, p } = await newCall()
      await voice.incoming(p)
      const xml = await (await voice.dialResult(p, dialStatus)).text()
      expect(xml).toContain('<Say>')
      expect(xml).toContain(
        '<Record maxLength="120" playBeep="true" recordingStatusCallback="/webhooks/twilio/voice/recording" recordingStatusCallbackEvent="completed"/>',
      )
      const row = await callRow(clinic.clinicId, p.CallSid)
      expect(row).toMatchObject({ status: 'missed', textBackStatus: 'queued' })
      expect(jobs.sent).toEqual([
        expect.objectContaining({ type: 'text-back', clinicId: clinic.clinicId, callId: row?.id }),
      ])
      const [outbox] = await textBacksFor(clinic.clinicId)
      expect(outbox).toMatchObject({
        kind: 'text-back',
        channel: 'sms',
        status: 'queued',
        toSealed: null,
      })
      expect(outbox?.id).toBe(jobs.sent[0]?.outboxId)
    })
  }

  it('a duplicated missed dial-result never enqueues twice', async () => {
    const { clinic, p } = await newCall()
    await voice.incoming(p)
    const a = await (await voice.dialResult(p, 'no-answer', 'tok-d')).text()
    const b = await (await voice.dialResult(p, 'no-answer', 'tok-d')).text()
    const c = await (await voice.dialResult(p, 'no-answer', 'tok-other')).text()
    expect(b).toBe(a)
    expect(c).toBe(a)
    expect(jobs.sent).toHaveLength(1)
    expect(await textBacksFor(clinic.clinicId)).toHaveLength(1)
  })

  it('the text-back job carries the number sealed, and the body is the clinic template', async () => {
    const from = newMobile()
    const { clinic, p } = await newCall({
      name: 'Bright Teeth',
      textBackTemplate: 'Hi from {clinic}!',
    })
    await voice.incoming(p)
    await voice.dialResult(p, 'no-answer')
    const { clinicKeyring } = await import('../src/privacy/crypto')
    const { getConfig } = await import('../src/env')
    const { env } = await import('cloudflare:workers')
    const keyring = await clinicKeyring(db, getConfig(env), clinic.clinicId)
    const job = jobs.sent[0]
    expect(job?.toSealed).not.toContain(p.From.slice(1))
    expect(await keyring.open(job!.toSealed)).toBe(p.From)
    const [outbox] = await textBacksFor(clinic.clinicId)
    expect(await keyring.open(outbox!.bodySealed)).toBe('Hi from Bright Teeth!')
    expect(outbox?.toMasked).toBe(`•••${p.From.slice(-3)}`)
    void from
  })
})

describe('POST /webhooks/twilio/voice/recording', () => {
  it('a completed recording with a duration turns the missed call into voicemail', async () => {
    const { clinic, p } = await newCall()
    await voice.incoming(p)
    await voice.dialResult(p, 'no-answer')
    const res = await voice.recording(p.CallSid, 17)
    expect(await res.text()).toContain('<Response/>')
    const row = await callRow(clinic.clinicId, p.CallSid)
    expect(row).toMatchObject({
      status: 'voicemail',
      voicemailSeconds: 17,
      textBackStatus: 'queued',
    })
    expect(row?.recordingKey).toBe(`recordings/${clinic.clinicId}/RE${p.CallSid.slice(2)}`)
    expect(jobs.sent).toHaveLength(1)
  })

  it('an empty recording leaves the call missed', async () => {
    const { clinic, p } = await newCall()
    await voice.incoming(p)
    await voice.dialResult(p, 'busy')
    await voice.recording(p.CallSid, 0)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'missed',
      voicemailSeconds: null,
      recordingKey: null,
    })
  })

  it('a recording does not turn an answered call into voicemail', async () => {
    const { clinic, p } = await newCall()
    await voice.incoming(p)
    await voice.dialResult(p, 'answered')
    await voice.recording(p.CallSid, 30)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({ status: 'answered' })
  })
})

describe('POST /webhooks/twilio/voice/status', () => {
  for (const callStatus of ['no-answer', 'busy', 'failed', 'canceled']) {
    it(`an inbound call ending ${callStatus} before any dial result is missed`, async () => {
      const { clinic, p } = await newCall()
      await voice.incoming(p)
      const res = await voice.status(p, callStatus)
      expect(res.status).toBe(200)
      expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
        status: 'missed',
        finalCallStatus: callStatus,
        textBackStatus: 'queued',
      })
    })
  }

  it('a completed status after an answered dial keeps the call answered', async () => {
    const { clinic, p } = await newCall()
    await voice.incoming(p)
    await voice.dialResult(p, 'answered')
    await voice.status(p, 'completed')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'answered',
      finalCallStatus: 'completed',
    })
  })

  it('a duplicate status (same natural key) changes nothing', async () => {
    const { clinic, p } = await newCall()
    await voice.incoming(p)
    await voice.status(p, 'no-answer', 'tok-s1')
    const before = await callRow(clinic.clinicId, p.CallSid)
    await voice.status(p, 'no-answer', 'tok-s2')
    await voice.status(p, 'no-answer', 'tok-s1')
    expect(await callRow(clinic.clinicId, p.CallSid)).toEqual(before)
    expect(jobs.sent).toHaveLength(1)
  })
})

describe('caller identity', () => {
  for (const from of ['anonymous', 'Restricted', '+266696687', '']) {
    it(`a withheld caller (${from || 'empty'}) is a missed call with a null hash and no text-back`, async () => {
      const { clinic, p } = await newCall({}, from)
      await voice.incoming(p)
      await voice.dialResult(p, 'no-answer')
      expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
        status: 'missed',
        callerHash: null,
        callerKind: 'withheld',
        textBackStatus: 'suppressed',
        textBackReason: 'withheld',
      })
      expect(jobs.sent).toHaveLength(0)
    })
  }

  it('a landline caller gets no text-back', async () => {
    const { clinic, p } = await newCall({}, '+441134960123')
    await voice.incoming(p)
    await voice.dialResult(p, 'no-answer')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'missed',
      callerKind: 'other',
      textBackStatus: 'suppressed',
      textBackReason: 'landline',
    })
    expect(jobs.sent).toHaveLength(0)
  })

  it('no D1 row of calls or outbound messages holds the raw number', async () => {
    const from = newMobile()
    const { clinic, p } = await newCall({}, from)
    await voice.incoming(p)
    await voice.dialResult(p, 'no-answer')
    await voice.recording(p.CallSid, 12)
    await voice.status(p, 'completed')
    const national = `0${from.slice(3)}`
    const rows = [
      ...(await db.select().from(calls).where(eq(calls.clinicId, clinic.clinicId))),
      ...(await db
        .select()
        .from(outboundMessages)
        .where(eq(outboundMessages.clinicId, clinic.clinicId))),
    ]
    expect(rows.length).toBeGreaterThan(1)
    const dump = JSON.stringify(rows)
    for (const form of [from, from.slice(1), national, from.slice(3)]) {
      expect(dump).not.toContain(form)
    }
  })
})

describe('call screening', () => {
  it('the whisper names the clinic and gathers one key', async () => {
    const { p } = await newCall({ callScreening: true, name: 'Pearl Dental' })
    await voice.incoming(p)
    const res = await postTwilio('/webhooks/twilio/voice/screen', {
      CallSid: newCallSid(),
      ParentCallSid: p.CallSid,
      From: p.From,
      To: '+441134960999',
      Direction: 'outbound-dial',
    })
    const xml = await res.text()
    expect(xml).toContain(
      '<Gather numDigits="1" timeout="5" action="/webhooks/twilio/voice/screen-result"><Say>Ringback call for Pearl Dental. Press any key to accept.</Say></Gather><Hangup/>',
    )
  })

  it('an accepted whisper makes an answered dial count as answered', async () => {
    const { clinic, p } = await newCall({ callScreening: true })
    await voice.incoming(p)
    const res = await postTwilio('/webhooks/twilio/voice/screen-result', {
      CallSid: newCallSid(),
      ParentCallSid: p.CallSid,
      Digits: '1',
    })
    expect(await res.text()).toContain('<Response/>')
    const xml = await (await voice.dialResult(p, 'completed')).text()
    expect(xml).toContain('<Hangup/>')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'answered',
      screeningRequired: true,
      screeningAccepted: true,
    })
    expect(jobs.sent).toHaveLength(0)
  })

  it('a dial answered by the forwarded phone’s voicemail (no key pressed) is missed and offers our voicemail', async () => {
    const { clinic, p } = await newCall({ callScreening: true })
    await voice.incoming(p)
    const xml = await (await voice.dialResult(p, 'completed')).text()
    expect(xml).toContain('<Record')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'missed',
      dialOutcome: 'answered',
      screeningAccepted: false,
      textBackStatus: 'queued',
    })
  })
})

describe('bad webhook input', () => {
  it('a webhook without a CallSid answers 400 problem+json and stores nothing', async () => {
    const clinic = await createClinic()
    const res = await postTwilio('/webhooks/twilio/voice', {
      From: newMobile(),
      To: clinic.trackingNumber,
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
  })

  it('an unknown DialCallStatus hangs up and records nothing', async () => {
    const { clinic, p } = await newCall()
    await voice.incoming(p)
    const xml = await (await voice.dialResult(p, 'exploded')).text()
    expect(xml).toContain('<Hangup/>')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'ringing',
      dialOutcome: null,
    })
  })

  it('a recording for an unknown call is acknowledged and ignored', async () => {
    const res = await voice.recording(newCallSid(), 30)
    expect(res.status).toBe(200)
  })
})

describe('reordered deliveries', () => {
  it('a recording that arrives before the dial result still ends as voicemail with one text-back', async () => {
    const { clinic, p } = await newCall()
    await voice.incoming(p)
    await voice.recording(p.CallSid, 20)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'voicemail',
      textBackStatus: 'none',
    })
    await voice.dialResult(p, 'no-answer')
    await voice.status(p, 'completed')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'voicemail',
      textBackStatus: 'queued',
    })
    expect(jobs.sent).toHaveLength(1)
  })

  it('a status callback that arrives before the voice webhook keeps the earliest start time', async () => {
    const { clinic, p } = await newCall()
    await voice.status(p, 'ringing')
    const early = await callRow(clinic.clinicId, p.CallSid)
    await voice.incoming(p)
    const row = await callRow(clinic.clinicId, p.CallSid)
    expect(row?.startedAt).toBe(early?.startedAt)
    expect(row?.status).toBe('ringing')
  })
})
