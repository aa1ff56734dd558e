/**
 * Delivery marks are written with or after the work they guard: a webhook whose work fails
 * half-way (an injected D1 failure) answers a problem+json 5xx, and Twilio's retry of the SAME
 * delivery (same idempotency token) completes the work; a duplicate after success changes nothing.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { inboundMessages, optOuts, outboundMessages, webhookDeliveries } from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { contactHash } from '../src/privacy/crypto'
import { createTestClinic } from './helpers/clinic'
import { type D1Probe, postTwilioWith, probeD1 } from './helpers/d1'
import {
  type CallParams,
  callRow,
  db,
  newCallSid,
  newMobile,
  spyOnJobs,
  textBacksFor,
} from './helpers/voice'

let jobs: ReturnType<typeof spyOnJobs>
let probe: D1Probe
beforeEach(() => {
  jobs = spyOnJobs()
  probe = probeD1()
})
afterEach(() => jobs.restore())

const VOICE = '/webhooks/twilio/voice'
const inbound = (p: CallParams) => ({ ...p, Direction: 'inbound', CallStatus: 'ringing' })
const dial = (p: CallParams, status: string) => ({
  ...p,
  Direction: 'inbound',
  CallStatus: 'in-progress',
  DialCallStatus: status,
})
const recording = (callSid: string, seconds = 12) => ({
  CallSid: callSid,
  AccountSid: `AC${'1'.repeat(32)}`,
  RecordingSid: `RE${callSid.slice(2)}`,
  RecordingStatus: 'completed',
  RecordingDuration: String(seconds),
})

async function newCall() {
  const clinic = await createTestClinic()
  const p: CallParams = { CallSid: newCallSid(), From: newMobile(), To: clinic.trackingNumber }
  return { clinic, p }
}

/** The injected failure surfaced as a problem+json 5xx (so Twilio retries), never a stack trace. */
async function expectInjectedFailure(res: Response) {
  expect(probe.fired).toBe(true)
  expect(res.status).toBeGreaterThanOrEqual(500)
  expect(res.headers.get('content-type')).toContain('application/problem+json')
  const text = await res.text()
  expect(text).not.toMatch(/injected|D1_ERROR|at .*\.ts/)
}

async function marksFor(token: string) {
  return db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.key, `twilio-token:${token}`))
}

