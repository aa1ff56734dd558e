/**
 * Sign-up, sign-in, invites and password resets as plain functions over the database, so the JSON
 * API and the dashboard's HTML forms share one implementation. Each validates its own input (zod;
 * a failure throws a problem+json 400), throws `ProblemError`s for 401/403/409/429, and writes the
 * audit entries itself. Starting a session (cookie) is the caller's job: `startSession(c, user)`.
 * Abuse controls (throttling, rate limits, Turnstile, atomic token spends) are described in
 * docs/SECURITY.md.
 *
 * Emails are never stored in clear: `users.email_lookup` (keyed hash, finds the account) and
 * `users.email_sealed` (AES-GCM under the clinic's key, to show it back).
 */
import { z } from '@hono/zod-openapi'
import { and, eq, exists, gt, gte, isNull, lt, or, sql } from 'drizzle-orm'
import { isSupportedCountry } from 'libphonenumber-js/max'
import { audit } from '../audit/audit'
import { defaultAutomationRows } from '../automations/automations.service'
import { findClinic } from '../clinic/find'
import type { Db } from '../db/client'
import { refuseTaken } from '../db/clinic-row'
import { authTokens, automations, clinics, loginThrottle, sessions, users } from '../db/schema'
import { queueEmail } from '../email/email'
import { inviteEmail, passwordResetEmail } from '../email/templates'
import type { Bindings, Config } from '../env'
import { actorOf, type Principal, ROLES, type Role } from '../lib/context'
import { idempotencyKey, newId } from '../lib/ids'
import { logError } from '../lib/logger'
import {
  badRequest,
  conflict,
  forbidden,
  ProblemError,
  tooManyRequests,
  unauthorized,
  zodErrors,
} from '../lib/problem'
import { enforceRateLimit } from '../lib/rate-limit'
import { DAY_MS, HOUR_MS } from '../lib/time'
import { requireTurnstile, TURNSTILE_FIELD } from '../lib/turnstile'
import { isValidTimeZone } from '../metrics/local-time'
import {
  clientIpLookup,
  clinicKeyring,
  randomToken,
  sha256Hex,
  userEmailLookup,
} from '../privacy/crypto'
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords'
import { deviceMarkFor } from './sessions'
import { accountThrottleKeys, beginLoginAttempt, clientBucket, throttleKeys } from './throttle'

// ---------------------------------------------------------------------------------------------
// Input schemas (shared with the OpenAPI routes)

export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email().max(254))
  .openapi({ example: 'owner@demo.clinic' })

export const NewPasswordSchema = z
  .string()
  .min(12, 'Use at least 12 characters.')
  .max(256)
  .openapi({ example: 'correct-horse-battery' })

/** An IANA time zone this runtime knows (validated with Intl). */
export const TimezoneSchema = z
  .string()
  .max(64)
  .refine(isValidTimeZone, 'Unknown time zone; use an IANA name such as Europe/London.')
  .openapi({ example: 'Europe/London' })

export const CountrySchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine((v) => isSupportedCountry(v), 'Use an ISO 3166 alpha-2 country code such as GB.')
  .openapi({ example: 'GB' })

export const RoleSchema = z.enum(ROLES).openapi({ example: 'receptionist' })

export const SignUpInputSchema = z.object({
  clinicName: z.string().trim().min(1).max(120).openapi({ example: 'Demo Dental & Aesthetics' }),
  email: EmailSchema,
  password: NewPasswordSchema,
  timezone: TimezoneSchema.optional(),
  country: CountrySchema.optional(),
  [TURNSTILE_FIELD]: z.string().max(4096).optional().openapi({
    description:
      'The Turnstile token from the signup widget (required unless the server runs Turnstile in sandbox mode).',
  }),
})
export type SignUpInput = z.input<typeof SignUpInputSchema>

export const LogInInputSchema = z.object({
  email: EmailSchema,
  // Any length is accepted at sign-in (older passwords, typos): only sign-up enforces 12+.
  password: z.string().min(1).max(256),
})
export type LogInInput = z.input<typeof LogInInputSchema>

