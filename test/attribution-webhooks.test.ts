/**
 * The webhook path feeds attribution through the queue: a missed call's webhooks enqueue an
 * `attribution` job (so Twilio gets its answer without waiting on the clinic's Durable Object),
 * and running that job through the Worker's queue handler makes a later booking `recovered`.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it } from 'vitest'
import worker from '../src/index'
import type { JobMessage } from '../src/jobs/messages'
import { api } from './helpers/clinic'
import { createClinic, newCallSid, newMobile, spyOnJobs, voice } from './helpers/voice'

let jobs: ReturnType<typeof spyOnJobs>
afterEach(() => jobs?.restore())

async function runJobs(messages: JobMessage[]) {
  const batch = createMessageBatch<JobMessage>(
    'ringback-jobs',
    messages.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  )
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  return getQueueResult(batch, ctx)
}

describe('attribution from webhooks', () => {
  it('queues an attribution event for a missed call instead of settling inline', async () => {
    const clinic = await createClinic()
    jobs = spyOnJobs()
    const call = { CallSid: newCallSid(), From: newMobile(), To: clinic.trackingNumber }
    expect((await voice.incoming(call)).status).toBe(200)
    expect((await voice.dialResult(call, 'no-answer')).status).toBe(200)

    const events = jobs.attribution.filter((j) => j.clinicId === clinic.clinicId)
    expect(events.map((j) => j.event.kind)).toContain('inbound-call')
    const missed = events.find((j) => j.event.kind === 'inbound-call')
    expect(missed?.event).toMatchObject({
      status: 'missed',
      callerHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    // No raw number travels in an attribution job.
    expect(JSON.stringify(events)).not.toContain(call.From.slice(1))
  })

  it('a booking after the queued missed-call event is recovered once the job has run', async () => {
    const clinic = await createClinic()
    const owner = await clinic.as('owner')
    jobs = spyOnJobs()
    const from = newMobile()
    const call = { CallSid: newCallSid(), From: from, To: clinic.trackingNumber }
    await voice.incoming(call)
    await voice.dialResult(call, 'no-answer')

    const result = await runJobs(jobs.attribution)
    expect(result.explicitAcks.length).toBe(jobs.attribution.length)

    const res = await api(
      'POST',
      '/api/v1/appointments',
      { phone: from, valuePence: 24000 },
      owner.headers,
    )
    expect(res.status).toBe(201)
    const body = (await res.json()) as { attribution: { status: string; callId: string | null } }
    expect(body.attribution.status).toBe('recovered')
    expect(body.attribution.callId).not.toBeNull()
  })
})
