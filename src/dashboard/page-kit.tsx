/**
 * What every dashboard page handler shares: the guard (session, role, read-only), the error page,
 * form parsing and field errors, notices, and list paging.
 */
import type { Context } from 'hono'
import type { z } from 'zod'
import { resolveSession } from '../auth/sessions'
import { countWaitingCallers } from '../calls/calls.service'
import { type ClinicRow, findClinic } from '../clinic/find'
import { conversationCounts } from '../conversations/conversations.service'
import type { AppEnv, Principal, Role, SessionPrincipal } from '../lib/context'
import { decodeCursor } from '../lib/pagination'
import type { ProblemError } from '../lib/problem'
import { canEdit, canView, type PageKey } from './access'
import { ErrorPage, type FieldErrors, type NavBadges, type Viewer } from './layout'

export type Ctx = Context<AppEnv>

/** Rows per page on the dashboard's lists. */
export const PAGE_SIZE = 50

const NOTICES: Record<string, string> = {
  'signed-out': 'You have signed out.',
  'password-reset': 'Your password has been changed. Sign in with the new one.',
  saved: 'Settings saved.',
  'treatment-added': 'Treatment added.',
  'form-added': 'Form added. Paste its line into your website.',
  'lead-updated': 'Lead updated.',
  'automation-saved': 'Automation saved.',
  'automation-deleted': 'Automation deleted.',
  'lead-replied': 'Reply queued: it goes out by email (kept in the outbox in sandbox mode).',
  'number-added': 'Number added.',
  invited: 'Invite sent. The link is in their email (or the outbox in sandbox mode).',
  'key-revoked': 'Key revoked.',
  'request-recorded': 'Request recorded.',
}

/** The notice named by `?notice=` (known ones only: the text never comes from the URL). */
export const notice = (c: Ctx) => NOTICES[c.req.query('notice') ?? ''] ?? null

/** The error page, with the navigation when the visitor is signed in. */
export async function renderError(c: Ctx, status: number, message: string) {
  let viewer: Viewer | null = null
  try {
    const set = c.get('principal') as Principal | undefined
    const principal = set?.via === 'session' ? set : await resolveSession(c)
    if (principal) viewer = await viewerOf(c, principal)
  } catch {
    viewer = null
  }
  return c.html(
    <ErrorPage status={status} message={message} viewer={viewer} />,
    status as 400 | 403 | 404 | 415 | 500,
  )
}

async function viewerOf(c: Ctx, principal: SessionPrincipal): Promise<Viewer | null> {
  const clinic = await findClinic(c.var.db, principal.clinicId)
  return clinic
    ? {
        role: principal.role,
        clinicName: clinic.name,
        badges: await loadBadges(c, clinic.id, principal.role),
      }
    : null
}

/**
 * The navigation's counts, one read each, only for pages the role may open: callers waiting for
 * a call back, and conversations waiting on a person.
 */
async function loadBadges(c: Ctx, clinicId: string, role: Role): Promise<NavBadges> {
  const badges: NavBadges = {}
  const [waiting, conversations] = await Promise.all([
    canView(role, 'worklist') ? countWaitingCallers(c.var.db, clinicId) : null,
    canView(role, 'inbox') ? conversationCounts(c.var.db, clinicId) : null,
  ])
  if (waiting !== null) badges.worklist = waiting
  if (conversations !== null) badges.inbox = conversations.needsHuman
  return badges
}

export type PageState = { principal: SessionPrincipal; clinic: ClinicRow; viewer: Viewer }

/**
 * Resolves the signed-in member for a page. Signed out → redirect to /login (remembering where
 * they were going). Role without the page's view action → 403 page; a write without its edit
 * action → 403 (both from the one policy, via access.ts).
 */
async function guard(c: Ctx, page: PageKey): Promise<PageState | Response> {
  const principal = await resolveSession(c)
  if (!principal) {
    const url = new URL(c.req.url)
    const next = c.req.method === 'GET' ? `${url.pathname}${url.search}` : '/'
    return c.redirect(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`, 303)
  }
  c.set('principal', principal)
  const clinic = await findClinic(c.var.db, principal.clinicId)
  if (!clinic) return c.redirect('/login', 303)
  if (!canView(principal.role, page)) {
    return renderError(c, 403, `Your role (${principal.role}) cannot open this page.`)
  }
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !canEdit(principal.role, page)) {
    return renderError(
      c,
      403,
      `Your role (${principal.role}) can view this page but not change it.`,
    )
  }
  const viewer: Viewer = {
    role: principal.role,
    clinicName: clinic.name,
    badges: await loadBadges(c, clinic.id, principal.role),
    operator: clinic.isOperator,
    billingWarning:
      principal.role === 'owner' && clinic.billingStatus === 'past_due'
        ? 'Your payment is overdue. Update your card on the Billing page: automated messages pause after 7 days overdue (calls are always captured).'
        : null,
  }
  return { principal, clinic, viewer }
}

/**
 * The props every page view takes from its state: who is viewing, whether their role may change
 * the page, the clinic's time zone and the notice named in the URL.
 */
export function viewOf(c: Ctx, s: PageState, key: PageKey) {
  return {
    viewer: s.viewer,
    canEdit: canEdit(s.principal.role, key),
    timezone: s.clinic.timezone,
    notice: notice(c),
  }
}

/** The statuses a page answers when it re-renders a form (refused, conflict, limited). */
export type FormStatus = 200 | 201 | 400 | 403 | 409 | 429

/** Props a loader may add to or override in its view (a refusal's values and messages). */
export type Extra<V extends (props: never) => unknown> = Partial<Parameters<V>[0]>

/**
 * A page's loader: `render` reads what the view needs and returns it with `extra` spread last; the
 * loader answers it as HTML with `status`. GET handlers and refused POSTs share it.
 */
export function viewLoader<X extends object>(
  render: (c: Ctx, s: PageState, extra: X) => Promise<Parameters<Ctx['html']>[0]>,
) {
  return async (c: Ctx, s: PageState, extra: X = {} as X, status: FormStatus = 200) =>
    c.html(await render(c, s, extra), status)
}

const isResponse = (v: PageState | Response): v is Response => v instanceof Response

/**
 * A page handler behind the guard: `handler` runs only for a signed-in member whose role may
 * open (and, for writes, change) `key`.
 */
export function page(
  key: PageKey,
  handler: (c: Ctx, s: PageState) => Response | Promise<Response>,
): (c: Ctx) => Promise<Response> {
  return async (c) => {
    const s = await guard(c, key)
    return isResponse(s) ? s : handler(c, s)
  }
}

/** Form fields as strings (repeated fields keep the last value; files are ignored). */
export async function formOf(c: Ctx): Promise<Record<string, string>> {
  const body = await c.req.parseBody()
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v
  return out
}

/** Field errors from a problem's `errors` (paths like `subject.phone` → `phone`). */
export function fieldErrorsOf(err: ProblemError, rename: Record<string, string> = {}): FieldErrors {
  const out: FieldErrors = {}
  for (const e of err.errors ?? []) {
    const key = rename[e.path] ?? e.path.split('.').pop() ?? e.path
    out[key] ??= e.message
  }
  return out
}

/** Field errors from a failed zod parse of a form (first message per field). */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {}
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.') || 'form'
    out[key] ??= issue.message
  }
  return out
}

/** A cursor that does not decode starts from the first page instead of failing the page. */
export function cursorOf(raw: string | undefined) {
  try {
    return decodeCursor(raw)
  } catch {
    return null
  }
}