export const InviteInputSchema = z.object({ email: EmailSchema, role: RoleSchema })
export type InviteInput = z.input<typeof InviteInputSchema>

export const TokenPasswordInputSchema = z.object({
  token: z.string().min(16).max(200),
  password: NewPasswordSchema,
})
export type TokenPasswordInput = z.input<typeof TokenPasswordInputSchema>

export const PasswordResetRequestSchema = z.object({ email: EmailSchema })

// ---------------------------------------------------------------------------------------------
// Results

/** A staff member as the API shows them. */
export type AuthUser = { id: string; clinicId: string; email: string; role: Role }

export type SignUpResult = {
  clinic: { id: string; name: string }
  user: AuthUser
}

export type InviteResult = {
  user: AuthUser & { status: 'invited' }
  /** The one-time invite token (also emailed as a link); only its hash is stored. */
  token: string
  expiresAt: number
}

export const INVITE_TTL_MS = 7 * DAY_MS
export const PASSWORD_RESET_TTL_MS = HOUR_MS
/** The shortest gap between two reset emails to one account. */
export const PASSWORD_RESET_RESEND_MS = 5 * 60_000
/** Dashboard paths the emailed links open; the token travels as `?token=`. */
export const INVITE_PATH = '/accept-invite'
export const PASSWORD_RESET_PATH = '/reset-password'

// ---------------------------------------------------------------------------------------------

/** Validates `input` with `schema`, throwing a problem+json 400 that never echoes the input. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input)
  if (!parsed.success) throw badRequest('The request is not valid.', zodErrors(parsed.error))
  return parsed.data
}

function isUniqueViolation(err: unknown): boolean {
  const text = String(err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : err)
  return /UNIQUE constraint failed/i.test(text)
}

const INVALID_CREDENTIALS = 'The email or password is not correct.'
const INVALID_TOKEN = 'This link is not valid or has expired. Ask for a new one.'

/** Who is asking, for abuse controls: the client IP (`clientIpOf`), null outside Cloudflare. */
export type ClientInfo = { ip: string | null }

/** The key a per-client limiter counts under: a keyed hash of the IP, never the IP itself. */
async function clientKey(config: Config, client: ClientInfo): Promise<string> {
  return clientIpLookup(config, clientBucket(client.ip ?? 'unknown'))
}

/**
 * Creates a clinic and its owner. Rate-limited per client (429), then the input is validated
 * (400), then the Turnstile token is checked (403, see src/lib/turnstile.ts). Throws 409 when the
 * email already has an account (anywhere). The caller starts the session.
 */
export async function signUp(
  db: Db,
  config: Config,
  env: Bindings,
  input: SignUpInput,
  client: ClientInfo = { ip: null },
): Promise<SignUpResult> {
  await enforceRateLimit(env.SIGNUP_LIMITER, `signup:${await clientKey(config, client)}`)
  const parsed = parseInput(SignUpInputSchema, input)
  const { clinicName, email, password, timezone, country } = parsed
  await requireTurnstile(config, parsed[TURNSTILE_FIELD], client.ip)
  const emailLookup = await userEmailLookup(config, email)
  const registered = 'An account with this email already exists. Sign in instead.'
  await refuseTaken(db, users, users.emailLookup, emailLookup, registered)

  const clinicId = newId('cln')
  const userId = newId('usr')
  const keyring = await clinicKeyring(db, config, clinicId)
  const passwordHash = await hashPassword(password)
  try {
    // One batch is one transaction on D1: no clinic without its owner.
    await db.batch([
      db.insert(clinics).values({
        id: clinicId,
        name: clinicName,
        ...(timezone ? { timezone } : {}),
        ...(country ? { country } : {}),
      }),
      db.insert(users).values({
        id: userId,
        clinicId,
        emailLookup,
        emailSealed: await keyring.seal(email),
        passwordHash,
        role: 'owner',
        status: 'active',
        lastLoginAt: Date.now(),
      }),
      // A new clinic starts with the default automations (docs/AUTOMATIONS.md), editable.
      db.insert(automations).values(defaultAutomationRows(clinicId, Date.now())),
    ])
  } catch (err) {
    // Two sign-ups racing for one email: the unique index decides.
    if (isUniqueViolation(err)) throw conflict('An account with this email already exists.')
    throw err
  }
  await audit(env, clinicId, {
    actor: `user:${userId}`,
    action: 'auth.signup',
    target: `clinic:${clinicId}`,
  })
  return {
    clinic: { id: clinicId, name: clinicName },
    user: { id: userId, clinicId, email, role: 'owner' },
  }
}

