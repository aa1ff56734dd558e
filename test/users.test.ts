import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { resetPassword } from '../src/auth/service'
import { changeRole, disableMember } from '../src/auth/team'
import { createDb } from '../src/db/client'
import { authTokens, outboundMessages, users } from '../src/db/schema'
import { getConfig } from '../src/env'
import type { Principal } from '../src/lib/context'
import { ProblemError } from '../src/lib/problem'
import { clinicKeyring, sha256Hex } from '../src/privacy/crypto'
import { eventually, testIp } from './helpers/abuse'
import { api, call, createTestClinic, ORIGIN } from './helpers/clinic'

const db = createDb(env.DB)
const config = getConfig(env)
const PASSWORD = 'a-long-enough-password'
let n = 0
const newEmail = (tag: string) => `${tag}.${++n}.${Date.now()}@team.test`

async function auditActions(clinicId: string): Promise<string[]> {
  return (await env.CLINIC.getByName(clinicId).listAudit(500, null)).map((e) => e.action)
}

function cookieFrom(res: Response): string {
  const m = /(__Host-rb_session)=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')
  if (!m) throw new Error('no session cookie')
  return `${m[1]}=${m[2]}`
}

/** The link in the newest sandboxed email to `to` (opened with the clinic's key, as the outbox does). */
async function lastEmailBody(clinicId: string): Promise<string> {
  const rows = await db
    .select()
    .from(outboundMessages)
    .where(and(eq(outboundMessages.clinicId, clinicId), eq(outboundMessages.channel, 'email')))
  const last = rows.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)).at(-1)
  if (!last) throw new Error('no email in the outbox')
  return (await clinicKeyring(db, config, clinicId)).open(last.bodySealed)
}

async function invite(role: string, headers: Record<string, string>) {
  const email = newEmail(role)
  const res = await api('POST', '/api/v1/users', { email, role }, headers)
  return { res, email }
}

