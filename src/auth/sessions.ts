/**
 * Server-side sessions. The cookie holds a random token (signed with SESSION_SECRET); the database
 * holds only its SHA-256, so sessions can be revoked and a leaked table is useless as cookies.
 */
import { and, eq, gt, isNull } from 'drizzle-orm'
import type { Context } from 'hono'
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie'
import { sessions, users } from '../db/schema'
import type { Config } from '../env'
import type { AppEnv, Role, SessionPrincipal } from '../lib/context'
import { DAY_MS, HOUR_MS } from '../lib/time'
import { randomToken, sha256Hex, userEmailLookup } from '../privacy/crypto'

export const SESSION_TTL_MS = 7 * DAY_MS
/** A session unused for this long expires even before its absolute lifetime. */
export const SESSION_IDLE_MS = 12 * HOUR_MS
const TOUCH_EVERY_MS = 5 * 60_000

function cookieName(c: Context<AppEnv>): string {
  // `__Host-` pins the cookie to this origin (Secure, Path=/, no Domain) wherever we have https.
  return c.var.config.secureCookies ? '__Host-rb_session' : 'rb_session'
}

/** Creates a session for the user and sets its cookie. */
export async function startSession(
  c: Context<AppEnv>,
  user: { id: string; clinicId: string },
): Promise<void> {
  const token = randomToken()
  const now = Date.now()
  await c.var.db.insert(sessions).values({
    tokenHash: await sha256Hex(token),
    userId: user.id,
    clinicId: user.clinicId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + SESSION_TTL_MS,
  })
  await setSignedCookie(c, cookieName(c), token, c.var.config.sessionSecret, {
    httpOnly: true,
    secure: c.var.config.secureCookies,
    sameSite: 'Lax',
    path: '/',
    maxAge: SESSION_TTL_MS / 1000,
  })
}

/** Resolves the session cookie to a principal, or null (missing, tampered, expired, revoked). */
export async function resolveSession(c: Context<AppEnv>): Promise<SessionPrincipal | null> {
  const token = await getSignedCookie(c, c.var.config.sessionSecret, cookieName(c))
  if (!token) return null
  const tokenHash = await sha256Hex(token)
  const now = Date.now()
  const [row] = await c.var.db
    .select({
      userId: users.id,
      clinicId: users.clinicId,
      role: users.role,
      status: users.status,
      lastSeenAt: sessions.lastSeenAt,
      createdAt: sessions.createdAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.tokenHash, tokenHash),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
      ),
    )
    .limit(1)
  if (row?.status !== 'active') return null
  const lastSeen = row.lastSeenAt ?? row.createdAt
  if (now - lastSeen > SESSION_IDLE_MS) return null
  if (now - lastSeen > TOUCH_EVERY_MS) {
    await c.var.db
      .update(sessions)
      .set({ lastSeenAt: now })
      .where(eq(sessions.tokenHash, tokenHash))
  }
  return {
    clinicId: row.clinicId,
    role: row.role as Role,
    via: 'session',
    actorId: row.userId,
    sessionTokenHash: tokenHash,
  }
}

/** Revokes the current session server-side and clears the cookie. */
export async function endSession(c: Context<AppEnv>, tokenHash: string | undefined): Promise<void> {
  if (tokenHash) {
    await c.var.db
      .update(sessions)
      .set({ revokedAt: Date.now() })
      .where(eq(sessions.tokenHash, tokenHash))
  }
  deleteCookie(c, cookieName(c), { path: '/', secure: c.var.config.secureCookies })
}

/** How long a device is remembered as one that signed in to an account (for login throttling). */
const DEVICE_TTL_MS = 180 * DAY_MS

function deviceCookieName(c: Context<AppEnv>): string {
  return c.var.config.secureCookies ? '__Host-rb_device' : 'rb_device'
}

/**
 * The mark a device cookie carries for an account: a hash of the account's keyed lookup hash,
 * so the cookie names no email and is useless for any other account.
 */
export async function deviceMarkFor(config: Config, email: string): Promise<string> {
  return sha256Hex(`device:${await userEmailLookup(config, email)}`)
}

/** Remembers (signed cookie) that this device signed in to `email`'s account. */
export async function rememberDevice(c: Context<AppEnv>, email: string): Promise<void> {
  const mark = await deviceMarkFor(c.var.config, email)
  await setSignedCookie(c, deviceCookieName(c), mark, c.var.config.sessionSecret, {
    httpOnly: true,
    secure: c.var.config.secureCookies,
    sameSite: 'Lax',
    path: '/',
    maxAge: DEVICE_TTL_MS / 1000,
  })
}

/** The device cookie's mark, or null (absent or tampered). */
export async function readDeviceMark(c: Context<AppEnv>): Promise<string | null> {
  const mark = await getSignedCookie(c, c.var.config.sessionSecret, deviceCookieName(c))
  return mark || null
}
