/**
 * Privacy reads shared by the JSON API and the dashboard: a clinic's data-subject requests and
 * its retention-purge receipts, newest first, keyset-paginated.
 */
import { eq, isNull, or } from 'drizzle-orm'
import type { Db } from '../db/client'
import { newestRows } from '../db/clinic-pages'
import { privacyRequests, purgeRuns } from '../db/schema'
import type { PrivacyRequestRow } from './requests'

type Cursor = { t: number; id: string } | null

export type PurgeRunRow = typeof purgeRuns.$inferSelect

/** Up to `limit + 1` requests of the clinic, newest first. */
export function listPrivacyRequests(
  db: Db,
  clinicId: string,
  limit: number,
  cursor: Cursor,
): Promise<PrivacyRequestRow[]> {
  const mine = eq(privacyRequests.clinicId, clinicId)
  return newestRows(db, privacyRequests, privacyRequests.createdAt, [mine], limit, cursor)
}

/**
 * Up to `limit + 1` purge receipts of the clinic, newest first. `withPlatformRuns` adds the
 * platform-wide runs (no clinic), which the dashboard shows and the API does not list.
 */
export function listPurgeRuns(
  db: Db,
  clinicId: string,
  limit: number,
  cursor: Cursor,
  options: { withPlatformRuns?: boolean } = {},
): Promise<PurgeRunRow[]> {
  const mine = eq(purgeRuns.clinicId, clinicId)
  const scope = options.withPlatformRuns ? or(mine, isNull(purgeRuns.clinicId)) : mine
  return newestRows(db, purgeRuns, purgeRuns.ranAt, [scope], limit, cursor)
}
