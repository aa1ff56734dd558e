/**
 * The webhook path feeds attribution right after Twilio's answer: a missed call's webhooks hand
 * their event to the clinic's Durable Object inside the request's `waitUntil`, so a booking
 * posted a second later is `recovered` in its own response — no queue involved. If the object
 * cannot be reached, the event goes to the queue instead, and the job settles it.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it } from 'vitest'
import worker from '../src/index'
import type { JobMessage } from '../src/jobs/messages'
import { api, BASE } from './helpers/clinic'
import { twilioSignatureFor } from './helpers/twilio'
import { type CallParams, createClinic, newCallSid, newMobile, spyOnJobs } from './helpers/voice'

let jobs: ReturnType<typeof spyOnJobs>
afterEach(() => jobs?.restore())

/** A signed Twilio webhook through the Worker with `bindings`, waiting for its `waitUntil` work. */
async function webhook(bindings: typeof env, path: string, params: Record<string, string>) {
  const url = `${BASE}${path}`
  const ctx = createExecutionContext()
  const res = await worker.fetch(
    new Request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignatureFor(url, params),
      },
      body: new URLSearchParams(params),
    }),
    bindings,
    ctx,
  )
  expect(res.status).toBe(200)
  await waitOnExecutionContext(ctx)
}

/** A call that rings and is not answered: its first webhook and its dial result. */
async function missedCall(bindings: typeof env, call: CallParams) {
  await webhook(bindings, '/webhooks/twilio/voice', {
    ...call,
    Direction: 'inbound',
    CallStatus: 'ringing',
  })
  await webhook(bindings, '/webhooks/twilio/voice/dial-result', {
    ...call,
    Direction: 'inbound',
    CallStatus: 'in-progress',
    DialCallStatus: 'no-answer',
  })
}

async function runJobs(messages: JobMessage[]) {
  const batch = createMessageBatch<JobMessage>(
    'ringback-jobs',
    messages.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  )
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  return getQueueResult(batch, ctx)
}

async function book(clinic: Awaited<ReturnType<typeof createClinic>>, phone: string) {
  const owner = await clinic.as('owner')
  const res = await api('POST', '/api/v1/appointments', { phone, valuePence: 24000 }, owner.headers)
  expect(res.status).toBe(201)
  return (await res.json()) as {
    id: string
    attribution: { status: string; callId: string | null }
  }
}

describe('attribution from webhooks', () => {
  it('a booking posted right after a missed call’s webhooks is recovered in its own response, with no queue', async () => {
    const clinic = await createClinic()
    jobs = spyOnJobs()
    const from = newMobile()
    await missedCall(env, { CallSid: newCallSid(), From: from, To: clinic.trackingNumber })
    // Nothing was queued for attribution, and no queue is drained.
    expect(jobs.attribution).toEqual([])

    const body = await book(clinic, from)
    expect(body.attribution.status).toBe('recovered')
    expect(body.attribution.callId).not.toBeNull()
  })

  it('queues the event when the clinic object cannot be reached, and the job settles it', async () => {
    const clinic = await createClinic()
    jobs = spyOnJobs()
    const from = newMobile()
    const call = { CallSid: newCallSid(), From: from, To: clinic.trackingNumber }
    // The clinic's object refuses attribution (e.g. overloaded); everything else is real.
    const unreachable = {
      getByName: (name: string) => {
        const stub = env.CLINIC.getByName(name)
        return new Proxy(stub, {
          get(target, property) {
            if (property === 'settleAttribution') {
              return () => Promise.reject(new Error('Durable Object is overloaded'))
            }
            const value = Reflect.get(target, property)
            return typeof value === 'function' ? value.bind(target) : value
          },
        })
      },
    } as unknown as typeof env.CLINIC
    await missedCall({ ...env, CLINIC: unreachable }, call)

    const events = jobs.attribution.filter((j) => j.clinicId === clinic.clinicId)
    const missed = events.find((j) => j.event.kind === 'inbound-call')
    expect(missed?.event).toMatchObject({
      status: 'missed',
      callerHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    // No raw number travels in an attribution job.
    expect(JSON.stringify(events)).not.toContain(from.slice(1))
    const booked = await book(clinic, from)
    expect(booked.attribution.status).toBe('unattributed')

    const result = await runJobs(events)
    expect(result.explicitAcks.length).toBe(events.length)
    const owner = await clinic.as('owner')
    const later = (await (
      await api('GET', `/api/v1/appointments/${booked.id}`, undefined, owner.headers)
    ).json()) as { attribution: { status: string } }
    expect(later.attribution.status).toBe('recovered')
  })
})
