/**
 * Text-back delivery through the real queue plumbing: a batch as the Queues runtime builds it,
 * the consumer's ack/retry decisions, and the dead-letter queue.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../src/index'
import { createConsumer, DLQ_NAME } from '../src/jobs/consumer'
import { jobHandlers } from '../src/jobs/handlers'
import type { JobMessage } from '../src/jobs/messages'
import { createTextBackHandler, type DeliveryDeps } from '../src/textback/deliver'
import { createTestClinic } from './helpers/clinic'
import {
  callRow,
  fakeTwilio,
  liveConfig,
  missedCallWithTextBack,
  outboxRow,
  twilioError,
} from './textback-delivery.fixtures'

function batchOf(queue: string, job: JobMessage, attempts = 1) {
  return createMessageBatch<JobMessage>(queue, [
    { id: crypto.randomUUID(), timestamp: new Date(), attempts, body: job },
  ])
}

/** Runs one batch through a consumer whose text-back handler talks to `deps` (a fake Twilio). */
async function consume(queue: string, job: JobMessage, deps: DeliveryDeps, attempts = 1) {
  const batch = batchOf(queue, job, attempts)
  const ctx = createExecutionContext()
  await createConsumer({ ...jobHandlers, 'text-back': createTextBackHandler(deps) })(batch, env)
  return getQueueResult(batch, ctx)
}

describe('text-back jobs on the queue', () => {
  it('acks a text-back the Worker kept in the outbox (sandbox mode, the real entry point)', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId } = await missedCallWithTextBack(clinic)
    const batch = batchOf('ringback-jobs', job)
    const ctx = createExecutionContext()

    await worker.queue(batch, env)
    const result = await getQueueResult(batch, ctx)

    expect(result.explicitAcks).toEqual([batch.messages[0]!.id])
    expect(result.retryMessages).toEqual([])
    expect((await outboxRow(clinic.clinicId, outboxId)).status).toBe('sandboxed')
  })

  it('acks a sent text-back, and acks its redelivery without sending again', async () => {
    const clinic = await createTestClinic()
    const { job } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio()
    const deps = { fetch: twilio.fetch, config: liveConfig() }

    const first = await consume('ringback-jobs', job, deps)
    const again = await consume('ringback-jobs', job, deps, 2)

    expect(first.explicitAcks).toHaveLength(1)
    expect(again.explicitAcks).toHaveLength(1)
    expect(twilio.requests).toHaveLength(1)
  })

  it('asks for a retry when Twilio answers 5xx', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio(() => twilioError(500, 20500))

    const result = await consume('ringback-jobs', job, {
      fetch: twilio.fetch,
      config: liveConfig(),
    })

    expect(result.explicitAcks).toEqual([])
    expect(result.retryMessages).toHaveLength(1)
    expect((await outboxRow(clinic.clinicId, outboxId)).lastError).toBe('twilio-20500')
  })

  it('asks for a retry when the network fails', async () => {
    const clinic = await createTestClinic()
    const { job } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio(() => new TypeError('Network connection lost'))

    const result = await consume('ringback-jobs', job, {
      fetch: twilio.fetch,
      config: liveConfig(),
    })

    expect(result.retryMessages).toHaveLength(1)
  })

  it('acks a permanent 4xx failure and marks the text-back failed at once, without retrying', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId, callId } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio(() => twilioError(400, 21614))

    const result = await consume('ringback-jobs', job, {
      fetch: twilio.fetch,
      config: liveConfig(),
    })

    expect(result.explicitAcks).toHaveLength(1)
    expect(result.retryMessages).toEqual([])
    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      status: 'failed',
      lastError: 'twilio-21614',
    })
    expect((await callRow(clinic.clinicId, callId)).textBackStatus).toBe('failed')
  })

  it('marks the text-back failed when its message reaches the dead-letter queue', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId, callId } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio(() => twilioError(503, 20503))
    const deps = { fetch: twilio.fetch, config: liveConfig() }
    // Retries exhausted on the main queue…
    await consume('ringback-jobs', job, deps, 6)

    // …then the DLQ consumer (the real entry point) records the failure for a human.
    const batch = batchOf(DLQ_NAME, job)
    const ctx = createExecutionContext()
    await worker.queue(batch, env)
    const result = await getQueueResult(batch, ctx)

    expect(result.explicitAcks).toHaveLength(1)
    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      status: 'failed',
      lastError: 'twilio-20503',
    })
    expect((await callRow(clinic.clinicId, callId)).textBackStatus).toBe('failed')
    expect(twilio.requests).toHaveLength(1)
  })
})
