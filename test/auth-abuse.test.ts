/**
 * Abuse controls that cannot be raced nor turned against users: login throttling per client and
 * account (parallel guesses included), the per-client and per-account limits, sign-up limits and
 * Turnstile (real path against a fake verifier, sandbox path sending nothing).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { logIn } from '../src/auth/service'
import { ACCOUNT_POLICY, CLIENT_POLICY, clientBucket, PAIR_POLICY } from '../src/auth/throttle'
import { createDb } from '../src/db/client'
import { users } from '../src/db/schema'
import { type Bindings, getConfig } from '../src/env'
import worker from '../src/index'
import { ProblemError } from '../src/lib/problem'
import { verifyTurnstile } from '../src/lib/turnstile'
import { userEmailLookup } from '../src/privacy/crypto'
import { testIp } from './helpers/abuse'
import { api, ORIGIN } from './helpers/clinic'

const db = createDb(env.DB)
const config = getConfig(env)
const PASSWORD = 'correct-horse-battery'
let n = 0
const newEmail = (tag = 'abuse') => `${tag}.${++n}.${Date.now()}@abuse.test`

async function signUp(email = newEmail()) {
  const res = await api(
    'POST',
    '/api/v1/auth/signup',
    { clinicName: 'Abuse Clinic', email, password: PASSWORD },
    { origin: ORIGIN, 'cf-connecting-ip': testIp() },
  )
  expect(res.status).toBe(201)
  return email
}

const login = (email: string, password: string, ip: string) =>
  api('POST', '/api/v1/auth/login', { email, password }, { 'cf-connecting-ip': ip })

describe('login throttling by client and account', () => {
  it('25 wrong passwords in parallel from one client: 5 are checked, the rest 429, and the pair stays locked', async () => {
    const email = await signUp()
    const attacker = testIp()
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) => login(email, `wrong-guess-${i}-xxxx`, attacker)),
    )
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(PAIR_POLICY.max)
    expect(statuses.filter((s) => s === 429)).toHaveLength(25 - PAIR_POLICY.max)
    const refused = answers.find((r) => r.status === 429)!
    expect(refused.headers.get('content-type')).toBe('application/problem+json')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)

    // The right password from the locked client is refused while the lock lasts.
    const right = await login(email, PASSWORD, attacker)
    expect(right.status).toBe(429)
    const retryAfter = Number(right.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(14 * 60)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)
    // The owner, from another client, signs in.
    expect((await login(email, PASSWORD, testIp())).status).toBe(200)
  })

  it('one client spraying many accounts is locked across all of them; other clients are not', {
    timeout: 30_000,
  }, async () => {
    const sprayer = testIp()
    // In parallel too: the client counter admits exactly its limit, however the requests race.
    const statuses = (
      await Promise.all(
        Array.from({ length: CLIENT_POLICY.max + 5 }, () =>
          login(newEmail('spray'), 'Winter2026!', sprayer),
        ),
      )
    ).map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(CLIENT_POLICY.max)
    expect(statuses.filter((s) => s === 429)).toHaveLength(5)
    const email = await signUp()
    expect((await login(email, PASSWORD, sprayer)).status).toBe(429)
    expect((await login(email, PASSWORD, testIp())).status).toBe(200)
  })

  it('many clients against one account only slow it down: a short lock, then the owner signs in', async () => {
    const email = await signUp()
    const start = Date.now()
    /** The status, and for a 429 the wait in ms. */
    const attempt = (password: string, now: number, ip = testIp()) =>
      logIn(db, config, { email, password }, { now, clientIp: ip }).then(
        () => ({ status: 200, waitMs: 0 }),
        (err: unknown) => {
          if (!(err instanceof ProblemError)) throw err
          return { status: err.status, waitMs: Number(err.headers['retry-after'] ?? 0) * 1000 }
        },
      )
    for (let i = 0; i < ACCOUNT_POLICY.max; i++) {
      expect((await attempt(`botnet-guess-${i}-xx`, start + i)).status).toBe(401)
    }
    // The ceiling is reached: every client waits, but for a minute at most, never 15.
    const refused = await attempt(PASSWORD, start + ACCOUNT_POLICY.max)
    expect(refused.status).toBe(429)
    expect(refused.waitMs).toBeGreaterThan(0)
    expect(refused.waitMs).toBeLessThanOrEqual(ACCOUNT_POLICY.lockMs)
    // Refused at the account ceiling, the owner's own client is not charged an attempt: more
    // tries than the pair limit during the lock do not lock the owner's pair.
    const owner = testIp()
    for (let i = 0; i < PAIR_POLICY.max + 2; i++) {
      expect((await attempt(PASSWORD, start + ACCOUNT_POLICY.max + 1 + i, owner)).status).toBe(429)
    }
    const later = start + ACCOUNT_POLICY.max + ACCOUNT_POLICY.lockMs + 10
    expect((await attempt(PASSWORD, later, owner)).status).toBe(200)
  })

  it('a device that signed in before is exempt from the account ceiling, so a botnet cannot keep the owner out', async () => {
    const email = await signUp()
    // Signing in through the API remembers the device (signed cookie, no email in it).
    const first = await login(email, PASSWORD, testIp())
    expect(first.status).toBe(200)
    const setCookie = first.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/__Host-rb_device=/)
    expect(setCookie).not.toContain(encodeURIComponent(email))
    const device = /(__Host-rb_device=[^;]*)/.exec(setCookie)?.[1] ?? ''

    // A botnet fills the account ceiling from many clients.
    await Promise.all(
      Array.from({ length: ACCOUNT_POLICY.max + 3 }, (_, i) =>
        login(email, `botnet-guess-${i}-xx`, testIp()),
      ),
    )
    expect((await login(email, PASSWORD, testIp())).status).toBe(429)
    // The owner's remembered device still signs in, from a new network too.
    const owner = await api(
      'POST',
      '/api/v1/auth/login',
      { email, password: PASSWORD },
      { 'cf-connecting-ip': testIp(), cookie: device },
    )
    expect(owner.status).toBe(200)
    // A forged mark is worth nothing.
    const forged = await api(
      'POST',
      '/api/v1/auth/login',
      { email, password: PASSWORD },
      { 'cf-connecting-ip': testIp(), cookie: `__Host-rb_device=${'a'.repeat(64)}.AAAA` },
    )
    expect(forged.status).toBe(429)
  })

  it('IPv6 clients are counted per /64, so rotating addresses in one subscriber block does not help', () => {
    expect(clientBucket('2001:db8:1:2::1')).toBe(clientBucket('2001:db8:1:2:ffff:ffff:ffff:ffff'))
    expect(clientBucket('2001:db8:1:2::1')).not.toBe(clientBucket('2001:db8:1:3::1'))
    expect(clientBucket('2001:DB8:0001:0002:0:0:0:9')).toBe('2001:0db8:0001:0002::/64')
    expect(clientBucket('::ffff:192.0.2.7')).toBe('192.0.2.7')
    expect(clientBucket(' 203.0.113.9 ')).toBe('203.0.113.9')
  })

  it('a refused or failed sign-in changes nothing on the account', async () => {
    const email = await signUp()
    const lookup = await userEmailLookup(config, email)
    const [before] = await db.select().from(users).where(eq(users.emailLookup, lookup))
    const ip = testIp()
    for (let i = 0; i < PAIR_POLICY.max + 1; i++) await login(email, `nope-${i}-xxxxxxxx`, ip)
    const [after] = await db.select().from(users).where(eq(users.emailLookup, lookup))
    expect(after).toEqual(before)
  })
})