describe('voice webhooks redo a delivery whose work failed', () => {
  it('POST /: the call upsert fails, nothing is marked; the retry stores the call; a duplicate changes nothing', async () => {
    const { clinic, p } = await newCall()
    probe.failOnce(/^insert into "calls"/)
    await expectInjectedFailure(
      await postTwilioWith(probe.db, VOICE, inbound(p), { idempotencyToken: 'v-1' }),
    )
    expect(await callRow(clinic.clinicId, p.CallSid)).toBeNull()
    expect(await marksFor('v-1')).toHaveLength(0)

    const retry = await postTwilioWith(probe.db, VOICE, inbound(p), { idempotencyToken: 'v-1' })
    expect(retry.status).toBe(200)
    const xml = await retry.text()
    expect(xml).toContain(`<Number>${clinic.forwardTo}</Number>`)
    const row = await callRow(clinic.clinicId, p.CallSid)
    expect(row).toMatchObject({ status: 'ringing', direction: 'inbound' })
    expect(await marksFor('v-1')).toHaveLength(1)

    const dup = await postTwilioWith(probe.db, VOICE, inbound(p), { idempotencyToken: 'v-1' })
    expect(await dup.text()).toBe(xml)
    expect(await callRow(clinic.clinicId, p.CallSid)).toEqual(row)
  })

  it('dial-result: the text-back claim fails; the retry makes the call missed with exactly one text-back', async () => {
    const { clinic, p } = await newCall()
    await postTwilioWith(probe.db, VOICE, inbound(p), { idempotencyToken: 'd-0' })
    probe.failOnce(/INSERT INTO outbound_messages/)
    await expectInjectedFailure(
      await postTwilioWith(probe.db, `${VOICE}/dial-result`, dial(p, 'no-answer'), {
        idempotencyToken: 'd-1',
      }),
    )
    expect(await marksFor('d-1')).toHaveLength(0)
    expect(jobs.sent).toHaveLength(0)

    const retry = await postTwilioWith(probe.db, `${VOICE}/dial-result`, dial(p, 'no-answer'), {
      idempotencyToken: 'd-1',
    })
    expect(retry.status).toBe(200)
    expect(await retry.text()).toContain('<Record')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'missed',
      textBackStatus: 'queued',
    })
    expect(jobs.sent).toHaveLength(1)
    expect(await textBacksFor(clinic.clinicId)).toHaveLength(1)

    // A duplicate after success: same TwiML, no second text-back.
    const dup = await postTwilioWith(probe.db, `${VOICE}/dial-result`, dial(p, 'no-answer'), {
      idempotencyToken: 'd-1',
    })
    expect(await dup.text()).toContain('<Record')
    expect(jobs.sent).toHaveLength(1)
    expect(await textBacksFor(clinic.clinicId)).toHaveLength(1)
  })

  it('dial-result: the marks fail after the text-back was queued; the retry queues no second one', async () => {
    const { clinic, p } = await newCall()
    await postTwilioWith(probe.db, VOICE, inbound(p))
    probe.failOnce(/^insert into "webhook_deliveries"/)
    await expectInjectedFailure(
      await postTwilioWith(probe.db, `${VOICE}/dial-result`, dial(p, 'busy'), {
        idempotencyToken: 'm-1',
      }),
    )
    expect(jobs.sent).toHaveLength(1)
    const retry = await postTwilioWith(probe.db, `${VOICE}/dial-result`, dial(p, 'busy'), {
      idempotencyToken: 'm-1',
    })
    expect(retry.status).toBe(200)
    expect(await marksFor('m-1')).toHaveLength(1)
    expect(jobs.sent).toHaveLength(1)
    expect(await textBacksFor(clinic.clinicId)).toHaveLength(1)
  })

  it('/recording: merging the voicemail fails; the retry makes the call a voicemail and queues its copy', async () => {
    const { clinic, p } = await newCall()
    await postTwilioWith(probe.db, VOICE, inbound(p))
    await postTwilioWith(probe.db, `${VOICE}/dial-result`, dial(p, 'no-answer'))
    probe.failOnce(/^update "calls" set .*"recording_key" = coalesce/)
    await expectInjectedFailure(
      await postTwilioWith(probe.db, `${VOICE}/recording`, recording(p.CallSid), {
        idempotencyToken: 'r-1',
      }),
    )
    expect((await callRow(clinic.clinicId, p.CallSid))?.status).toBe('missed')
    const retry = await postTwilioWith(probe.db, `${VOICE}/recording`, recording(p.CallSid), {
      idempotencyToken: 'r-1',
    })
    expect(retry.status).toBe(200)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'voicemail',
      voicemailSeconds: 12,
    })
    expect(jobs.others.filter((j) => j.type === 'recording-copy')).toHaveLength(1)
    expect(jobs.sent).toHaveLength(1)
  })

  it('/status (inbound): settling the status fails; the retry makes the call missed', async () => {
    const { clinic, p } = await newCall()
    await postTwilioWith(probe.db, VOICE, inbound(p))
    probe.failOnce(/^update "calls" set "status"/)
    const status = { ...p, Direction: 'inbound', CallStatus: 'no-answer', CallDuration: '0' }
    await expectInjectedFailure(
      await postTwilioWith(probe.db, `${VOICE}/status`, status, { idempotencyToken: 's-1' }),
    )
    expect((await callRow(clinic.clinicId, p.CallSid))?.status).toBe('ringing')
    const retry = await postTwilioWith(probe.db, `${VOICE}/status`, status, {
      idempotencyToken: 's-1',
    })
    expect(retry.status).toBe(200)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'missed',
      finalCallStatus: 'no-answer',
      textBackStatus: 'queued',
    })
    expect(jobs.sent).toHaveLength(1)
  })

  it('/status (outbound callback): marking the missed call called back fails; the retry marks it', async () => {
    const { clinic, p } = await newCall()
    await postTwilioWith(probe.db, VOICE, inbound(p))
    await postTwilioWith(probe.db, `${VOICE}/dial-result`, dial(p, 'no-answer'))
    const callback = {
      CallSid: newCallSid(),
      From: clinic.trackingNumber,
      To: p.From,
      Direction: 'outbound-api',
      CallStatus: 'completed',
      CallDuration: '30',
    }
    probe.failOnce(/UPDATE "?calls"? SET "?called_back_at/i)
    await expectInjectedFailure(
      await postTwilioWith(probe.db, `${VOICE}/status`, callback, { idempotencyToken: 'o-1' }),
    )
    expect((await callRow(clinic.clinicId, p.CallSid))?.calledBackAt).toBeNull()
    const retry = await postTwilioWith(probe.db, `${VOICE}/status`, callback, {
      idempotencyToken: 'o-1',
    })
    expect(retry.status).toBe(200)
    const outbound = await callRow(clinic.clinicId, callback.CallSid)
    expect(outbound).toMatchObject({ direction: 'outbound', status: 'answered' })
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      callbackCallId: outbound?.id,
    })
  })

  it('/screen-result: recording the key press fails; the retry records it', async () => {
    const { clinic, p } = await newCall()
    await env.DB.prepare('UPDATE clinics SET call_screening = 1 WHERE id = ?')
      .bind(clinic.clinicId)
      .run()
    await postTwilioWith(probe.db, VOICE, inbound(p))
    const screen = { CallSid: newCallSid(), ParentCallSid: p.CallSid, Digits: '1' }
    probe.failOnce(/"screening_accepted" = \?/)
    await expectInjectedFailure(
      await postTwilioWith(probe.db, `${VOICE}/screen-result`, screen, { idempotencyToken: 'x-1' }),
    )
    expect((await callRow(clinic.clinicId, p.CallSid))?.screeningAccepted).toBe(false)
    const retry = await postTwilioWith(probe.db, `${VOICE}/screen-result`, screen, {
      idempotencyToken: 'x-1',
    })
    expect(retry.status).toBe(200)
    expect((await callRow(clinic.clinicId, p.CallSid))?.screeningAccepted).toBe(true)
  })
})

