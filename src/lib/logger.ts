/**
 * Structured request logs: method, route path, status and duration only. Never query strings,
 * headers or bodies — they can carry phone numbers, emails or message text.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from './context'

export const requestLogger: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now()
  await next()
  if (c.env.ENVIRONMENT === 'test') return
  console.log(
    JSON.stringify({
      level: 'info',
      method: c.req.method,
      path: c.req.routePath,
      status: c.res.status,
      ms: Date.now() - started,
    }),
  )
}
