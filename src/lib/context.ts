/** The Hono environment shared by every route: bindings plus per-request variables. */
import type { Db } from '../db/client'
import type { Bindings, Config } from '../env'
import type { AfterResponse } from './after-response'

export const ROLES = ['owner', 'admin', 'receptionist', 'analyst'] as const
export type Role = (typeof ROLES)[number]

/** Who is calling: a signed-in staff member (session) or a practice system (API key). */
export type Principal = {
  clinicId: string
  role: Role
  via: 'session' | 'api-key'
  /** The staff member's id (sessions) or the API key's id. */
  actorId: string
  /** For sessions: the hashed token, so sign-out can revoke it. */
  sessionTokenHash?: string
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
