/**
 * Who may do what: ONE table of actions → the roles allowed, and which actions an API key may be
 * granted as scopes. The JSON API (`requireAuth(action)`), the dashboard's pages and its
 * navigation (src/dashboard/access.ts) all read this table, so they cannot disagree.
 */
import type { Role } from '../lib/context'

const ALL: readonly Role[] = ['owner', 'admin', 'receptionist', 'analyst']
const OPERATORS: readonly Role[] = ['owner', 'admin', 'receptionist']
const MANAGERS: readonly Role[] = ['owner', 'admin']
const OWNERS: readonly Role[] = ['owner']
/** Managers and analysts: the settings are for those who run or study the clinic, not the phones. */
const READERS: readonly Role[] = ['owner', 'admin', 'analyst']

/**
 * Every action, the roles that may take it, and whether an API key may carry it as a scope.
 * Rules: analysts only read (metrics, calls, appointments, the clinic's settings), never personal
 * data such as the team's emails, the outbox or the audit log; receptionists work the phones
 * (calls and appointments, read and write; numbers and treatments, read; no settings); owners and
 * admins manage. A key never gets a power
 * that belongs to a person: the team, API keys, the outbox, privacy requests, the audit log,
 * the job failures and the clinic's settings are session-only.
 */
export const POLICY = {
  'calls:read': { roles: ALL, key: true, about: 'List and read calls (caller numbers hashed).' },
  'calls:write': { roles: OPERATORS, key: true, about: 'Record callbacks made outside Twilio.' },
  'appointments:read': { roles: ALL, key: true, about: 'Read appointments and attributions.' },
  'appointments:write': { roles: OPERATORS, key: true, about: 'Create and import appointments.' },
  'metrics:read': { roles: ALL, key: true, about: 'Read the daily and monthly metrics.' },
  'leads:read': { roles: OPERATORS, key: true, about: 'Read form enquiries and leads.' },
  'leads:write': { roles: OPERATORS, key: false, about: 'Change a lead’s status or assignee.' },
  'forms:read': { roles: ALL, key: true, about: 'List the clinic’s embeddable forms.' },
  'forms:write': { roles: MANAGERS, key: false, about: 'Create and change embeddable forms.' },
  'billing:manage': {
    roles: OWNERS,
    key: false,
    about: 'See the plan and usage; subscribe and manage cards and invoices.',
  },
  'operator:view': {
    roles: MANAGERS,
    key: false,
    about: 'The operator’s own tenant only: every clinic’s plan, status, MRR and usage.',
  },
  'automations:read': { roles: MANAGERS, key: false, about: 'Read automations and their runs.' },
  'automations:write': {
    roles: MANAGERS,
    key: false,
    about: 'Create, change and delete automations.',
  },
  'conversations:read': { roles: OPERATORS, key: true, about: 'Read SMS/WhatsApp threads.' },
  'conversations:write': {
    roles: OPERATORS,
    key: false,
    about: 'Reply to patients, take over from or hand back to the AI, assign, close.',
  },
  'calls:act': {
    roles: OPERATORS,
    key: false,
    about: 'Call a caller back through Twilio, play voicemail, resolve a missed call by hand.',
  },
  'clinic:read': { roles: READERS, key: true, about: 'Read the clinic’s settings.' },
  'numbers:read': { roles: ALL, key: true, about: 'List the tracking numbers.' },
  'treatments:read': { roles: ALL, key: true, about: 'List the treatments and their values.' },
  'clinic:write': { roles: MANAGERS, key: false, about: 'Change the clinic’s settings.' },
  'numbers:write': { roles: MANAGERS, key: false, about: 'Add, change, remove tracking numbers.' },
  'treatments:write': { roles: MANAGERS, key: false, about: 'Add, change, remove treatments.' },
  'team:read': { roles: MANAGERS, key: false, about: 'List the team (emails unsealed).' },
  'team:write': { roles: MANAGERS, key: false, about: 'Invite, change or disable members.' },
  'api-keys:manage': { roles: MANAGERS, key: false, about: 'Create, list and revoke API keys.' },
  'outbox:read': { roles: MANAGERS, key: false, about: 'Read what sandbox mode kept.' },
  'privacy:read': { roles: MANAGERS, key: false, about: 'Read privacy requests and purges.' },
  'privacy:write': { roles: MANAGERS, key: false, about: 'Record privacy requests.' },
  'audit:read': { roles: MANAGERS, key: false, about: 'Read and verify the audit log.' },
  'jobs:read': { roles: MANAGERS, key: false, about: 'Read failed background jobs.' },
  'jobs:write': { roles: MANAGERS, key: false, about: 'Resolve failed background jobs.' },
  'account:self': { roles: ALL, key: false, about: 'Read one’s own account; sign out.' },
} as const satisfies Record<string, { roles: readonly Role[]; key: boolean; about: string }>

export type Action = keyof typeof POLICY

/** The actions an API key may be granted, as a literal type. */
export type ApiKeyScope = {
  [A in Action]: (typeof POLICY)[A]['key'] extends true ? A : never
}[Action]

/** Every action, in table order. */
export const ACTIONS = Object.keys(POLICY) as Action[]

/** Every scope an API key may carry, in table order (the OpenAPI enum). */
export const API_KEY_SCOPES = ACTIONS.filter((a) => POLICY[a].key) as [
  ApiKeyScope,
  ...ApiKeyScope[],
]

/** A new key's scopes when none are chosen (CONTRACT.md, Auth). */
export const DEFAULT_API_KEY_SCOPES: readonly ApiKeyScope[] = [
  'appointments:write',
  'appointments:read',
  'calls:read',
  'metrics:read',
]

/** Who is asking, as far as the policy cares: a person's role, or a key's scopes. */
export type Grantee = { via: 'session'; role: Role } | { via: 'api-key'; scopes: readonly string[] }

/** Whether `role` may take `action`. */
export function roleCan(role: Role, action: Action): boolean {
  return (POLICY[action].roles as readonly Role[]).includes(role)
}

/** Whether `action` may be granted to an API key at all. */
export function isApiKeyScope(action: string): action is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(action)
}

/**
 * Whether `who` may take `action`. A key may take exactly its scopes, and only those the table
 * lets a key carry (a scope stored before the table narrowed is ignored, never honoured).
 */
export function can(who: Grantee, action: Action): boolean {
  if (who.via === 'session') return roleCan(who.role, action)
  return isApiKeyScope(action) && who.scopes.includes(action)
}

/** The scopes an API key may be granted (for forms and the OpenAPI document). */
export function scopesAllowedForKeys(): readonly ApiKeyScope[] {
  return API_KEY_SCOPES
}

/**
 * Scopes as stored (a comma-separated column) → the known, grantable ones, deduplicated in table
 * order. Unknown names are dropped, so a stored typo grants nothing.
 */
export function parseScopes(stored: string | null | undefined): ApiKeyScope[] {
  const names = new Set((stored ?? '').split(',').map((s) => s.trim()))
  return API_KEY_SCOPES.filter((s) => names.has(s))
}

/** Scopes → the stored form (table order, deduplicated). */
export function formatScopes(scopes: readonly ApiKeyScope[]): string {
  return API_KEY_SCOPES.filter((s) => scopes.includes(s)).join(',')
}