describe('sign-up limits', () => {
  it('one client signing up too often gets 429 with Retry-After and creates nothing; another client is fine', async () => {
    const ip = testIp()
    const answers = []
    const emails: string[] = []
    for (let i = 0; i < 7; i++) {
      const email = newEmail('flood')
      emails.push(email)
      answers.push(
        await api(
          'POST',
          '/api/v1/auth/signup',
          { clinicName: 'Flood', email, password: PASSWORD },
          { origin: ORIGIN, 'cf-connecting-ip': ip },
        ),
      )
    }
    const limited = answers
      .map((r, i) => ({ r, email: emails[i]! }))
      .filter((x) => x.r.status === 429)
    expect(limited.length).toBeGreaterThan(0)
    expect(limited[0]!.r.headers.get('content-type')).toBe('application/problem+json')
    expect(Number(limited[0]!.r.headers.get('retry-after'))).toBeGreaterThan(0)
    for (const { email } of limited) {
      const lookup = await userEmailLookup(config, email.toLowerCase())
      expect(await db.select().from(users).where(eq(users.emailLookup, lookup))).toHaveLength(0)
    }
    await signUp()
  })
})

describe('Turnstile', () => {
  const VERIFY_URL = 'https://turnstile.fake/siteverify'
  const realConfig = {
    turnstile: { secretKey: 'real-secret', verifyUrl: VERIFY_URL, siteKey: 'site-key-1' },
  }

  /** A fake siteverify: `good-token` passes; records what was sent. */
  function fakeVerifier() {
    const seen: URLSearchParams[] = []
    const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input)
      if (url !== VERIFY_URL) throw new Error(`unexpected fetch to ${url}`)
      const body = new URLSearchParams(String(init?.body ?? ''))
      seen.push(body)
      return Response.json({ success: body.get('response') === 'good-token' })
    }) as typeof fetch
    return { seen, fetchImpl }
  }

  afterEach(() => vi.restoreAllMocks())

  it('the real path sends secret, response and remote IP, and trusts only success: true', async () => {
    const { seen, fetchImpl } = fakeVerifier()
    expect(await verifyTurnstile(realConfig, 'good-token', '203.0.113.9', fetchImpl)).toBe(true)
    expect(seen[0]?.get('secret')).toBe('real-secret')
    expect(seen[0]?.get('response')).toBe('good-token')
    expect(seen[0]?.get('remoteip')).toBe('203.0.113.9')
    expect(await verifyTurnstile(realConfig, 'bad-token', null, fetchImpl)).toBe(false)
    // Missing or oversized tokens never leave; an unreachable verifier fails closed.
    expect(await verifyTurnstile(realConfig, undefined, null, fetchImpl)).toBe(false)
    expect(await verifyTurnstile(realConfig, 'x'.repeat(3000), null, fetchImpl)).toBe(false)
    expect(seen).toHaveLength(2)
    const down = (async () => {
      throw new TypeError('network down')
    }) as typeof fetch
    expect(await verifyTurnstile(realConfig, 'good-token', null, down)).toBe(false)
    const broken = (async () => new Response('oops', { status: 500 })) as typeof fetch
    expect(await verifyTurnstile(realConfig, 'good-token', null, broken)).toBe(false)
  })

  it('sandbox mode passes every token and sends nothing', async () => {
    const fetchImpl = vi.fn() as unknown as typeof fetch
    const sandbox = { turnstile: { secretKey: null, verifyUrl: VERIFY_URL, siteKey: null } }
    expect(await verifyTurnstile(sandbox, undefined, null, fetchImpl)).toBe(true)
    expect(fetchImpl).not.toHaveBeenCalled()
  })

  /** The Worker with Turnstile in real mode, against the fake verifier (global fetch stubbed). */
  function realModeWorker() {
    const { seen, fetchImpl } = fakeVerifier()
    const original = globalThis.fetch
    vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      return url === VERIFY_URL ? fetchImpl(input, init) : original(input, init)
    })
    const realEnv: Bindings = {
      ...env,
      TURNSTILE_SECRET_KEY: 'real-secret',
      TURNSTILE_VERIFY_URL: VERIFY_URL,
      TURNSTILE_SITE_KEY: 'site-key-1',
    }
    return {
      seen,
      async fetch(path: string, init: RequestInit) {
        const ctx = createExecutionContext()
        const res = await worker.fetch(
          new Request(`https://ringback.test${path}`, init),
          realEnv,
          ctx,
        )
        await waitOnExecutionContext(ctx)
        return res
      },
    }
  }

  it('API signup in real mode: a passing token 201, a failing or missing one 403 with nothing created', async () => {
    const w = realModeWorker()
    const signup = (email: string, token?: string) =>
      w.fetch('/api/v1/auth/signup', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: ORIGIN,
          'cf-connecting-ip': testIp(),
        },
        body: JSON.stringify({
          clinicName: 'Turnstile Clinic',
          email,
          password: PASSWORD,
          ...(token ? { 'cf-turnstile-response': token } : {}),
        }),
      })
    expect((await signup(newEmail('ts'), 'good-token')).status).toBe(201)
    for (const token of ['bad-token', undefined]) {
      const email = newEmail('ts')
      const res = await signup(email, token)
      expect(res.status).toBe(403)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      const lookup = await userEmailLookup(config, email)
      expect(await db.select().from(users).where(eq(users.emailLookup, lookup))).toHaveLength(0)
    }
    expect(w.seen.map((b) => b.get('response'))).toEqual(['good-token', 'bad-token'])
  })

  it('dashboard signup: real mode renders the widget (CSP allows it) and refuses a failing token with 403', async () => {
    const w = realModeWorker()
    const page = await w.fetch('/signup', { method: 'GET' })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('data-sitekey="site-key-1"')
    expect(html).toContain('https://challenges.cloudflare.com/turnstile/v0/api.js')
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self' https://challenges.cloudflare.com")
    expect(csp).toContain('frame-src https://challenges.cloudflare.com')

    const res = await w.fetch('/signup', {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: ORIGIN,
        'cf-connecting-ip': testIp(),
      },
      body: new URLSearchParams({
        clinicName: 'Form Clinic',
        email: newEmail('form'),
        password: PASSWORD,
        timezone: 'Europe/London',
        'cf-turnstile-response': 'bad-token',
      }).toString(),
    })
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('anti-spam check failed')
  })

  it('dashboard signup in sandbox mode loads no external script at all', async () => {
    const page = await api('GET', '/signup')
    const html = await page.text()
    expect(html).not.toMatch(/<script[^>]+src="https?:/)
    expect(html).not.toContain('cf-turnstile')
    expect(page.headers.get('content-security-policy') ?? '').not.toContain(
      'challenges.cloudflare.com',
    )
  })
})