/**
 * Checks an email and password. Unknown emails cost the same scrypt as known ones and answer the
 * same 401. Throttled by client AND account (./throttle.ts): five attempts from one client on one
 * account within 15 minutes lock that pair for 15 minutes (429 + Retry-After), even for the right
 * password; one client across accounts and one account across clients have their own, wider
 * limits. The slot is taken atomically before the password is checked, so parallel guesses cannot
 * outrun the count. With `env` it writes audit entries (sign-in, failures and lock-outs of
 * existing accounts).
 */
export async function logIn(
  db: Db,
  config: Config,
  input: LogInInput,
  options: {
    env?: Bindings
    now?: number
    /** The client's IP (`CF-Connecting-IP`); absent only in local tools, which share one bucket. */
    clientIp?: string | null
    /** The device cookie's mark (`readDeviceMark`): a device that signed in here before skips the account ceiling. */
    deviceMark?: string | null
    /** Defers failure audits (e.g. `ctx.waitUntil`), so a known email answers as fast as an unknown one. */
    waitUntil?: (work: Promise<unknown>) => void
  } = {},
): Promise<AuthUser> {
  const { email, password } = parseInput(LogInInputSchema, input)
  const now = options.now ?? Date.now()
  const key = await userEmailLookup(config, email)
  const client = await clientKey(config, { ip: options.clientIp?.trim() || null })
  const knownDevice =
    !!options.deviceMark && options.deviceMark === (await deviceMarkFor(config, email))
  const attempt = await beginLoginAttempt(db.$client, throttleKeys(key, client), now, {
    knownDevice,
  })
  if (!attempt.allowed) throw tooManyRequests(attempt.retryAfterMs / 1000)

  const [user] = await db
    .select({
      id: users.id,
      clinicId: users.clinicId,
      role: users.role,
      status: users.status,
      passwordHash: users.passwordHash,
    })
    .from(users)
    .where(eq(users.emailLookup, key))
    .limit(1)
  const passwordOk = await verifyPassword(
    password,
    user?.passwordHash ?? (await dummyPasswordHash()),
  )

  if (!user || !passwordOk || user.status !== 'active' || !user.passwordHash) {
    await attempt.release(false)
    if (user && options.env) {
      const actor = `user:${user.id}`
      const written = audit(options.env, user.clinicId, {
        actor,
        action: attempt.pairLockedNow ? 'auth.lockout' : 'auth.login.failed',
        target: actor,
      })
      if (options.waitUntil) options.waitUntil(written)
      else await written
    }
    throw unauthorized(INVALID_CREDENTIALS)
  }

  await attempt.release(true)
  await db.update(users).set({ lastLoginAt: now }).where(eq(users.id, user.id))
  if (options.env) {
    await audit(options.env, user.clinicId, {
      actor: `user:${user.id}`,
      action: 'auth.login',
      target: `user:${user.id}`,
    })
  }
  return { id: user.id, clinicId: user.clinicId, email, role: user.role }
}

/**
 * Invites a team member: creates the user (status `invited`, no password), stores the hashed
 * one-time token and queues the email with the link. Owners alone may invite owners. 409 if the email has an
 * account already.
 */