describe('inviting team members', () => {
  it('an owner invites a receptionist: 201, an invited user, a hashed token and an email in the outbox', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const { res, email } = await invite('receptionist', owner.headers)
    expect(res.status).toBe(201)
    const body = (await res.json()) as {
      user: { id: string; email: string; role: string; status: string }
      inviteToken: string
      inviteExpiresAt: string
    }
    expect(body.user).toEqual({
      id: expect.stringMatching(/^usr_/),
      email,
      role: 'receptionist',
      status: 'invited',
    })
    const [token] = await db.select().from(authTokens).where(eq(authTokens.userId, body.user.id))
    expect(token?.tokenHash).toBe(await sha256Hex(body.inviteToken))
    expect(token?.kind).toBe('invite')

    // The invite email goes through the queue: the consumer sends it shortly after.
    const [mail] = await eventually(async () => {
      const rows = await db
        .select()
        .from(outboundMessages)
        .where(eq(outboundMessages.clinicId, clinic.clinicId))
      if (rows.length === 0) throw new Error('not sent yet')
      return rows
    })
    expect(mail).toMatchObject({ channel: 'email', kind: 'email', status: 'sandboxed' })
    expect(mail?.toMasked).toBe(`${email[0]}***@team.test`)
    expect(JSON.stringify(mail)).not.toContain(email)
    expect(JSON.stringify(mail)).not.toContain(body.inviteToken)
    expect(await lastEmailBody(clinic.clinicId)).toContain(
      `/accept-invite?token=${body.inviteToken}`,
    )
    expect(await auditActions(clinic.clinicId)).toContain('user.invite')
  })

  it('the invitee sets a password with the token, is signed in, and the token works once', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const { res, email } = await invite('admin', owner.headers)
    const { inviteToken } = (await res.json()) as { inviteToken: string }
    const accepted = await api(
      'POST',
      '/api/v1/auth/invites/accept',
      { token: inviteToken, password: PASSWORD },
      { origin: ORIGIN },
    )
    expect(accepted.status).toBe(200)
    expect(((await accepted.json()) as { user: { email: string } }).user.email).toBe(email)
    const me = await call('/api/v1/me', { headers: { cookie: cookieFrom(accepted) } })
    expect(((await me.json()) as { user: { role: string } }).user.role).toBe('admin')

    const again = await api('POST', '/api/v1/auth/invites/accept', {
      token: inviteToken,
      password: PASSWORD,
    })
    expect(again.status).toBe(400)
    expect((await api('POST', '/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(
      200,
    )
  })

  it('one invite accepted 16 times at once: one 200, and the password is the one that request set', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const { res, email } = await invite('receptionist', owner.headers)
    const { inviteToken } = (await res.json()) as { inviteToken: string }
    const passwords = Array.from({ length: 16 }, (_, i) => `invite-password-${i}-xxxx`)
    const answers = await Promise.all(
      passwords.map((password) =>
        api(
          'POST',
          '/api/v1/auth/invites/accept',
          { token: inviteToken, password },
          { origin: ORIGIN, 'cf-connecting-ip': testIp() },
        ),
      ),
    )
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s !== 200).every((s) => s === 400)).toBe(true)
    const winner = passwords[statuses.indexOf(200)]!
    const login = await api(
      'POST',
      '/api/v1/auth/login',
      { email, password: winner },
      { 'cf-connecting-ip': testIp() },
    )
    expect(login.status).toBe(200)
    const loser = passwords.find((p) => p !== winner)!
    const other = await api(
      'POST',
      '/api/v1/auth/login',
      { email, password: loser },
      { 'cf-connecting-ip': testIp() },
    )
    expect(other.status).toBe(401)
  })

  it('invites are limited per clinic: past the limit 429 with Retry-After, and no user is created', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const answers = []
    for (let i = 0; i < 22; i++) answers.push((await invite('receptionist', owner.headers)).res)
    const limited = answers.filter((r) => r.status === 429)
    expect(limited.length).toBeGreaterThan(0)
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThan(0)
    const created = answers.filter((r) => r.status === 201).length
    const rows = await db.select().from(users).where(eq(users.clinicId, clinic.clinicId))
    // The owner plus one user per accepted invite: a refused invite left nothing behind.
    expect(rows).toHaveLength(created + 1)
  })

  it('an invited member cannot sign in before accepting', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const { email } = await invite('analyst', owner.headers)
    const res = await api('POST', '/api/v1/auth/login', { email, password: PASSWORD })
    expect(res.status).toBe(401)
  })

  it('a made-up invite token is refused with 400', async () => {
    const res = await api('POST', '/api/v1/auth/invites/accept', {
      token: 'x'.repeat(43),
      password: PASSWORD,
    })
    expect(res.status).toBe(400)
  })

  it('only an owner can invite an owner; receptionists, analysts and API keys cannot invite', async () => {
    const clinic = await createTestClinic()
    const admin = await clinic.as('admin')
    const owner = await clinic.as('owner')
    expect((await invite('owner', admin.headers)).res.status).toBe(403)
    expect((await invite('owner', owner.headers)).res.status).toBe(201)
    expect((await invite('admin', admin.headers)).res.status).toBe(201)
    const receptionist = await clinic.as('receptionist')
    const analyst = await clinic.as('analyst')
    expect((await invite('analyst', receptionist.headers)).res.status).toBe(403)
    expect((await invite('analyst', analyst.headers)).res.status).toBe(403)
    const key = await clinic.apiKey()
    const viaKey = await invite('analyst', { authorization: `Bearer ${key}` })
    expect(viaKey.res.status).toBe(403)
  })

  it('inviting an email that already has an account answers 409', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/users',
      { email: owner.email, role: 'admin' },
      owner.headers,
    )
    expect(res.status).toBe(409)
  })

  it('an unknown role is a 400 with the field named', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/users',
      { email: newEmail('x'), role: 'god' },
      owner.headers,
    )
    expect(res.status).toBe(400)
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe('role')
  })
})

