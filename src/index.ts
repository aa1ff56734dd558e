/** The Worker's entry: HTTP, queue consumer, cron, and the Durable Object class export. */
import { createApp } from './app'
import { runScheduled } from './cron'
import type { Bindings } from './env'
import { createConsumer } from './jobs/consumer'
import { jobHandlers } from './jobs/handlers'
import type { JobMessage } from './jobs/messages'

export { ClinicDurableObject } from './clinic/durable-object'

const consume = createConsumer(jobHandlers)

/** The Worker for a given app: the production entry below, and the dev entry (src/dev.ts). */
export function createWorker(app: ReturnType<typeof createApp>) {
  return {
    fetch: app.fetch,
    // The execution context is unused: each job finishes before its message is acked.
    queue: (batch, env, _ctx?: ExecutionContext) => consume(batch, env),
    scheduled: async (controller, env, ctx) => {
      ctx.waitUntil(runScheduled(controller, env))
    },
  } satisfies ExportedHandler<Bindings, JobMessage>
}

export default createWorker(createApp())
