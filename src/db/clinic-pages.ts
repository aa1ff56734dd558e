/**
 * The keyset pages over a clinic's rows: in id order (numbers, treatments, team, API keys), and
 * newest first on (time, id) (calls, the outbox, privacy requests, purge receipts, job failures).
 */
import { and, asc, desc, eq, gt, type SQL } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import { type Cursor, decodeCursor, paginate } from '../lib/pagination'
import type { Db } from './client'
import { olderThan } from './clinic-row'
import type {
  apiKeys,
  automationRuns,
  automations,
  calls,
  forms,
  jobFailures,
  outboundMessages,
  privacyRequests,
  purgeRuns,
  trackingNumbers,
  treatments,
  users,
} from './schema'

type ClinicTable =
  | typeof trackingNumbers
  | typeof treatments
  | typeof users
  | typeof apiKeys
  | typeof forms
  | typeof automations

/** A page of the clinic's rows of `table` (optionally filtered further by `where`), in id order. */
export async function clinicRowsPage<T extends ClinicTable>(
  db: Db,
  table: T,
  clinicId: string,
  page: { limit: number; cursor?: string | undefined },
  where?: SQL,
) {
  const after = decodeCursor(page.cursor)
  const rows: T['$inferSelect'][] = await db
    .select()
    .from(table as ClinicTable)
    .where(and(eq(table.clinicId, clinicId), where, after ? gt(table.id, after.id) : undefined))
    .orderBy(asc(table.id))
    .limit(page.limit + 1)
  return paginate(rows, page.limit, (r) => ({ t: 0, id: r.id }))
}

type NewestTable =
  | typeof calls
  | typeof outboundMessages
  | typeof privacyRequests
  | typeof purgeRuns
  | typeof jobFailures
  | typeof automationRuns

/**
 * Up to `limit + 1` rows of `table` matching every `where`, newest first on (`time`, id), after
 * `cursor` (null: the first page). The caller scopes `where` to the clinic.
 */
export async function newestRows<T extends NewestTable>(
  db: Db,
  table: T,
  time: SQLiteColumn,
  where: (SQL | undefined)[],
  limit: number,
  cursor: Cursor | null,
): Promise<T['$inferSelect'][]> {
  const rows = await db
    .select()
    .from(table as NewestTable)
    .where(and(...where, olderThan(time, table.id, cursor)))
    .orderBy(desc(time), desc(table.id))
    .limit(limit + 1)
  return rows as T['$inferSelect'][]
}
