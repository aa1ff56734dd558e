/**
 * The clinic's team and its API keys, as plain functions shared by the JSON API and the dashboard.
 * Every query is scoped to the caller's clinic: another clinic's id answers 404 as if it did not
 * exist. Owners alone may make, change or disable owners, and the last active owner stays.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import { alertsOn } from '../alerts/alerts'
import { audit } from '../audit/audit'
import type { Db } from '../db/client'
import { clinicRowsPage } from '../db/clinic-pages'
import { apiKeys, sessions, users } from '../db/schema'
import type { Bindings, Config } from '../env'
import { actorOf, type Principal, type Role } from '../lib/context'
import { newId } from '../lib/ids'
import { badRequest, conflict, forbidden, notFound } from '../lib/problem'
import { toIso, toIsoOrNull } from '../lib/time'
import { clinicKeyring, randomToken, sha256Hex } from '../privacy/crypto'
import { API_KEY_PREFIX } from './middleware'
import { type ApiKeyScope, DEFAULT_API_KEY_SCOPES, formatScopes, parseScopes } from './policy'

export type TeamMember = {
  id: string
  email: string
  role: Role
  status: 'active' | 'invited' | 'disabled'
  createdAt: string
  lastLoginAt: string | null
  /** Whether they get the staff alert emails (src/alerts). */
  alerts: boolean
}

export type ApiKeySummary = {
  id: string
  name: string
  /** The key's first characters, to recognise it. */
  prefix: string
  createdAt: string
  lastUsedAt: string | null
  /** What the key may do (src/auth/policy.ts). */
  scopes: ApiKeyScope[]
}

type Page = { limit: number; cursor?: string | undefined }

/** Lists the clinic's team (emails unsealed for display), oldest first. */
export async function listTeam(
  db: Db,
  config: Config,
  clinicId: string,
  page: Page,
): Promise<{ items: TeamMember[]; nextCursor: string | null }> {
  const { items, nextCursor } = await clinicRowsPage(db, users, clinicId, page)
  const keyring = await clinicKeyring(db, config, clinicId)
  return {
    items: await Promise.all(items.map((r) => teamMemberOf(r, keyring))),
    nextCursor,
  }
}

async function teamMemberOf(
  r: typeof users.$inferSelect,
  keyring: Awaited<ReturnType<typeof clinicKeyring>>,
): Promise<TeamMember> {
  return {
    id: r.id,
    email: await keyring.open(r.emailSealed),
    role: r.role,
    status: r.status,
    createdAt: toIso(r.createdAt),
    lastLoginAt: toIsoOrNull(r.lastLoginAt),
    alerts: alertsOn(r),
  }
}

async function findMember(db: Db, clinicId: string, userId: string) {
  const [row] = await db
    .select({ id: users.id, role: users.role, status: users.status })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.clinicId, clinicId)))
  if (!row) throw notFound()
  return row
}

/**
 * The SQL condition "another active owner remains", evaluated inside the UPDATE that would remove
 * an owner: a separate read-then-write let two owners demote or disable each other at once and
 * leave the clinic with none.
 */
function anotherActiveOwner(clinicId: string, userId: string) {
  return sql`EXISTS (SELECT 1 FROM users AS o WHERE o.clinic_id = ${clinicId}
    AND o.role = 'owner' AND o.status = 'active' AND o.id <> ${userId})`
}

/**
 * The guard of a change decided on the member as read: the row still has that role and status,
 * and (when the change takes an active owner away) another active owner remains.
 */
function memberStillAsRead(
  clinicId: string,
  userId: string,
  member: { role: Role; status: 'active' | 'invited' | 'disabled' },
  removesOwner: boolean,
) {
  return and(
    eq(users.id, userId),
    eq(users.clinicId, clinicId),
    eq(users.role, member.role),
    eq(users.status, member.status),
    removesOwner ? anotherActiveOwner(clinicId, userId) : undefined,
  )
}

const LAST_OWNER = 'The clinic needs at least one active owner.'
const CHANGED = 'This member was changed meanwhile. Reload and try again.'

/**
 * Changes a member's role. Owners alone touch owners; the last active owner keeps the role. The
 * decision is made on the member as read, and the UPDATE applies only if the member is still as
 * read and (for an owner) another active owner still exists, in one statement.
 */
export async function changeRole(
  db: Db,
  config: Config,
  env: Bindings,
  principal: Principal,
  userId: string,
  role: Role,
): Promise<TeamMember> {
  const member = await findMember(db, principal.clinicId, userId)
  if ((member.role === 'owner' || role === 'owner') && principal.role !== 'owner') {
    throw forbidden('Only an owner can make or change an owner.')
  }
  const removesOwner = member.role === 'owner' && role !== 'owner' && member.status === 'active'
  if (member.role !== role) {
    const changed = await db
      .update(users)
      .set({ role })
      .where(memberStillAsRead(principal.clinicId, userId, member, removesOwner))
      .returning({ id: users.id })
    if (changed.length === 0) throw conflict(removesOwner ? LAST_OWNER : CHANGED)
    await audit(env, principal.clinicId, {
      actor: actorOf(principal),
      action: 'user.role.change',
      target: `user:${userId}`,
      details: { from: member.role, to: role },
    })
  }
  return memberById(db, config, principal.clinicId, userId)
}

/**
 * Disables a member and signs them out everywhere, in one batch: the disable applies only if the
 * member is still as read and (for an active owner) another active owner remains; the sessions
 * are revoked only if the member is now disabled.
 */
