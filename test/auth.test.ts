import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { clinics, sessions, users } from '../src/db/schema'
import { testIp } from './helpers/abuse'
import { api, call, createTestClinic, ORIGIN } from './helpers/clinic'

const db = createDb(env.DB)

async function auditActions(clinicId: string): Promise<string[]> {
  return (await env.CLINIC.getByName(clinicId).listAudit(500, null)).map((e) => e.action)
}

/** Polls briefly: failure audits are written after the response (waitUntil). */
async function eventuallyAudited(clinicId: string, action: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if ((await auditActions(clinicId)).includes(action)) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`no ${action} audit entry`)
}
const PASSWORD = 'correct-horse-battery'
let n = 0

function uniqueEmail(tag = 'owner'): string {
  n++
  return `${tag}.${n}.${Date.now()}@Example.Clinic`
}

/** The session cookie a response sets, as a `cookie` request header value. */
function cookieFrom(res: Response): string {
  const set = res.headers.get('set-cookie') ?? ''
  const m = /(__Host-rb_session|rb_session)=([^;]*)/.exec(set)
  if (!m) throw new Error('no session cookie set')
  return `${m[1]}=${m[2]}`
}

async function signUp(overrides: Record<string, unknown> = {}) {
  const email = uniqueEmail()
  const res = await api(
    'POST',
    '/api/v1/auth/signup',
    { clinicName: 'Smile Studio', email, password: PASSWORD, ...overrides },
    { origin: ORIGIN, 'cf-connecting-ip': testIp() },
  )
  return { res, email }
}