describe('the team list and roles', () => {
  it('lists the clinic’s members with their emails, paginated, and no other clinic’s', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const owner = await clinic.as('owner')
    const admin = await clinic.as('admin')
    await other.as('owner')
    const page1 = await api('GET', '/api/v1/users?limit=1', undefined, owner.headers)
    expect(page1.status).toBe(200)
    const b1 = (await page1.json()) as { items: { email: string }[]; nextCursor: string }
    expect(b1.items).toHaveLength(1)
    expect(b1.nextCursor).toEqual(expect.any(String))
    const page2 = await api(
      'GET',
      `/api/v1/users?limit=10&cursor=${b1.nextCursor}`,
      undefined,
      owner.headers,
    )
    const b2 = (await page2.json()) as { items: { email: string }[]; nextCursor: null }
    expect([...b1.items, ...b2.items].map((u) => u.email).sort()).toEqual(
      [owner.email, admin.email].sort(),
    )
    expect(b2.nextCursor).toBeNull()
  })

  it('receptionists and analysts cannot see or change the team', async () => {
    const clinic = await createTestClinic()
    const receptionist = await clinic.as('receptionist')
    const analyst = await clinic.as('analyst')
    expect((await api('GET', '/api/v1/users', undefined, receptionist.headers)).status).toBe(403)
    expect(
      (await api('PATCH', `/api/v1/users/${analyst.userId}`, { role: 'admin' }, analyst.headers))
        .status,
    ).toBe(403)
  })

  it('an admin changes a receptionist to analyst, audited; but cannot touch an owner', async () => {
    const clinic = await createTestClinic()
    const admin = await clinic.as('admin')
    const receptionist = await clinic.as('receptionist')
    const owner = await clinic.as('owner')
    const res = await api(
      'PATCH',
      `/api/v1/users/${receptionist.userId}`,
      { role: 'analyst' },
      admin.headers,
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: receptionist.userId, role: 'analyst' })
    expect(await auditActions(clinic.clinicId)).toContain('user.role.change')
    const promote = await api(
      'PATCH',
      `/api/v1/users/${receptionist.userId}`,
      { role: 'owner' },
      admin.headers,
    )
    expect(promote.status).toBe(403)
    const demote = await api(
      'PATCH',
      `/api/v1/users/${owner.userId}`,
      { role: 'admin' },
      admin.headers,
    )
    expect(demote.status).toBe(403)
  })

  it('the last active owner cannot be demoted or disabled (409)', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const demote = await api(
      'PATCH',
      `/api/v1/users/${owner.userId}`,
      { role: 'admin' },
      owner.headers,
    )
    expect(demote.status).toBe(409)
    const disable = await api('DELETE', `/api/v1/users/${owner.userId}`, undefined, owner.headers)
    expect(disable.status).toBe(409)
  })

  it('two owners demoting or disabling each other at once leave the clinic an active owner', async () => {
    for (const op of ['demote', 'disable'] as const) {
      for (let round = 0; round < 3; round++) {
        const clinic = await createTestClinic()
        const a = await clinic.as('owner')
        const b = await clinic.as('owner')
        const principal = (m: typeof a): Principal => ({
          clinicId: clinic.clinicId,
          role: 'owner',
          via: 'session',
          actorId: m.userId,
        })
        // Straight through the service, so both requests' reads happen before either write.
        const act = (actor: typeof a, target: typeof a) =>
          (op === 'demote'
            ? changeRole(db, config, env, principal(actor), target.userId, 'admin')
            : disableMember(db, env, principal(actor), target.userId)
          ).then(
            () => 'ok',
            (err: unknown) => (err instanceof ProblemError ? err.status : Promise.reject(err)),
          )
        const outcomes = await Promise.all([act(a, b), act(b, a)])
        const owners = await db
          .select()
          .from(users)
          .where(
            and(
              eq(users.clinicId, clinic.clinicId),
              eq(users.role, 'owner'),
              eq(users.status, 'active'),
            ),
          )
        expect(owners).toHaveLength(1)
        expect(outcomes.sort()).toEqual([409, 'ok'])
      }
    }
  })

  it('another clinic’s member answers 404 to PATCH and DELETE', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const owner = await clinic.as('owner')
    const stranger = await other.as('receptionist')
    expect(
      (await api('PATCH', `/api/v1/users/${stranger.userId}`, { role: 'admin' }, owner.headers))
        .status,
    ).toBe(404)
    expect(
      (await api('DELETE', `/api/v1/users/${stranger.userId}`, undefined, owner.headers)).status,
    ).toBe(404)
    const [row] = await db.select().from(users).where(eq(users.id, stranger.userId))
    expect(row).toMatchObject({ role: 'receptionist', status: 'active' })
  })

  it('disabling a member signs them out at once', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const receptionist = await clinic.as('receptionist')
    expect((await call('/api/v1/me', { headers: { cookie: receptionist.cookie } })).status).toBe(
      200,
    )
    const res = await api(
      'DELETE',
      `/api/v1/users/${receptionist.userId}`,
      undefined,
      owner.headers,
    )
    expect(res.status).toBe(204)
    expect((await call('/api/v1/me', { headers: { cookie: receptionist.cookie } })).status).toBe(
      401,
    )
    expect(await auditActions(clinic.clinicId)).toContain('user.disable')
  })
})

