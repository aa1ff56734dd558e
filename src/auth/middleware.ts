/**
 * Authentication and authorisation for /api/v1 and the dashboard.
 *
 * `requireAuth(roles)` accepts a session cookie or `Authorization: Bearer <api key>`, enforces the
 * role list, and — for cookie-authenticated writes — requires `Origin` to equal PUBLIC_BASE_URL's
 * origin (CSRF). API-key calls are server-to-server and carry no cookie, so they need no Origin.
 */
import { and, eq, isNull } from 'drizzle-orm'
import type { Context, MiddlewareHandler } from 'hono'
import { apiKeys } from '../db/schema'
import type { AppEnv, Principal, Role } from '../lib/context'
import { forbidden, unauthorized } from '../lib/problem'
import { sha256Hex } from '../privacy/crypto'
import { resolveSession } from './sessions'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** API keys look like `rb_live_<random>`; the prefix makes leaked keys easy to scan for. */
export const API_KEY_PREFIX = 'rb_live_'

async function resolveApiKey(c: Context<AppEnv>, key: string): Promise<Principal | null> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return null
  const [row] = await c.var.db
    .select({ id: apiKeys.id, clinicId: apiKeys.clinicId, lastUsedAt: apiKeys.lastUsedAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, await sha256Hex(key)), isNull(apiKeys.revokedAt)))
    .limit(1)
  if (!row) return null
  const now = Date.now()
  if (!row.lastUsedAt || now - row.lastUsedAt > 60_000) {
    await c.var.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id))
  }
  // An API key acts for its clinic as an admin would, for data (appointments, calls); managing
  // users and keys needs a signed-in person (see `sessionOnly`).
  return { clinicId: row.clinicId, role: 'admin', via: 'api-key', actorId: row.id }
}

/** Finds the caller, or null. Does not enforce anything. */
export async function authenticate(c: Context<AppEnv>): Promise<Principal | null> {
  const header = c.req.header('authorization')
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header)
    return m ? resolveApiKey(c, m[1]!) : null
  }
  return resolveSession(c)
}

export function isSameOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header('origin')
  return origin !== undefined && origin === c.var.config.publicOrigin
}

/**
 * For the sign-in family of routes (no session yet): a browser always sends Origin on a POST, so
 * one naming another site is a cross-site attempt (login CSRF) and is refused. Server-side
 * clients that send no Origin at all are let through.
 */
export const refuseForeignOrigin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = c.req.header('origin')
  if (origin !== undefined && origin !== c.var.config.publicOrigin) {
    throw forbidden('Cross-origin request refused: the Origin header must match this site.')
  }
  await next()
}

type AuthOptions = { sessionOnly?: boolean }

/**
 * Requires a signed-in caller with one of `roles` (all roles when omitted). Sets `c.var.principal`.
 */
export function requireAuth(
  roles?: readonly Role[],
  options: AuthOptions = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await authenticate(c)
    if (!principal) throw unauthorized()
    if (principal.via === 'session' && !SAFE_METHODS.has(c.req.method) && !isSameOrigin(c)) {
      throw forbidden('Cross-origin request refused: the Origin header must match this site.')
    }
    if (options.sessionOnly && principal.via !== 'session') {
      throw forbidden('This action needs a signed-in team member, not an API key.')
    }
    if (roles && !roles.includes(principal.role)) throw forbidden()
    c.set('principal', principal)
    await next()
  }
}

/** Role groups used across routes. */
export const STAFF: readonly Role[] = ['owner', 'admin', 'receptionist', 'analyst']
export const OPERATORS: readonly Role[] = ['owner', 'admin', 'receptionist']
export const MANAGERS: readonly Role[] = ['owner', 'admin']