describe('signup', () => {
  it('creates the clinic and its owner, answers 201 and signs in', async () => {
    const { res, email } = await signUp({ timezone: 'Europe/Dublin', country: 'ie' })
    expect(res.status).toBe(201)
    const body = (await res.json()) as {
      clinic: { id: string; name: string }
      user: { id: string; email: string; role: string }
    }
    expect(body).toEqual({
      clinic: { id: expect.stringMatching(/^cln_/), name: 'Smile Studio' },
      user: { id: expect.stringMatching(/^usr_/), email: email.toLowerCase(), role: 'owner' },
    })
    const setCookie = res.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Lax/i)
    expect(setCookie).toMatch(/Secure/i)

    const me = await call('/api/v1/me', { headers: { cookie: cookieFrom(res) } })
    expect(me.status).toBe(200)
    expect(await me.json()).toEqual({
      user: { id: body.user.id, email: email.toLowerCase(), role: 'owner' },
      clinic: { id: body.clinic.id, name: 'Smile Studio', timezone: 'Europe/Dublin' },
    })
    const [clinic] = await db.select().from(clinics).where(eq(clinics.id, body.clinic.id))
    expect(clinic?.country).toBe('IE')
  })

  it('stores neither the email nor the password in clear', async () => {
    const { res, email } = await signUp()
    const { user } = (await res.json()) as { user: { id: string } }
    const [row] = await db.select().from(users).where(eq(users.id, user.id))
    const stored = JSON.stringify(row).toLowerCase()
    expect(stored).not.toContain(email.toLowerCase())
    expect(stored).not.toContain(email.split('@')[0]!.toLowerCase())
    expect(stored).not.toContain(PASSWORD)
    expect(row?.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/)
  })

  it('refuses an email that already has an account with 409, whatever its case', async () => {
    const { email } = await signUp()
    const again = await api(
      'POST',
      '/api/v1/auth/signup',
      { clinicName: 'Other', email: `  ${email.toUpperCase()} `, password: PASSWORD },
      { 'cf-connecting-ip': testIp() },
    )
    expect(again.status).toBe(409)
    expect(again.headers.get('content-type')).toBe('application/problem+json')
  })

  it('rejects a short password, a bad email and an unknown time zone with field errors', async () => {
    const res = await api('POST', '/api/v1/auth/signup', {
      clinicName: 'X',
      email: 'not-an-email',
      password: 'short',
      timezone: 'Mars/Olympus_Mons',
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { errors: { path: string }[] }
    expect(body.errors.map((e) => e.path).sort()).toEqual(['email', 'password', 'timezone'])
  })

  it('answers malformed JSON with a problem+json 400', async () => {
    const res = await call('/api/v1/auth/signup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"clinicName": ',
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })

  it('refuses a sign-up posted from another site (login CSRF) with 403', async () => {
    const res = await api(
      'POST',
      '/api/v1/auth/signup',
      { clinicName: 'X', email: uniqueEmail(), password: PASSWORD },
      { origin: 'https://evil.example' },
    )
    expect(res.status).toBe(403)
  })
})

describe('login and logout', () => {
  it('signs in with the right password (any email case) and answers the user', async () => {
    const { res: signup, email } = await signUp()
    const { user, clinic } = (await signup.json()) as {
      user: { id: string }
      clinic: { id: string }
    }
    const res = await api('POST', '/api/v1/auth/login', {
      email: email.toUpperCase(),
      password: PASSWORD,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      user: { id: user.id, email: email.toLowerCase(), role: 'owner' },
    })
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly/i)
    const entries = await env.CLINIC.getByName(clinic.id).listAudit(500, null)
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['auth.signup', 'auth.login']),
    )
    // Entries name ids, never the email.
    expect(JSON.stringify(entries)).not.toContain(email.toLowerCase())
  })

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const { email } = await signUp()
    const wrong = await api('POST', '/api/v1/auth/login', { email, password: 'wrong-password!!' })
    const unknown = await api('POST', '/api/v1/auth/login', {
      email: uniqueEmail('nobody'),
      password: PASSWORD,
    })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(await wrong.json()).toEqual(await unknown.json())
    expect(wrong.headers.get('set-cookie')).toBeNull()
  })

  it('locks the account after five failures: 429 with Retry-After even for the right password', async () => {
    const { res: signup, email } = await signUp()
    const { clinic } = (await signup.json()) as { clinic: { id: string } }
    for (let i = 0; i < 5; i++) {
      const res = await api('POST', '/api/v1/auth/login', { email, password: `wrong-${i}-xxxxxxx` })
      expect(res.status).toBe(401)
    }
    const locked = await api('POST', '/api/v1/auth/login', { email, password: PASSWORD })
    expect(locked.status).toBe(429)
    const retryAfter = Number(locked.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(14 * 60)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)
    await eventuallyAudited(clinic.id, 'auth.login.failed')
    await eventuallyAudited(clinic.id, 'auth.lockout')
  })

  it('throttles unknown emails the same way, so a lock-out reveals nothing', async () => {
    const email = uniqueEmail('ghost')
    for (let i = 0; i < 5; i++) {
      await api('POST', '/api/v1/auth/login', { email, password: PASSWORD })
    }
    const res = await api('POST', '/api/v1/auth/login', { email, password: PASSWORD })
    expect(res.status).toBe(429)
  })

  it('a success clears earlier failures', async () => {
    const { email } = await signUp()
    for (let i = 0; i < 4; i++) {
      await api('POST', '/api/v1/auth/login', { email, password: `wrong-${i}-xxxxxxx` })
    }
    expect((await api('POST', '/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(
      200,
    )
    for (let i = 0; i < 4; i++) {
      const res = await api('POST', '/api/v1/auth/login', { email, password: `again-${i}-xxxxx` })
      expect(res.status).toBe(401)
    }
    expect((await api('POST', '/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(
      200,
    )
  })

  it('logout answers 204 and revokes the session server-side: the old cookie then gets 401', async () => {
    const { res: signup } = await signUp()
    const cookie = cookieFrom(signup)
    const out = await call('/api/v1/auth/logout', {
      method: 'POST',
      headers: { cookie, origin: ORIGIN },
    })
    expect(out.status).toBe(204)
    const me = await call('/api/v1/me', { headers: { cookie } })
    expect(me.status).toBe(401)
    const { user, clinic } = (await signup.json()) as {
      user: { id: string }
      clinic: { id: string }
    }
    const rows = await db.select().from(sessions).where(eq(sessions.userId, user.id))
    expect(rows.every((s) => s.revokedAt !== null)).toBe(true)
    expect(await auditActions(clinic.id)).toContain('auth.logout')
  })

  it('refuses a cookie-authenticated write without a same-site Origin with 403', async () => {
    const { res: signup } = await signUp()
    const cookie = cookieFrom(signup)
    const none = await call('/api/v1/auth/logout', { method: 'POST', headers: { cookie } })
    const foreign = await call('/api/v1/auth/logout', {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example' },
    })
    expect(none.status).toBe(403)
    expect(foreign.status).toBe(403)
    expect((await call('/api/v1/me', { headers: { cookie } })).status).toBe(200)
  })

  it('answers /me without a session with 401, and with an API key with 403', async () => {
    expect((await call('/api/v1/me')).status).toBe(401)
    const clinic = await createTestClinic()
    const key = await clinic.apiKey()
    const res = await call('/api/v1/me', { headers: { authorization: `Bearer ${key}` } })
    expect(res.status).toBe(403)
  })

  it('a disabled member cannot sign in', async () => {
    const { res: signup, email } = await signUp()
    const { user } = (await signup.json()) as { user: { id: string } }
    await db.update(users).set({ status: 'disabled' }).where(eq(users.id, user.id))
    const res = await api('POST', '/api/v1/auth/login', { email, password: PASSWORD })
    expect(res.status).toBe(401)
  })
})