describe('password reset', () => {
  async function signedUpOwner() {
    const email = newEmail('reset')
    const res = await api(
      'POST',
      '/api/v1/auth/signup',
      { clinicName: 'Reset Clinic', email, password: PASSWORD },
      { 'cf-connecting-ip': testIp() },
    )
    const body = (await res.json()) as { clinic: { id: string }; user: { id: string } }
    return { email, clinicId: body.clinic.id, userId: body.user.id, cookie: cookieFrom(res) }
  }

  const requestReset = (email: string, ip = testIp()) =>
    api('POST', '/api/v1/auth/password-reset', { email }, { 'cf-connecting-ip': ip })

  async function resetTokens(userId: string) {
    return db
      .select()
      .from(authTokens)
      .where(and(eq(authTokens.userId, userId), eq(authTokens.kind, 'password-reset')))
  }

  /** The reset link's token from the newest email (queued, so it arrives shortly after). */
  async function emailedToken(clinicId: string): Promise<string> {
    return eventually(async () => {
      const token = /token=([\w-]+)/.exec(await lastEmailBody(clinicId))?.[1]
      if (!token) throw new Error('no link')
      return token
    })
  }

  it('answers 202 for known and unknown emails alike, and only emails the real account', async () => {
    const { email, clinicId, userId } = await signedUpOwner()
    const unknown = await requestReset(newEmail('nobody'))
    const known = await requestReset(email)
    expect(unknown.status).toBe(202)
    expect(known.status).toBe(202)
    expect(await unknown.text()).toBe(await known.text())
    expect(await emailedToken(clinicId)).toMatch(/^[\w-]{40,}$/)
    // Asking again at once makes no second link (no inbox flooding), and still answers 202.
    expect((await requestReset(email)).status).toBe(202)
    await new Promise((r) => setTimeout(r, 300))
    expect(await resetTokens(userId)).toHaveLength(1)
  })

  it('does the look-up and the email after the response (waitUntil), for known and unknown alike', async () => {
    const { email, userId } = await signedUpOwner()
    const { default: worker } = await import('../src/index')
    async function ask(address: string) {
      const pending: Promise<unknown>[] = []
      const ctx = {
        waitUntil: (p: Promise<unknown>) => void pending.push(p),
        passThroughOnException: () => {},
        props: {},
      } as unknown as ExecutionContext
      const res = await worker.fetch(
        new Request('https://ringback.test/api/v1/auth/password-reset', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            origin: ORIGIN,
            'cf-connecting-ip': testIp(),
          },
          body: JSON.stringify({ email: address }),
        }),
        env,
        ctx,
      )
      return { res, pending }
    }
    const known = await ask(email)
    const unknown = await ask(newEmail('nobody'))
    expect(known.res.status).toBe(202)
    expect(unknown.res.status).toBe(202)
    // Both hand the same work to waitUntil; the link exists only once that work is done.
    expect(known.pending.length).toBeGreaterThan(0)
    expect(unknown.pending.length).toBe(known.pending.length)
    await Promise.all(known.pending)
    expect(await resetTokens(userId)).toHaveLength(1)
  })

  it('parallel reset requests for one account make exactly one link', async () => {
    const { email, userId } = await signedUpOwner()
    const answers = await Promise.all(Array.from({ length: 12 }, () => requestReset(email)))
    expect(answers.every((r) => r.status === 202)).toBe(true)
    await eventually(async () => expect(await resetTokens(userId)).toHaveLength(1))
    await new Promise((r) => setTimeout(r, 300))
    expect(await resetTokens(userId)).toHaveLength(1)
  })

  it('one client asking too often is answered 429 with Retry-After, and nothing is sent', async () => {
    const ip = testIp()
    const answers = []
    for (let i = 0; i < 7; i++) answers.push(await requestReset(newEmail('flood'), ip))
    const limited = answers.filter((r) => r.status === 429)
    expect(limited.length).toBeGreaterThan(0)
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited[0]!.headers.get('content-type')).toBe('application/problem+json')
  })

  it('the emailed token sets a new password once and signs out every session', async () => {
    const { email, clinicId, cookie } = await signedUpOwner()
    await requestReset(email)
    const token = await emailedToken(clinicId)
    const newPassword = 'a-brand-new-password'
    const res = await api('POST', '/api/v1/auth/password-reset/confirm', {
      token,
      password: newPassword,
    })
    expect(res.status).toBe(204)
    expect((await call('/api/v1/me', { headers: { cookie } })).status).toBe(401)
    expect((await api('POST', '/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(
      401,
    )
    expect((await api('POST', '/api/v1/auth/login', { email, password: newPassword })).status).toBe(
      200,
    )
    const reuse = await api('POST', '/api/v1/auth/password-reset/confirm', {
      token,
      password: 'yet-another-password',
    })
    expect(reuse.status).toBe(400)
    expect(await auditActions(clinicId)).toContain('auth.password-reset')
  })

  it('one link submitted 16 times at once: one 204, and the password is the one that request set', async () => {
    const { email, clinicId } = await signedUpOwner()
    await requestReset(email)
    const token = await emailedToken(clinicId)
    const passwords = Array.from({ length: 16 }, (_, i) => `racing-password-${i}-xxxx`)
    const answers = await Promise.all(
      passwords.map((password) =>
        api(
          'POST',
          '/api/v1/auth/password-reset/confirm',
          { token, password },
          { 'cf-connecting-ip': testIp() },
        ),
      ),
    )
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 204)).toHaveLength(1)
    expect(statuses.filter((s) => s !== 204).every((s) => s === 400)).toBe(true)
    const winner = passwords[statuses.indexOf(204)]!
    const ip = testIp()
    for (const password of passwords) {
      const login = await api(
        'POST',
        '/api/v1/auth/login',
        { email, password },
        { 'cf-connecting-ip': password === winner ? testIp() : ip },
      )
      if (password === winner) expect(login.status).toBe(200)
      else expect([401, 429]).toContain(login.status)
    }
  })

  it('racing the service directly (every read before any write): still one winner, its password in force', async () => {
    const { email, clinicId } = await signedUpOwner()
    await requestReset(email)
    const token = await emailedToken(clinicId)
    const passwords = Array.from({ length: 8 }, (_, i) => `direct-race-${i}-xxxxxxx`)
    const outcomes = await Promise.all(
      passwords.map((password, i) =>
        resetPassword(
          db,
          config,
          env,
          { token, password },
          { ip: `2001:db8:ffff:${i + 1}::1` },
        ).then(
          () => 'ok' as const,
          (err: unknown) => (err instanceof ProblemError ? err.status : Promise.reject(err)),
        ),
      ),
    )
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1)
    const winner = passwords[outcomes.indexOf('ok')]!
    const ok = await api(
      'POST',
      '/api/v1/auth/login',
      { email, password: winner },
      { 'cf-connecting-ip': testIp() },
    )
    expect(ok.status).toBe(200)
  })

  it('a new password shorter than 12 characters is refused', async () => {
    const res = await api('POST', '/api/v1/auth/password-reset/confirm', {
      token: 'x'.repeat(43),
      password: 'short',
    })
    expect(res.status).toBe(400)
  })
})