export async function createInvite(
  db: Db,
  config: Config,
  env: Bindings,
  invitedBy: Principal,
  input: InviteInput,
): Promise<InviteResult> {
  const { email, role } = parseInput(InviteInputSchema, input)
  if (role === 'owner' && invitedBy.role !== 'owner') {
    throw forbidden('Only an owner can invite another owner.')
  }
  const clinicId = invitedBy.clinicId
  // Per clinic: a compromised or careless account cannot turn invites into a mailing service.
  await enforceRateLimit(env.INVITE_LIMITER, `invite:${clinicId}`)
  const emailLookup = await userEmailLookup(config, email)
  const clinic = await findClinic(db, clinicId)
  if (!clinic) throw unauthorized()
  const keyring = await clinicKeyring(db, config, clinicId)
  const userId = newId('usr')
  const token = randomToken()
  const expiresAt = Date.now() + INVITE_TTL_MS
  try {
    await db.batch([
      db.insert(users).values({
        id: userId,
        clinicId,
        emailLookup,
        emailSealed: await keyring.seal(email),
        passwordHash: null,
        role,
        status: 'invited',
      }),
      db.insert(authTokens).values({
        tokenHash: await sha256Hex(token),
        kind: 'invite',
        userId,
        clinicId,
        expiresAt,
      }),
    ])
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('A user with this email already exists.')
    throw err
  }
  await audit(env, clinicId, {
    actor: actorOf(invitedBy),
    action: 'user.invite',
    target: `user:${userId}`,
    details: { role },
  })
  const link = `${config.publicBaseUrl}${INVITE_PATH}?token=${encodeURIComponent(token)}`
  const content = inviteEmail(clinic.name, link, INVITE_TTL_MS / DAY_MS)
  // Through the queue: the request does not wait on the provider, and a failed send is retried.
  await queueEmail(
    { db, config, jobs: env.JOBS },
    { clinicId, to: email, ...content, idempotencyKey: idempotencyKey('invite', userId) },
  )
  return { user: { id: userId, clinicId, email, role, status: 'invited' }, token, expiresAt }
}

/** Finds an unused, unexpired token of `kind`, or throws 400. A read only: spending is separate. */
async function findToken(db: Db, token: string, kind: 'invite' | 'password-reset', now: number) {
  const tokenHash = await sha256Hex(token)
  const [row] = await db
    .select({ userId: authTokens.userId, clinicId: authTokens.clinicId })
    .from(authTokens)
    .where(liveToken(tokenHash, kind, now))
    .limit(1)
  if (!row) throw invalidToken()
  return { ...row, tokenHash }
}

function invalidToken(): ProblemError {
  return new ProblemError(400, INVALID_TOKEN, [{ path: 'token', message: INVALID_TOKEN }])
}

/** The condition "this token is unspent and unexpired". */
function liveToken(tokenHash: string, kind: 'invite' | 'password-reset', now: number) {
  return and(
    eq(authTokens.tokenHash, tokenHash),
    eq(authTokens.kind, kind),
    isNull(authTokens.usedAt),
    gt(authTokens.expiresAt, now),
  )
}

/**
 * Spending a token, as batch statements: every write of the batch is conditioned on the token
 * still being live, and the token is spent LAST. A D1 batch is one transaction, so of two
 * requests racing with one token exactly one batch sees it live and writes; the other's batch
 * changes nothing (the password of a request answered 400 is never left in place).
 */
function whileTokenLive(db: Db, tokenHash: string, kind: 'invite' | 'password-reset', now: number) {
  return exists(
    db
      .select({ one: sql`1` })
      .from(authTokens)
      .where(liveToken(tokenHash, kind, now)),
  )
}

function spendToken(db: Db, tokenHash: string, now: number) {
  return db
    .update(authTokens)
    .set({ usedAt: now })
    .where(and(eq(authTokens.tokenHash, tokenHash), isNull(authTokens.usedAt)))
}

async function loadUser(db: Db, config: Config, userId: string, clinicId: string) {
  const [row] = await db
    .select({
      id: users.id,
      clinicId: users.clinicId,
      role: users.role,
      status: users.status,
      emailSealed: users.emailSealed,
      emailLookup: users.emailLookup,
    })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.clinicId, clinicId)))
  if (!row) return null
  const keyring = await clinicKeyring(db, config, clinicId)
  return { ...row, email: await keyring.open(row.emailSealed) }
}

