/**
 * The queue consumer: dispatches each message to its handler, acks on success, retries with
 * exponential backoff on failure, and on the dead-letter queue hands the message to the handler's
 * `deadLetter` so the failure is recorded for a human.
 */
import type { Bindings } from '../env'
import { logError, logWarn } from '../lib/logger'
import type { JobMessage, JobType } from './messages'

export class PermanentJobError extends Error {
  override name = 'PermanentJobError'
}

export type JobHandler<T extends JobMessage = JobMessage> = {
  run(job: T, env: Bindings, attempt: number): Promise<void>
  deadLetter(job: T, env: Bindings): Promise<void>
}

export type JobHandlers = { [K in JobType]: JobHandler<Extract<JobMessage, { type: K }>> }

export const DLQ_NAME = 'ringback-jobs-dlq'

/** Backoff for retry n (1-based): 2, 4, 8, 16, 32 seconds… capped at 5 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(1, attempts))
}

export function createConsumer(handlers: JobHandlers) {
  return async function consume(batch: MessageBatch<JobMessage>, env: Bindings): Promise<void> {
    const deadLetter = batch.queue === DLQ_NAME || batch.queue.endsWith('-dlq')
    for (const message of batch.messages) {
      const job = message.body
      const handler = handlers[job?.type as JobType] as JobHandler | undefined
      if (!handler) {
        // Unknown message: nothing can ever handle it; drop it rather than loop.
        logWarn('unknown job type', { queue: batch.queue, id: message.id })
        message.ack()
        continue
      }
      try {
        if (deadLetter) await handler.deadLetter(job, env)
        else await handler.run(job, env, message.attempts)
        message.ack()
      } catch (err) {
        logError('job failed', err, { type: job.type, attempt: message.attempts })
        if (err instanceof PermanentJobError && !deadLetter) {
          await handler.deadLetter(job, env)
          message.ack()
        } else {
          message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
        }
      }
    }
  }
}
