/**
 * Test fixtures that build a clinic and its people straight in D1 (through the app's own crypto),
 * so each feature's tests can sign in without depending on the auth routes.
 */
import { env, exports } from 'cloudflare:workers'
import { API_KEY_PREFIX } from '../../src/auth/middleware'
import { createDb } from '../../src/db/client'
import { apiKeys, clinics, sessions, trackingNumbers, users } from '../../src/db/schema'
import { getConfig } from '../../src/env'
import type { Role } from '../../src/lib/context'
import { newId } from '../../src/lib/ids'
import { DAY_MS } from '../../src/lib/time'
import { clinicKeyring, randomToken, sha256Hex, userEmailLookup } from '../../src/privacy/crypto'
import { TEST_VARS } from '../env'

export const BASE = TEST_VARS.PUBLIC_BASE_URL
export const ORIGIN = new URL(BASE).origin

export type TestClinic = {
  clinicId: string
  trackingNumber: string
  forwardTo: string
  /** Signs in as a member with this role: returns headers carrying the session cookie and a same-site Origin. */
  as(role: Role): Promise<TestMember>
  /** A live API key; `scopes` as stored (comma-separated), the column's default when omitted. */
  apiKey(scopes?: string): Promise<string>
}

export type TestMember = {
  userId: string
  email: string
  cookie: string
  headers: Record<string, string>
}

let counter = 0

/** Creates a clinic with one tracking number. Numbers are unique per call so files can share D1 state safely. */
export async function createTestClinic(
  overrides: Partial<typeof clinics.$inferInsert> = {},
): Promise<TestClinic> {
  const db = createDb(env.DB)
  const config = getConfig(env)
  const clinicId = newId('cln')
  counter++
  // Leeds numbers (0113 xxx xxxx) from a space of ten million random values: clinics created in
  // one file never collide on the tracking number's unique index.
  const random = crypto.getRandomValues(new Uint32Array(1))[0]! % 5_000_000
  const trackingNumber = `+44113${String(random * 2).padStart(7, '0')}`
  const forwardTo = `+44113${String(random * 2 + 1).padStart(7, '0')}`
  await db.insert(clinics).values({ id: clinicId, name: `Test Clinic ${counter}`, ...overrides })
  await db.insert(trackingNumbers).values({
    id: newId('num'),
    clinicId,
    phoneNumber: trackingNumber,
    forwardTo,
    label: 'Main line',
  })

  return {
    clinicId,
    trackingNumber,
    forwardTo,
    async as(role: Role) {
      const userId = newId('usr')
      const email = `${role}.${userId.toLowerCase()}@clinic.test`
      const keyring = await clinicKeyring(db, config, clinicId)
      await db.insert(users).values({
        id: userId,
        clinicId,
        emailLookup: await userEmailLookup(config, email),
        emailSealed: await keyring.seal(email),
        passwordHash: null,
        role,
        status: 'active',
      })
      return { userId, email, ...(await sessionFor(clinicId, userId)) }
    },
    async apiKey(scopes?: string) {
      const key = `${API_KEY_PREFIX}${randomToken(24)}`
      await db.insert(apiKeys).values({
        id: newId('key'),
        clinicId,
        name: 'test',
        keyHash: await sha256Hex(key),
        prefix: key.slice(0, 12),
        ...(scopes === undefined ? {} : { scopes }),
      })
      return key
    },
  }
}

/** Starts a dashboard session for an existing member (e.g. a seeded clinic's owner). */
export async function sessionFor(
  clinicId: string,
  userId: string,
): Promise<{ cookie: string; headers: Record<string, string> }> {
  const db = createDb(env.DB)
  const config = getConfig(env)
  const token = randomToken()
  const now = Date.now()
  await db.insert(sessions).values({
    tokenHash: await sha256Hex(token),
    userId,
    clinicId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + DAY_MS,
  })
  const cookie = `__Host-rb_session=${await signCookieValue(token, config.sessionSecret)}`
  return { cookie, headers: { cookie, origin: ORIGIN } }
}

/** Hono's signed-cookie format: `<value>.<base64 HMAC-SHA256>`, URL-encoded. */
async function signCookieValue(value: string, secret: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const sig = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(value))
  const b64 = btoa(String.fromCharCode(...new Uint8Array(sig)))
  return encodeURIComponent(`${value}.${b64}`)
}

/** `fetch` against the Worker under test. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(new URL(path, BASE), init))
}

/** JSON request helper: `api('POST', '/api/v1/x', body, member.headers)`. */
export function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return call(path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}
