// Work handed to afterResponse starts only once the response is out, and still finishes.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { afterResponse } from '../src/lib/after-response'
import type { AppEnv } from '../src/lib/context'

describe('afterResponse', () => {
  it('starts each task after the response is returned, under waitUntil', async () => {
    const events: string[] = []
    const app = new Hono<AppEnv>()
    app.use('*', afterResponse)
    app.get('/', (c) => {
      c.var.afterResponse(async () => {
        events.push('task started')
      })
      events.push('handler answered')
      return c.text('ok')
    })
    const ctx = createExecutionContext()
    const res = await app.fetch(new Request('https://ringback.test/'), env, ctx)
    events.push('response received')
    expect(await res.text()).toBe('ok')
    await waitOnExecutionContext(ctx)
    expect(events).toEqual(['handler answered', 'response received', 'task started'])
  })

  it('runs the tasks before answering when there is no execution context', async () => {
    const events: string[] = []
    const app = new Hono<AppEnv>()
    app.use('*', afterResponse)
    app.get('/', (c) => {
      c.var.afterResponse(async () => {
        events.push('task')
      })
      return c.text('ok')
    })
    await app.request('/')
    expect(events).toEqual(['task'])
  })
})
