/**
 * Loads what src/audit/describe.ts may name on a page (staff emails, live keys' names, the calls
 * and requests an entry points at), all through the features' own services, scoped to the clinic.
 */
import { type AuditNames, callIdOf } from '../audit/describe'
import { listApiKeys, listTeam } from '../auth/team'
import { findClinicCall } from '../calls/calls.service'
import { listPrivacyRequests } from '../privacy/privacy.service'
import type { PrivacyRequestRow } from '../privacy/requests'
import type { Ctx, PageState } from './page-kit'

/** Teams and key lists are short; one page of each covers a clinic. */
const NAMES_LIMIT = 200
const DAY_AND_TIME = { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' } as const

/**
 * The names for describing `refs` (actors and targets such as `user:…`, `api-key:…`, a call id,
 * `privacy-request:…`). Calls are looked up one by one: a page names at most its 50 entries'.
 */
export async function loadAuditNames(
  c: Ctx,
  s: PageState,
  refs: readonly (string | null)[],
  loaded: { requests?: readonly PrivacyRequestRow[] } = {},
): Promise<AuditNames> {
  const clinicId = s.clinic.id
  const callIds = [...new Set(refs.map(callIdOf).filter((id): id is string => id !== null))]
  const [team, keys, requests, calls] = await Promise.all([
    listTeam(c.var.db, c.var.config, clinicId, { limit: NAMES_LIMIT }),
    listApiKeys(c.var.db, clinicId, { limit: NAMES_LIMIT }),
    // The privacy page has just read them; the audit page reads them here.
    loaded.requests ?? listPrivacyRequests(c.var.db, clinicId, NAMES_LIMIT, null),
    Promise.all(callIds.map((id) => findClinicCall(c.var.db, clinicId, id))),
  ])
  const format = new Intl.DateTimeFormat('en-GB', { timeZone: s.clinic.timezone, ...DAY_AND_TIME })
  return {
    staff: new Map(team.items.map((m) => [m.id, m.email])),
    apiKeys: new Map(keys.items.map((k) => [k.id, k.name])),
    requests: new Map(requests.map((r) => [r.id, r])),
    calls: new Map(
      calls.flatMap((row) =>
        row ? [[row.id, { startedAt: row.startedAt, callerHash: row.callerHash }]] : [],
      ),
    ),
    when: (ms) => format.format(ms),
  }
}
