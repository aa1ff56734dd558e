/**
 * Who may open which dashboard page, and who may change things. A pure table so the navigation,
 * the route guards and the tests read the same rules.
 * - Analysts are read-only: they see metrics and settings but get no forms, and every POST is 403.
 * - Receptionists work the phones: no settings, team, API keys, privacy or audit pages.
 */
import type { Role } from '../lib/context'

export type PageKey =
  | 'overview'
  | 'calls'
  | 'appointments'
  | 'treatments'
  | 'numbers'
  | 'settings'
  | 'team'
  | 'api-keys'
  | 'outbox'
  | 'privacy'
  | 'audit'

const ALL: readonly Role[] = ['owner', 'admin', 'receptionist', 'analyst']
const MANAGERS: readonly Role[] = ['owner', 'admin']

const VIEW: Record<PageKey, readonly Role[]> = {
  overview: ALL,
  calls: ALL,
  appointments: ALL,
  treatments: ALL,
  numbers: ALL,
  settings: ['owner', 'admin', 'analyst'],
  team: ['owner', 'admin', 'analyst'],
  'api-keys': MANAGERS,
  outbox: MANAGERS,
  privacy: MANAGERS,
  audit: ['owner', 'admin', 'analyst'],
}

/** Whether `role` may open `page`. */
export function canView(role: Role, page: PageKey): boolean {
  return VIEW[page].includes(role)
}

/** Whether `role` may change anything on `page` (forms shown, POSTs accepted). */
export function canEdit(role: Role, page: PageKey): boolean {
  return MANAGERS.includes(role) && canView(role, page)
}
