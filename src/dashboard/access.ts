/**
 * Which dashboard page needs which action of the one policy (src/auth/policy.ts): the page
 * guard, the navigation and the pages' forms read these, so the pages and the JSON API agree.
 */
import { type Action, roleCan } from '../auth/policy'
import type { Role } from '../lib/context'

export type PageKey =
  | 'overview'
  | 'calls'
  | 'worklist'
  | 'inbox'
  | 'appointments'
  | 'treatments'
  | 'numbers'
  | 'settings'
  | 'team'
  | 'api-keys'
  | 'outbox'
  | 'privacy'
  | 'audit'

/**
 * Each page: the action needed to open it, and the one needed to change anything on it (null
 * for pages that only show). The page shows what the matching API routes return, no more.
 */
export const PAGE_ACTIONS: Record<PageKey, { view: Action; edit: Action | null }> = {
  overview: { view: 'metrics:read', edit: null },
  calls: { view: 'calls:read', edit: 'calls:write' },
  // The waiting list and a call's actions (call back, resolve): `calls:act`, people only.
  worklist: { view: 'calls:read', edit: 'calls:act' },
  inbox: { view: 'conversations:read', edit: 'conversations:write' },
  appointments: { view: 'appointments:read', edit: 'appointments:write' },
  treatments: { view: 'treatments:read', edit: 'treatments:write' },
  numbers: { view: 'numbers:read', edit: 'numbers:write' },
  settings: { view: 'clinic:read', edit: 'clinic:write' },
  team: { view: 'team:read', edit: 'team:write' },
  'api-keys': { view: 'api-keys:manage', edit: 'api-keys:manage' },
  outbox: { view: 'outbox:read', edit: null },
  privacy: { view: 'privacy:read', edit: 'privacy:write' },
  audit: { view: 'audit:read', edit: null },
}

/** Whether `role` may open `page`. */
export function canView(role: Role, page: PageKey): boolean {
  return roleCan(role, PAGE_ACTIONS[page].view)
}

/** Whether `role` may change anything on `page` (forms shown, POSTs accepted). */
export function canEdit(role: Role, page: PageKey): boolean {
  const edit = PAGE_ACTIONS[page].edit
  return edit !== null && canView(role, page) && roleCan(role, edit)
}
