/**
 * Work that must not delay the answer: handlers hand it over as a thunk with
 * `c.var.afterResponse(task)`, and this middleware starts each task only once the response exists,
 * under `waitUntil` — so a webhook's D1 round trips are all on its own path, and Twilio never
 * waits for attribution or metrics.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from './context'

/** Schedules a task to start after the response is ready. */
export type AfterResponse = (task: () => Promise<unknown>) => void

export const afterResponse: MiddlewareHandler<AppEnv> = async (c, next) => {
  const tasks: (() => Promise<unknown>)[] = []
  c.set('afterResponse', (task) => {
    tasks.push(task)
  })
  await next()
  for (const task of tasks) {
    let ctx: Pick<ExecutionContext, 'waitUntil'> | undefined
    try {
      ctx = c.executionCtx
    } catch {
      // No execution context (a bare app.request in a unit test): finish the work before answering.
      ctx = undefined
    }
    // A timer, not a microtask: the task starts once the response has been handed back.
    if (ctx) ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 0)).then(task))
    else await task()
  }
}