/**
 * The first half of redeeming an invite or a reset token: the per-client limit, the input, the
 * live token and its user (who must be in `use.status`), and the new password's hash.
 * 400 for an unknown, used or expired token.
 */
async function redeemToken(
  db: Db,
  config: Config,
  env: Bindings,
  input: TokenPasswordInput,
  client: ClientInfo,
  use: {
    limitKey: 'accept' | 'confirm'
    kind: 'invite' | 'password-reset'
    status: 'invited' | 'active'
  },
) {
  await enforceRateLimit(
    env.PASSWORD_RESET_LIMITER,
    `${use.limitKey}:${await clientKey(config, client)}`,
  )
  const { token, password } = parseInput(TokenPasswordInputSchema, input)
  const now = Date.now()
  const found = await findToken(db, token, use.kind, now)
  const user = await loadUser(db, config, found.userId, found.clinicId)
  if (!user || user.status !== use.status) throw invalidToken()
  return { now, found, user, passwordHash: await hashPassword(password) }
}

/**
 * Accepts an invite: sets the password, activates the user and spends the token, atomically (see
 * `whileTokenLive`). The caller starts the session. 400 for an unknown, used or expired token.
 */
export async function acceptInvite(
  db: Db,
  config: Config,
  env: Bindings,
  input: TokenPasswordInput,
  client: ClientInfo = { ip: null },
): Promise<AuthUser> {
  const { now, found, user, passwordHash } = await redeemToken(db, config, env, input, client, {
    limitKey: 'accept',
    kind: 'invite',
    status: 'invited',
  })
  const [activated] = await db.batch([
    db
      .update(users)
      .set({ passwordHash, status: 'active', lastLoginAt: now })
      .where(
        and(
          eq(users.id, user.id),
          eq(users.status, 'invited'),
          whileTokenLive(db, found.tokenHash, 'invite', now),
        ),
      )
      .returning({ id: users.id }),
    spendToken(db, found.tokenHash, now),
  ])
  return tokenUsed(env, user, activated, 'user.invite.accept')
}

/** Audits what a spent token did and answers with its user. */
async function tokenUsed(
  env: Bindings,
  user: { id: string; clinicId: string; email: string; role: AuthUser['role'] },
  applied: readonly unknown[],
  action: string,
): Promise<AuthUser> {
  // The batch's first write returns the user only while the token was live: 400 if it was spent.
  if (applied.length === 0) throw invalidToken()
  await audit(env, user.clinicId, { actor: `user:${user.id}`, action, target: `user:${user.id}` })
  return { id: user.id, clinicId: user.clinicId, email: user.email, role: user.role }
}

/**
 * The request half of "forgot password": validates the email (400) and applies the per-client
 * limit (429) now, and hands the look-up and the email to `waitUntil`, so the answer (202) takes
 * the same time whether or not the account exists.
 */
export async function schedulePasswordReset(
  db: Db,
  config: Config,
  env: Bindings,
  input: { email: string },
  options: { client: ClientInfo; waitUntil: (work: Promise<unknown>) => void },
): Promise<void> {
  const parsed = parseInput(PasswordResetRequestSchema, input)
  await enforceRateLimit(
    env.PASSWORD_RESET_LIMITER,
    `reset:${await clientKey(config, options.client)}`,
  )
  options.waitUntil(
    requestPasswordReset(db, config, env, parsed).catch((err: unknown) => {
      logError('password reset request', err)
    }),
  )
}

/**
 * Queues a password-reset email when `email` belongs to an active account; does nothing
 * otherwise. Callers answer the same (202) either way, and run this after the response
 * (`waitUntil`) so the answer takes the same time too: accounts cannot be enumerated.
 * At most one link per account per few minutes, decided by one conditional INSERT (parallel
 * requests cannot each pass a "no recent link" check).
 */
