/**
 * Authentication and authorisation for /api/v1 and the dashboard.
 *
 * `requireAuth(action)` accepts a session cookie or `Authorization: Bearer <api key>`, asks the
 * one policy (./policy.ts) whether the caller may take `action` — a person by role, a key by its
 * scopes — and, for cookie-authenticated writes, requires `Origin` to equal PUBLIC_BASE_URL's
 * origin (CSRF). API-key calls are server-to-server and carry no cookie, so they need no Origin.
 */
import { and, eq, isNull } from 'drizzle-orm'
import type { Context, MiddlewareHandler } from 'hono'
import { apiKeys } from '../db/schema'
import type { AppEnv, Principal } from '../lib/context'
import { forbidden, unauthorized } from '../lib/problem'
import { sha256Hex } from '../privacy/crypto'
import { type Action, can, parseScopes } from './policy'
import { resolveSession } from './sessions'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** API keys look like `rb_live_<random>`; the prefix makes leaked keys easy to scan for. */
export const API_KEY_PREFIX = 'rb_live_'

async function resolveApiKey(c: Context<AppEnv>, key: string): Promise<Principal | null> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return null
  const [row] = await c.var.db
    .select({
      id: apiKeys.id,
      clinicId: apiKeys.clinicId,
      lastUsedAt: apiKeys.lastUsedAt,
      scopes: apiKeys.scopes,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, await sha256Hex(key)), isNull(apiKeys.revokedAt)))
    .limit(1)
  if (!row) return null
  const now = Date.now()
  if (!row.lastUsedAt || now - row.lastUsedAt > 60_000) {
    await c.var.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id))
  }
  // A key has no role: it acts only within the scopes chosen when it was made (./policy.ts).
  return {
    clinicId: row.clinicId,
    via: 'api-key',
    scopes: parseScopes(row.scopes),
    actorId: row.id,
  }
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

/**
 * Requires a caller who may take `action` under the policy (./policy.ts): 401 without a session
 * or a live key, 403 when the role or the key's scopes do not allow it. Sets `c.var.principal`.
 */
export function requireAuth(action: Action): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await authenticate(c)
    if (!principal) throw unauthorized()
    if (principal.via === 'session' && !SAFE_METHODS.has(c.req.method) && !isSameOrigin(c)) {
      throw forbidden('Cross-origin request refused: the Origin header must match this site.')
    }
    if (!can(principal, action)) {
      throw forbidden(
        principal.via === 'api-key'
          ? `This API key lacks the scope ${action}.`
          : `Your role (${principal.role}) may not do this (${action}).`,
      )
    }
    c.set('principal', principal)
    await next()
  }
}
