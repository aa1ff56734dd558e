/**
 * RFC 9457 problem details: the one way this Worker reports errors. Throw `problem(...)` (or the
 * helpers) anywhere; `onError` turns it into `application/problem+json`. Anything unexpected becomes
 * a generic 500 body with no stack trace or input echoed back.
 */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ZodError } from 'zod'
import { logError } from './logger'

export type ProblemFieldError = { path: string; message: string }

export type ProblemBody = {
  type: string
  title: string
  status: number
  detail?: string
  errors?: ProblemFieldError[]
}

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Not signed in',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
}

export class ProblemError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly detail?: string,
    readonly errors?: ProblemFieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? TITLES[status] ?? 'Error')
    this.name = 'ProblemError'
  }
}

export function problemBody(
  status: number,
  detail?: string,
  errors?: ProblemFieldError[],
): ProblemBody {
  const body: ProblemBody = {
    type: status === 500 ? 'about:blank' : `https://ringback.dev/problems/${status}`,
    title: TITLES[status] ?? 'Error',
    status,
  }
  if (detail) body.detail = detail
  if (errors?.length) body.errors = errors
  return body
}

export function problemResponse(
  status: ContentfulStatusCode,
  detail?: string,
  errors?: ProblemFieldError[],
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(problemBody(status, detail, errors)), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  })
}

/** Zod issues → `{path, message}` without echoing the rejected input. */
export function zodErrors(error: ZodError): ProblemFieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }))
}

export const badRequest = (detail: string, errors?: ProblemFieldError[]) =>
  new ProblemError(400, detail, errors)
export const unauthorized = (detail = 'Sign in to continue.') => new ProblemError(401, detail)
export const forbidden = (detail = 'You do not have permission to do this.') =>
  new ProblemError(403, detail)
export const notFound = (detail = 'No such resource.') => new ProblemError(404, detail)
export const conflict = (detail: string) => new ProblemError(409, detail)
export const tooManyRequests = (
  retryAfterSeconds: number,
  detail = 'Too many attempts; try again later.',
) =>
  new ProblemError(429, detail, undefined, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  })

/** The app-wide error handler. Never leaks a stack trace or request data. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof ProblemError) {
    return problemResponse(err.status, err.detail, err.errors, err.headers)
  }
  if (err instanceof HTTPException) {
    const status = err.status
    // Hono's body-limit and validator throw HTTPException; map them onto problem+json.
    return problemResponse(
      status,
      status === 413 ? 'The request body is too large.' : err.message || undefined,
    )
  }
  if (err instanceof SyntaxError) {
    return problemResponse(400, 'The request body could not be parsed.')
  }
  // A code, the route pattern and an error id: never the message, which for D1 quotes bound values.
  const errorId = logError('unhandled', err, { route: c.req.routePath, method: c.req.method })
  return problemResponse(500, `Something went wrong on our side (reference ${errorId}).`)
}