describe('messaging webhooks redo a delivery whose work failed', () => {
  const SMS = '/webhooks/twilio/messaging'
  let n = 0
  const sid = () => {
    n++
    return `SM${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}${String(n).padStart(8, '0')}`
  }
  const sms = (to: string, from: string, body: string, messageSid = sid()) => ({
    MessageSid: messageSid,
    AccountSid: `AC${'1'.repeat(32)}`,
    From: from,
    To: to,
    Body: body,
  })
  async function optOut(clinicId: string, e164: string) {
    const hash = await contactHash(getConfig(env), clinicId, e164)
    const [row] = await db
      .select()
      .from(optOuts)
      .where(and(eq(optOuts.clinicId, clinicId), eq(optOuts.contactHash, hash)))
    return row
  }
  const messages = (clinicId: string) =>
    db.select().from(inboundMessages).where(eq(inboundMessages.clinicId, clinicId))

  it('STOP: the opt-out write fails (and with it the message); the retry records both once', async () => {
    const clinic = await createTestClinic()
    const from = newMobile()
    const stop = sms(clinic.trackingNumber, from, 'STOP')
    probe.failOnce(/^insert into "opt_outs"/)
    await expectInjectedFailure(
      await postTwilioWith(probe.db, SMS, stop, { idempotencyToken: 'sms-1' }),
    )
    expect(await optOut(clinic.clinicId, from)).toBeUndefined()
    expect(await messages(clinic.clinicId)).toHaveLength(0)

    const retry = await postTwilioWith(probe.db, SMS, stop, { idempotencyToken: 'sms-1' })
    expect(retry.status).toBe(200)
    expect(await optOut(clinic.clinicId, from)).toMatchObject({ optedOut: true, keyword: 'STOP' })
    expect(await messages(clinic.clinicId)).toHaveLength(1)
  })

  it('STOP: the marks fail after the opt-out; a retry after a later START does not undo the START', async () => {
    const clinic = await createTestClinic()
    const from = newMobile()
    const stop = sms(clinic.trackingNumber, from, 'STOP')
    probe.failOnce(/^insert into "webhook_deliveries"/)
    await expectInjectedFailure(
      await postTwilioWith(probe.db, SMS, stop, { idempotencyToken: 'sms-2' }),
    )
    expect(await optOut(clinic.clinicId, from)).toMatchObject({ optedOut: true })

    await postTwilioWith(probe.db, SMS, sms(clinic.trackingNumber, from, 'START'))
    const retry = await postTwilioWith(probe.db, SMS, stop, { idempotencyToken: 'sms-2' })
    expect(retry.status).toBe(200)
    expect(await optOut(clinic.clinicId, from)).toMatchObject({ optedOut: false, keyword: 'START' })
    expect(await messages(clinic.clinicId)).toHaveLength(2)
    // And a duplicate of the completed STOP changes nothing either.
    await postTwilioWith(probe.db, SMS, stop, { idempotencyToken: 'sms-2' })
    expect(await optOut(clinic.clinicId, from)).toMatchObject({ optedOut: false })
    expect(await messages(clinic.clinicId)).toHaveLength(2)
  })

  it('/status: the status write fails; the retry applies it', async () => {
    const clinic = await createTestClinic()
    const messageSid = sid()
    const id = newId('msg')
    await db.insert(outboundMessages).values({
      id,
      clinicId: clinic.clinicId,
      dedupeKey: `test:${id}`,
      kind: 'reply',
      channel: 'sms',
      toMasked: '•••123',
      bodySealed: 'sealed',
      status: 'sent',
      providerSid: messageSid,
    })
    const status = {
      MessageSid: messageSid,
      MessageStatus: 'delivered',
      AccountSid: `AC${'1'.repeat(32)}`,
    }
    probe.failOnce(/^update "outbound_messages"/)
    await expectInjectedFailure(
      await postTwilioWith(probe.db, `${SMS}/status`, status, { idempotencyToken: 'st-9' }),
    )
    const read = async () =>
      (await db.select().from(outboundMessages).where(eq(outboundMessages.id, id)))[0]?.status
    expect(await read()).toBe('sent')
    const retry = await postTwilioWith(probe.db, `${SMS}/status`, status, {
      idempotencyToken: 'st-9',
    })
    expect(retry.status).toBe(200)
    expect(await read()).toBe('delivered')
  })
})
