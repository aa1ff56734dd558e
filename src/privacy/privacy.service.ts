/**
 * Privacy reads shared by the JSON API and the dashboard: a clinic's data-subject requests and
 * its retention-purge receipts, newest first, keyset-paginated.
 */
import { and, desc, eq, isNull, lt, or, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client'
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
  const where: SQL[] = [eq(privacyRequests.clinicId, clinicId)]
  if (cursor) {
    where.push(
      or(
        lt(privacyRequests.createdAt, cursor.t),
        and(eq(privacyRequests.createdAt, cursor.t), lt(privacyRequests.id, cursor.id)),
      ) as SQL,
    )
  }
  return db
    .select()
    .from(privacyRequests)
    .where(and(...where))
    .orderBy(desc(privacyRequests.createdAt), desc(privacyRequests.id))
    .limit(limit + 1)
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
  const where: SQL[] = [
    options.withPlatformRuns
      ? (or(eq(purgeRuns.clinicId, clinicId), isNull(purgeRuns.clinicId)) as SQL)
      : eq(purgeRuns.clinicId, clinicId),
  ]
  if (cursor) {
    where.push(
      or(
        lt(purgeRuns.ranAt, cursor.t),
        and(eq(purgeRuns.ranAt, cursor.t), lt(purgeRuns.id, cursor.id)),
      ) as SQL,
    )
  }
  return db
    .select()
    .from(purgeRuns)
    .where(and(...where))
    .orderBy(desc(purgeRuns.ranAt), desc(purgeRuns.id))
    .limit(limit + 1)
}
