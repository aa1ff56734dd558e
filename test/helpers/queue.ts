/**
 * The queue in tests: an env whose JOBS binding captures what is sent (instead of letting the
 * runtime deliver it in the background), and a drain that feeds the captured jobs through the
 * Worker's real queue handler in batches of ten, as wrangler.toml configures the consumer.
 * D1 is wrapped in a statement counter (src/lib/statement-budget.ts) so tests can measure.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'
import type { JobMessage } from '../../src/jobs/messages'
import { countStatements } from '../../src/lib/statement-budget'

export type DrainOptions = {
  /** Messages per batch (one Worker invocation); 10 like production. */
  batchSize?: number
  /** Called after each batch with its jobs and the D1 statements the invocation issued. */
  onBatch?: (jobs: JobMessage[], statements: number) => void
  /** Collect jobs that asked for a retry instead of failing the test. */
  allowRetries?: boolean
}

export type CapturedQueue = {
  env: Bindings
  /** Jobs sent and not drained yet. */
  pending: JobMessage[]
  /** Every job ever sent, in order. */
  sent: JobMessage[]
  /** D1 statements issued through `env.DB` so far. */
  statements(): number
  /**
   * Runs pending jobs (and whatever they enqueue) until none is left. Returns the jobs that
   * asked for a retry (only with `allowRetries`; otherwise a retry fails the test).
   */
  drain(options?: DrainOptions): Promise<JobMessage[]>
}

let messageSeq = 0

/** An env like the test env, with JOBS captured and DB counted; `overrides` replace bindings. */
export function captureQueue(overrides: Partial<Bindings> = {}): CapturedQueue {
  const pending: JobMessage[] = []
  const sent: JobMessage[] = []
  const jobs = {
    send: async (body: JobMessage) => {
      pending.push(body)
      sent.push(body)
    },
    sendBatch: async (batch: Iterable<MessageSendRequest<JobMessage>>) => {
      const list = [...batch]
      if (list.length > 100) throw new Error('sendBatch takes at most 100 messages')
      for (const m of list) {
        pending.push(m.body)
        sent.push(m.body)
      }
    },
  } as unknown as Queue<JobMessage>
  const counted = countStatements(overrides.DB ?? env.DB)
  const testEnv = { ...env, ...overrides, DB: counted.db, JOBS: jobs } as Bindings
  return {
    env: testEnv,
    pending,
    sent,
    statements: counted.count,
    async drain(options = {}) {
      const retried: JobMessage[] = []
      for (let round = 0; pending.length > 0; round++) {
        if (round > 20_000) throw new Error('queue never drained')
        const bodies = pending.splice(0, options.batchSize ?? 10)
        const batch = createMessageBatch<JobMessage>(
          'ringback-jobs',
          bodies.map((body) => ({
            id: `msg-${++messageSeq}`,
            timestamp: new Date(),
            attempts: 1,
            body,
          })),
        )
        const ctx = createExecutionContext()
        const before = counted.count()
        await worker.queue(batch, testEnv)
        options.onBatch?.(bodies, counted.count() - before)
        const result = await getQueueResult(batch, ctx)
        for (const r of result.retryMessages) {
          const i = batch.messages.findIndex((m) => m.id === r.msgId)
          if (i >= 0) retried.push(bodies[i] as JobMessage)
        }
        if (result.retryMessages.length > 0 && !options.allowRetries) {
          throw new Error(`${result.retryMessages.length} job(s) asked for a retry`)
        }
      }
      return retried
    },
  }
}
