/**
 * D1 round trips per webhook (each statement run and each batch is one), counted through a
 * wrapped binding with the line cache warm. The bounds are the figures in docs/PERFORMANCE.md:
 * a change that adds a round trip to a webhook fails here.
 */
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { outboundMessages } from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { clinicKeyring } from '../src/privacy/crypto'
import { createTestClinic } from './helpers/clinic'
import { type D1Probe, postTwilioWith, probeD1 } from './helpers/d1'
import { type CallParams, newCallSid, newMobile, spyOnJobs } from './helpers/voice'

let jobs: ReturnType<typeof spyOnJobs>
let probe: D1Probe
beforeEach(() => {
  jobs = spyOnJobs()
  probe = probeD1()
})
afterEach(() => jobs.restore())

const VOICE = '/webhooks/twilio/voice'

async function count(path: string, params: Record<string, string>) {
  probe.reset()
  const res = await postTwilioWith(probe.db, path, params, {
    idempotencyToken: crypto.randomUUID(),
  })
  expect(res.status).toBe(200)
  return probe.roundTrips
}

/** A clinic whose data key exists already (its first use creates it: two more round trips, once). */
async function clinicWithKey() {
  const clinic = await createTestClinic()
  await clinicKeyring(createDb(env.DB), getConfig(env), clinic.clinicId)
  return clinic
}

async function warmCall(from = newMobile()) {
  const clinic = await clinicWithKey()
  const p: CallParams = { CallSid: newCallSid(), From: from, To: clinic.trackingNumber }
  const counts = {
    voice: await count(VOICE, { ...p, Direction: 'inbound', CallStatus: 'ringing' }),
  }
  return { clinic, p, counts }
}

describe('D1 round trips per webhook (line cache warm)', () => {
  it('voice: 1; dial-result answered: 3; status completed after it: 2', async () => {
    const { p, counts } = await warmCall('+442079460999')
    expect(counts.voice).toBeLessThanOrEqual(2) // cold cache: the line is read first
    const again = await warmCall('+442079460998')
    const second = { ...again.p, CallSid: newCallSid() }
    expect(await count(VOICE, { ...second, Direction: 'inbound', CallStatus: 'ringing' })).toBe(1)
    const dial = {
      ...p,
      Direction: 'inbound',
      CallStatus: 'in-progress',
      DialCallStatus: 'completed',
    }
    expect(await count(`${VOICE}/dial-result`, dial)).toBe(3)
    const status = { ...p, Direction: 'inbound', CallStatus: 'completed', CallDuration: '40' }
    expect(await count(`${VOICE}/status`, status)).toBe(2)
  })

  it('dial-result missed with a text-back: 8; then its recording: 6', async () => {
    const { p } = await warmCall()
    const dial = {
      ...p,
      Direction: 'inbound',
      CallStatus: 'in-progress',
      DialCallStatus: 'no-answer',
    }
    const missed = await count(`${VOICE}/dial-result`, dial)
    const recording = await count(`${VOICE}/recording`, {
      CallSid: p.CallSid,
      RecordingSid: `RE${p.CallSid.slice(2)}`,
      RecordingStatus: 'completed',
      RecordingDuration: '9',
    })
    expect(missed).toBe(8)
    expect(recording).toBe(6)
  })

  it('messaging: an inbound message: 6; a STOP: 5; a status callback (unknown message): 1', async () => {
    const clinic = await clinicWithKey()
    const sms = (body: string) => ({
      MessageSid: `SM${crypto.randomUUID().replace(/-/g, '')}`,
      From: newMobile(),
      To: clinic.trackingNumber,
      Body: body,
    })
    const plain = await count('/webhooks/twilio/messaging', sms('Can I book for Tuesday?'))
    const stop = await count('/webhooks/twilio/messaging', sms('STOP'))
    const status = await count('/webhooks/twilio/messaging/status', {
      MessageSid: `SM${crypto.randomUUID().replace(/-/g, '')}`,
      MessageStatus: 'delivered',
    })
    expect(plain).toBe(6)
    expect(stop).toBe(5)
    expect(status).toBe(1)
  })

  it('messaging status for a message we sent: 4', async () => {
    const clinic = await clinicWithKey()
    const sid = `SM${crypto.randomUUID().replace(/-/g, '')}`
    const id = newId('msg')
    await createDb(env.DB)
      .insert(outboundMessages)
      .values({
        id,
        clinicId: clinic.clinicId,
        dedupeKey: `test:${id}`,
        kind: 'reply',
        channel: 'sms',
        toMasked: '•••123',
        bodySealed: 'sealed',
        status: 'sent',
        providerSid: sid,
      })
    expect(
      await count('/webhooks/twilio/messaging/status', {
        MessageSid: sid,
        MessageStatus: 'delivered',
      }),
    ).toBe(4)
  })
})