export async function disableMember(
  db: Db,
  env: Bindings,
  principal: Principal,
  userId: string,
): Promise<void> {
  const member = await findMember(db, principal.clinicId, userId)
  if (member.role === 'owner' && principal.role !== 'owner') {
    throw forbidden('Only an owner can disable an owner.')
  }
  if (member.status === 'disabled') return
  const removesOwner = member.role === 'owner' && member.status === 'active'
  const now = Date.now()
  const [disabled] = await db.batch([
    db
      .update(users)
      .set({ status: 'disabled' })
      .where(memberStillAsRead(principal.clinicId, userId, member, removesOwner))
      .returning({ id: users.id }),
    db
      .update(sessions)
      .set({ revokedAt: now })
      .where(
        and(
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          sql`EXISTS (SELECT 1 FROM users AS d WHERE d.id = ${userId} AND d.status = 'disabled')`,
        ),
      ),
  ])
  if (disabled.length === 0) throw conflict(removesOwner ? LAST_OWNER : CHANGED)
  await audit(env, principal.clinicId, {
    actor: actorOf(principal),
    action: 'user.disable',
    target: `user:${userId}`,
  })
}

/**
 * 400 naming `field` unless `userId` is a member of the clinic who can work (active or invited):
 * what a lead or a conversation may be assigned to.
 */
export async function requireAssignee(
  db: Db,
  clinicId: string,
  userId: string,
  field = 'assignedTo',
): Promise<void> {
  const [member] = await db
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        eq(users.clinicId, clinicId),
        eq(users.id, userId),
        inArray(users.status, ['active', 'invited']),
      ),
    )
    .limit(1)
  if (!member) {
    throw badRequest('The request is not valid.', [
      { path: field, message: 'No such member of the team.' },
    ])
  }
}

export async function memberById(
  db: Db,
  config: Config,
  clinicId: string,
  userId: string,
): Promise<TeamMember> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), eq(users.clinicId, clinicId)))
  if (!row) throw notFound()
  return teamMemberOf(row, await clinicKeyring(db, config, clinicId))
}

/** Turns a member's staff alert emails on or off (their role's default until chosen). */
export async function setAlerts(
  db: Db,
  config: Config,
  env: Bindings,
  principal: Principal,
  userId: string,
  on: boolean,
): Promise<TeamMember> {
  const changed = await db
    .update(users)
    .set({ alertsEmail: on })
    .where(and(eq(users.id, userId), eq(users.clinicId, principal.clinicId)))
    .returning({ id: users.id })
  if (changed.length === 0) throw notFound()
  await audit(env, principal.clinicId, {
    actor: actorOf(principal),
    action: 'user.alerts.change',
    target: `user:${userId}`,
    details: { alerts: on },
  })
  return memberById(db, config, principal.clinicId, userId)
}

/**
 * Creates an API key with `scopes` (the contract's default set when omitted; callers validate
 * them against `API_KEY_SCOPES`). The key is returned once; only its SHA-256 is stored.
 */
export async function createApiKey(
  db: Db,
  env: Bindings,
  principal: Principal,
  name: string,
  scopes: readonly ApiKeyScope[] = DEFAULT_API_KEY_SCOPES,
): Promise<ApiKeySummary & { key: string }> {
  const stored = formatScopes(scopes)
  const id = newId('key')
  const key = `${API_KEY_PREFIX}${randomToken(24)}`
  const prefix = key.slice(0, API_KEY_PREFIX.length + 4)
  const now = Date.now()
  await db.insert(apiKeys).values({
    id,
    clinicId: principal.clinicId,
    name,
    keyHash: await sha256Hex(key),
    prefix,
    createdBy: principal.actorId,
    createdAt: now,
    scopes: stored,
  })
  await audit(env, principal.clinicId, {
    actor: actorOf(principal),
    action: 'api-key.create',
    target: `api-key:${id}`,
    details: { scopes: stored },
  })
  return {
    id,
    name,
    key,
    prefix,
    createdAt: toIso(now),
    lastUsedAt: null,
    scopes: parseScopes(stored),
  }
}

/** Lists the clinic's live (unrevoked) API keys, without the keys. */
export async function listApiKeys(
  db: Db,
  clinicId: string,
  page: Page,
): Promise<{ items: ApiKeySummary[]; nextCursor: string | null }> {
  const { items, nextCursor } = await clinicRowsPage(
    db,
    apiKeys,
    clinicId,
    page,
    isNull(apiKeys.revokedAt),
  )
  return {
    items: items.map((r) => ({
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      createdAt: toIso(r.createdAt),
      lastUsedAt: toIsoOrNull(r.lastUsedAt),
      scopes: parseScopes(r.scopes),
    })),
    nextCursor,
  }
}

/** Revokes a key at once. 404 for a key of another clinic or one already revoked. */
export async function revokeApiKey(
  db: Db,
  env: Bindings,
  principal: Principal,
  keyId: string,
): Promise<void> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(
      and(
        eq(apiKeys.id, keyId),
        eq(apiKeys.clinicId, principal.clinicId),
        isNull(apiKeys.revokedAt),
      ),
    )
    .returning({ id: apiKeys.id })
  if (revoked.length === 0) throw notFound()
  await audit(env, principal.clinicId, {
    actor: actorOf(principal),
    action: 'api-key.revoke',
    target: `api-key:${keyId}`,
  })
}