export async function requestPasswordReset(
  db: Db,
  config: Config,
  env: Bindings,
  input: { email: string },
): Promise<void> {
  const { email } = parseInput(PasswordResetRequestSchema, input)
  const [user] = await db
    .select({ id: users.id, clinicId: users.clinicId, status: users.status })
    .from(users)
    .where(eq(users.emailLookup, await userEmailLookup(config, email)))
    .limit(1)
  if (user?.status !== 'active') return
  const now = Date.now()
  const token = randomToken()
  const tokenHash = await sha256Hex(token)
  // Raw SQL: `INSERT … SELECT … WHERE NOT EXISTS` makes the one-reset-per-window rule a single
  // atomic statement (D1 has no transactions to check first and insert after).
  const inserted = await db.$client
    .prepare(
      `INSERT INTO auth_tokens (token_hash, kind, user_id, clinic_id, created_at, expires_at)
       SELECT ?1, 'password-reset', ?2, ?3, ?4, ?5
       WHERE NOT EXISTS (SELECT 1 FROM auth_tokens
                         WHERE user_id = ?2 AND kind = 'password-reset' AND created_at > ?6)`,
    )
    .bind(
      tokenHash,
      user.id,
      user.clinicId,
      now,
      now + PASSWORD_RESET_TTL_MS,
      now - PASSWORD_RESET_RESEND_MS,
    )
    .run()
  if (inserted.meta.changes === 0) return
  await audit(env, user.clinicId, {
    actor: `user:${user.id}`,
    action: 'auth.password-reset.request',
    target: `user:${user.id}`,
  })
  const link = `${config.publicBaseUrl}${PASSWORD_RESET_PATH}?token=${encodeURIComponent(token)}`
  const content = passwordResetEmail(link, PASSWORD_RESET_TTL_MS / 60_000)
  await queueEmail(
    { db, config, jobs: env.JOBS },
    {
      clinicId: user.clinicId,
      to: email,
      ...content,
      idempotencyKey: idempotencyKey('password-reset', tokenHash.slice(0, 32)),
    },
  )
}

/**
 * Sets a new password from a reset token, spends the token, signs the user out everywhere and
 * clears the account's login locks, all in one batch conditioned on the token being live (see
 * `whileTokenLive`). The caller may start a fresh session.
 */
export async function resetPassword(
  db: Db,
  config: Config,
  env: Bindings,
  input: TokenPasswordInput,
  client: ClientInfo = { ip: null },
): Promise<AuthUser> {
  const { now, found, user, passwordHash } = await redeemToken(db, config, env, input, client, {
    limitKey: 'confirm',
    kind: 'password-reset',
    status: 'active',
  })
  const live = () => whileTokenLive(db, found.tokenHash, 'password-reset', now)
  const locks = accountThrottleKeys(user.emailLookup)
  const [changed] = await db.batch([
    db
      .update(users)
      .set({ passwordHash })
      .where(and(eq(users.id, user.id), eq(users.status, 'active'), live()))
      .returning({ id: users.id }),
    db
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(eq(sessions.userId, user.id), isNull(sessions.revokedAt), live())),
    db
      .delete(loginThrottle)
      .where(
        and(
          live(),
          or(
            eq(loginThrottle.key, locks.account),
            and(gte(loginThrottle.key, locks.pairsFrom), lt(loginThrottle.key, locks.pairsTo)),
          ),
        ),
      ),
    spendToken(db, found.tokenHash, now),
  ])
  return tokenUsed(env, user, changed, 'auth.password-reset')
}

/** The signed-in member and their clinic, for `/me` and the dashboard header. */
export async function currentUser(
  db: Db,
  config: Config,
  principal: Principal,
): Promise<{
  user: Omit<AuthUser, 'clinicId'>
  clinic: { id: string; name: string; timezone: string }
}> {
  const clinic = await findClinic(db, principal.clinicId)
  if (!clinic) throw unauthorized()
  // An API key has no person behind it: `/me` is for signed-in members.
  if (principal.via !== 'session') throw forbidden('Sign in as a team member to see this.')
  const user = await loadUser(db, config, principal.actorId, principal.clinicId)
  if (!user) throw unauthorized()
  return {
    user: { id: user.id, email: user.email, role: user.role },
    clinic: { id: clinic.id, name: clinic.name, timezone: clinic.timezone },
  }
}
