/**
 * Logs hold no personal data and no SQL parameters: an unexpected failure is logged as a code,
 * the route pattern and an error id, never the driver's message (which quotes bound values).
 */
import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AppEnv } from '../src/lib/context'
import { errorCode, logError, logInfo, requestLogger } from '../src/lib/logger'
import { handleError } from '../src/lib/problem'

const SECRET_VALUE = '+447700900123'

function captureConsole(): string[] {
  const lines: string[] = []
  for (const level of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '))
    })
  }
  return lines
}

afterEach(() => vi.restoreAllMocks())

describe('error logging', () => {
  it('logs a failed D1 statement by code, route and error id, without the bound values', async () => {
    const lines = captureConsole()
    const app = new Hono<AppEnv>()
    app.onError(handleError)
    app.get('/things/:id', async () => {
      // A constraint failure: D1's message quotes the statement's values.
      await env.DB.prepare('CREATE TABLE IF NOT EXISTS log_probe (v TEXT NOT NULL UNIQUE)').run()
      await env.DB.prepare('INSERT INTO log_probe (v) VALUES (?)').bind(SECRET_VALUE).run()
      await env.DB.prepare('INSERT INTO log_probe (v) VALUES (?)').bind(SECRET_VALUE).run()
      return new Response('unreachable')
    })
    const res = await app.request('/things/123?phone=07700900123', {}, env)
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const body = (await res.json()) as { detail: string }
    const [line] = lines
    expect(lines).toHaveLength(1)
    const logged = JSON.parse(line as string) as Record<string, string>
    expect(logged).toMatchObject({ level: 'error', msg: 'unhandled', route: '/things/:id' })
    expect(logged.errorId).toMatch(/^err_[0-9a-f]{12}$/)
    // The same reference reaches the user, so support can find the line.
    expect(body.detail).toContain(logged.errorId)
    expect(line).not.toContain('900123')
    expect(line).not.toContain('log_probe')
    expect(JSON.stringify(body)).not.toContain('900123')
  })

  it('drops fields that could carry personal data, whatever the caller passes', () => {
    const lines = captureConsole()
    logInfo('probe', { callId: 'call_1', phone: SECRET_VALUE, body: 'hello', email: 'a@b.c' })
    logError('probe', new Error(`failed for ${SECRET_VALUE}`), { detail: SECRET_VALUE })
    expect(lines.join('\n')).not.toContain('900123')
    expect(lines.join('\n')).not.toContain('a@b.c')
    expect(JSON.parse(lines[0] as string)).toEqual({
      level: 'info',
      msg: 'probe',
      callId: 'call_1',
    })
  })

  it('names an error by its class and a safe code only', () => {
    expect(errorCode(new TypeError('x'))).toBe('TypeError')
    expect(errorCode(Object.assign(new Error('y'), { code: 'SQLITE_CONSTRAINT' }))).toBe(
      'Error:SQLITE_CONSTRAINT',
    )
    expect(errorCode(Object.assign(new Error('y'), { code: 'has spaces +4477' }))).toBe('Error')
  })
})

describe('request logging', () => {
  it('writes one line per request with the route pattern, never the concrete path or query', async () => {
    const lines = captureConsole()
    const app = new Hono<AppEnv>()
    app.use('*', requestLogger)
    app.get('/leads/:id', (c) => c.text('ok'))
    await app.request('/leads/lead_123?email=someone%40example.org', {}, env)
    expect(lines).toHaveLength(1)
    const logged = JSON.parse(lines[0] as string) as Record<string, unknown>
    expect(logged).toMatchObject({
      msg: 'request',
      method: 'GET',
      route: '/leads/:id',
      status: 200,
    })
    expect(lines[0]).not.toContain('lead_123')
    expect(lines[0]).not.toContain('example.org')
  })
})
