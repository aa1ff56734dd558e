/**
 * The queue consumer: dispatches each message to its handler, acks on success, retries with
 * exponential backoff on failure. A job that is dead (its message is on the dead-letter queue,
 * or it failed permanently) reaches a human: the failure is recorded first (one D1 statement),
 * then the handler's own `deadLetter` runs, then the clinic's owners and admins are alerted.
 */
import type { Bindings } from '../env'
import { logError, logWarn } from '../lib/logger'
import { alertClinic, type FailureRef, failureRef, recordJobFailure } from './failures'
import type { JobMessage, JobType } from './messages'

export class PermanentJobError extends Error {
  override name = 'PermanentJobError'
}

/**
 * Retry this job later, after `delaySeconds` when the failure said how long (e.g. a model's
 * `retry-after`), else with the usual backoff. Still counts against the job's retries.
 */
export class RetryLaterError extends Error {
  override name = 'RetryLaterError'
  constructor(
    message: string,
    readonly delaySeconds?: number,
  ) {
    super(message)
  }
}

export type JobHandler<T extends JobMessage = JobMessage> = {
  /** What it resolves to (an outcome, for tests and logs) is not the consumer's business. */
  run(job: T, env: Bindings, attempt: number): Promise<unknown>
  deadLetter(job: T, env: Bindings): Promise<unknown>
}

export type JobHandlers = { [K in JobType]: JobHandler<Extract<JobMessage, { type: K }>> }

export const DLQ_NAME = 'ringback-jobs-dlq'
/**
 * Deliveries a dead letter gets (wrangler.toml: the DLQ consumer's max_retries = 3, plus the
 * first). After the last one the message is gone, so that attempt logs it at error level.
 */
export const DLQ_MAX_ATTEMPTS = 4

/** Backoff for retry n (1-based): 2, 4, 8, 16, 32 seconds… capped at 5 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(1, attempts))
}

/**
 * Makes a dead job visible: record (first: the cheapest, most reliable step), the handler's own
 * clean-up, then an alert email for a clinic's job. A failed email job is recorded and never
 * emailed about (that could loop); a platform job, with no clinic to tell, is logged at error
 * level (there is no operator tenant yet) and listed in job_failures with a null clinic.
 */
async function handleDeadJob(
  handler: JobHandler,
  job: JobMessage,
  env: Bindings,
  messageId: string,
  ref: FailureRef,
): Promise<void> {
  const now = Date.now()
  const rowId = await recordJobFailure(env.DB, ref, messageId, now)
  await handler.deadLetter(job, env)
  if (ref.clinicId === null) {
    logError('platform job dead-lettered', new Error('dead letter'), {
      type: ref.jobType,
      ref: ref.ref,
    })
  } else if (job.type !== 'email') {
    await alertClinic(env, ref.clinicId, rowId, now)
  }
}

export function createConsumer(handlers: JobHandlers) {
  return async function consume(batch: MessageBatch<JobMessage>, env: Bindings): Promise<void> {
    const deadLetter = batch.queue === DLQ_NAME || batch.queue.endsWith('-dlq')
    // A batch's messages run side by side: a patient's AI reply does not wait behind another's
    // model call. Each is acked or retried on its own; the daily jobs keep to their statement
    // budgets, so ten together stay under one invocation's D1 limit.
    await Promise.all(batch.messages.map(handle))

    async function handle(message: Message<JobMessage>): Promise<void> {
      const job = message.body
      const handler = handlers[job?.type as JobType] as JobHandler | undefined
      if (!handler) {
        // Unknown message: nothing can ever handle it; drop it rather than loop.
        logWarn('unknown job type', { queue: batch.queue, id: message.id })
        message.ack()
        return
      }
      let ref: FailureRef | null = null
      try {
        if (deadLetter) {
          ref = await failureRef(job)
          await handleDeadJob(handler, job, env, message.id, ref)
        } else {
          await handler.run(job, env, message.attempts)
        }
        message.ack()
      } catch (err) {
        if (deadLetter) {
          if (message.attempts >= DLQ_MAX_ATTEMPTS) {
            // The queue drops it after this: say so loudly, with the safe ids.
            logError('dead letter dropped', err, {
              type: job.type,
              clinicId: ref?.clinicId ?? null,
              ref: ref?.ref ?? null,
              attempt: message.attempts,
            })
            message.ack()
          } else {
            logError('dead letter handling failed', err, {
              type: job.type,
              attempt: message.attempts,
            })
            message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
          }
          return
        }
        logError('job failed', err, { type: job.type, attempt: message.attempts })
        if (err instanceof PermanentJobError) {
          // Retrying cannot help: it is dead now. If recording it fails, the retry will fail
          // permanently again and come back here.
          try {
            await handleDeadJob(handler, job, env, message.id, await failureRef(job))
            message.ack()
          } catch (deadErr) {
            logError('dead letter handling failed', deadErr, { type: job.type })
            message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
          }
        } else {
          const asked = err instanceof RetryLaterError ? err.delaySeconds : undefined
          const delaySeconds =
            asked !== undefined && Number.isFinite(asked)
              ? Math.min(300, Math.max(1, Math.ceil(asked)))
              : retryDelaySeconds(message.attempts)
          message.retry({ delaySeconds })
        }
      }
    }
  }
}
