/**
 * The one way the Worker writes log lines: structured JSON with a fixed set of safe fields.
 * Never query strings, headers, bodies, SQL parameters or a driver's error message — they can
 * carry phone numbers, emails, message text, hashes or sealed blobs. An error is logged as its
 * class name, a short code and a random error id (also returned to the caller where useful).
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from './context'

/** Values a log line may carry: identifiers we mint (ids, codes, counts), never personal data. */
export type LogFields = Record<string, string | number | boolean | null | undefined>

/**
 * Names that never reach a log line, whatever the caller passes: a guard against a future edit
 * that logs a raw value under an innocent-looking key.
 */
const FORBIDDEN_FIELD = /^(detail|message|body|to|from|phone|email|e164|sql|params|query|stack)$/i

function clean(fields: LogFields): LogFields {
  const out: LogFields = {}
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || FORBIDDEN_FIELD.test(key)) continue
    out[key] = typeof value === 'string' ? value.slice(0, 200) : value
  }
  return out
}

/** Writes one info line. */
export function logInfo(msg: string, fields: LogFields = {}): void {
  console.log(JSON.stringify({ level: 'info', msg, ...clean(fields) }))
}

/** Writes one warning line. */
export function logWarn(msg: string, fields: LogFields = {}): void {
  console.warn(JSON.stringify({ level: 'warn', msg, ...clean(fields) }))
}

/** A short random id that ties a log line to what a user or operator saw. */
export function newErrorId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6))
  return `err_${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}

/** The class of an error, safe to log: `D1_ERROR`-style codes survive, messages never do. */
export function errorCode(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(code)
      ? `${err.name}:${code}`
      : err.name
  }
  return typeof err
}

/**
 * Logs a failure by its code and returns the error id. The error's message is deliberately left
 * out: D1 and SDK messages quote bound values (hashes, sealed blobs, password hashes).
 *
 * @example logError('cron step failed', err, { step: 'purge', clinicId })
 */
export function logError(msg: string, err: unknown, fields: LogFields = {}): string {
  const errorId = newErrorId()
  console.error(
    JSON.stringify({ level: 'error', msg, error: errorCode(err), errorId, ...clean(fields) }),
  )
  return errorId
}

/**
 * One line per request: method, route pattern (never the concrete URL, which can hold an id or
 * a query), status and duration. On in production and in tests, so the proof-at-rest scan reads
 * exactly what production would print; off under `wrangler dev`, which logs each request itself.
 */
export const requestLogger: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now()
  await next()
  if (c.env.ENVIRONMENT === 'development') return
  logInfo('request', {
    method: c.req.method,
    route: c.req.routePath,
    status: c.res.status,
    ms: Date.now() - started,
  })
}
