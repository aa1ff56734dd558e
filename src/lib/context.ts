/** The Hono environment shared by every route: bindings plus per-request variables. */
import type { ApiKeyScope } from '../auth/policy'
import type { Db } from '../db/client'
import type { Bindings, Config } from '../env'
import type { AfterResponse } from './after-response'

export const ROLES = ['owner', 'admin', 'receptionist', 'analyst'] as const
export type Role = (typeof ROLES)[number]

/**
 * Who is calling: a signed-in staff member (session, with a role) or a practice system (API key,
 * with scopes and no role: a key never holds a person's powers). What either may do is decided
 * by src/auth/policy.ts.
 */
export type Principal =
  | {
      clinicId: string
      via: 'session'
      role: Role
      /** The staff member's id. */
      actorId: string
      /** The hashed token, so sign-out can revoke it. */
      sessionTokenHash?: string
      scopes?: undefined
    }
  | {
      clinicId: string
      via: 'api-key'
      /** The scopes chosen when the key was made (src/auth/policy.ts `API_KEY_SCOPES`). */
      scopes: readonly ApiKeyScope[]
      /** The API key's id. */
      actorId: string
      role?: undefined
      sessionTokenHash?: undefined
    }

export type AppEnv = {
  Bindings: Bindings
  Variables: {
    db: Db
    config: Config
    principal: Principal
    /** Starts a task once the response exists (src/lib/after-response.ts). */
    afterResponse: AfterResponse
    /** A CSP nonce for the dashboard's pages. */
    secureHeadersNonce?: string
  }
}

/** `user:<id>` or `api-key:<id>`: how audit entries name the actor. */
export function actorOf(p: Principal): string {
  return p.via === 'session' ? `user:${p.actorId}` : `api-key:${p.actorId}`
}

/** A signed-in person (the dashboard's only kind of principal). */
export type SessionPrincipal = Extract<Principal, { via: 'session' }>
