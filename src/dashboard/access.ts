/**
 * Every dashboard page, and which action of the one policy (src/auth/policy.ts): the page
 * guard, the navigation and the pages' forms read these, so the pages and the JSON API agree.
 */
import { type Action, roleCan } from '../auth/policy'
import type { Role } from '../lib/context'

/**
 * Each page, in navigation order: where it lives, its name in the navigation, the action needed
 * to open it, and the one needed to change anything on it (null for pages that only show). The
 * page shows what the matching API routes return, no more.
 */
export const PAGES = {
  overview: { href: '/', label: 'Overview', view: 'metrics:read', edit: null },
  calls: { href: '/calls', label: 'Calls', view: 'calls:read', edit: 'calls:write' },
  // The waiting list and a call's actions (call back, resolve): `calls:act`, people only.
  worklist: {
    href: '/calls/waiting',
    label: 'To call back',
    view: 'calls:read',
    edit: 'calls:act',
  },
  leads: { href: '/leads', label: 'Leads', view: 'leads:read', edit: 'leads:write' },
  conversions: { href: '/conversions', label: 'Ad conversions', view: 'leads:read', edit: null },
  inbox: {
    href: '/inbox',
    label: 'Inbox',
    view: 'conversations:read',
    edit: 'conversations:write',
  },
  appointments: {
    href: '/appointments',
    label: 'Appointments',
    view: 'appointments:read',
    edit: 'appointments:write',
  },
  treatments: {
    href: '/treatments',
    label: 'Treatments',
    view: 'treatments:read',
    edit: 'treatments:write',
  },
  forms: { href: '/forms', label: 'Forms', view: 'forms:read', edit: 'forms:write' },
  automations: {
    href: '/automations',
    label: 'Automations',
    view: 'automations:read',
    edit: 'automations:write',
  },
  numbers: { href: '/numbers', label: 'Numbers', view: 'numbers:read', edit: 'numbers:write' },
  settings: { href: '/settings', label: 'Settings', view: 'clinic:read', edit: 'clinic:write' },
  team: { href: '/team', label: 'Team', view: 'team:read', edit: 'team:write' },
  billing: { href: '/billing', label: 'Billing', view: 'billing:manage', edit: 'billing:manage' },
  // Shown only to the operator's own tenant (Viewer.operator), whatever the role.
  operator: { href: '/operator', label: 'Operator', view: 'operator:view', edit: null },
  'api-keys': {
    href: '/api-keys',
    label: 'API keys',
    view: 'api-keys:manage',
    edit: 'api-keys:manage',
  },
  outbox: { href: '/outbox', label: 'Outbox', view: 'outbox:read', edit: null },
  privacy: { href: '/privacy', label: 'Privacy', view: 'privacy:read', edit: 'privacy:write' },
  audit: { href: '/audit', label: 'Audit log', view: 'audit:read', edit: null },
} as const satisfies Record<
  string,
  { href: string; label: string; view: Action; edit: Action | null }
>

export type PageKey = keyof typeof PAGES

/** The pages in navigation order, each with its key. */
export const NAV = (Object.keys(PAGES) as PageKey[]).map((key) => ({ key, ...PAGES[key] }))

/** Whether `role` may open `page`. */
export function canView(role: Role, page: PageKey): boolean {
  return roleCan(role, PAGES[page].view)
}

/** Whether `role` may change anything on `page` (forms shown, POSTs accepted). */
export function canEdit(role: Role, page: PageKey): boolean {
  const edit: Action | null = PAGES[page].edit
  return edit !== null && canView(role, page) && roleCan(role, edit)
}
