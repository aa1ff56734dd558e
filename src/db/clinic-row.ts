/**
 * Small query pieces every clinic-scoped read repeats: one row of the clinic by id, and the
 * "older than the cursor" condition of a newest-first keyset page on (time, id).
 */
import { and, eq, type SQL, sql } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Cursor } from '../lib/pagination'
import type { Db } from './client'
import type {
  calls,
  conversationMessages,
  conversations,
  privacyRequests,
  trackingNumbers,
} from './schema'

type OwnedTable =
  | typeof calls
  | typeof conversations
  | typeof conversationMessages
  | typeof privacyRequests
  | typeof trackingNumbers

/** One row of `table` owned by the clinic, or null (another clinic's row is simply not found). */
export async function findClinicRow<T extends OwnedTable>(
  db: Db,
  table: T,
  clinicId: string,
  id: string,
): Promise<T['$inferSelect'] | null> {
  const [row] = await db
    .select()
    .from(table as OwnedTable)
    .where(and(eq(table.clinicId, clinicId), eq(table.id, id)))
    .limit(1)
  return (row as T['$inferSelect'] | undefined) ?? null
}

/** Rows after `cursor` in newest-first (time desc, id desc) order; undefined on the first page. */
export function olderThan(
  time: SQLiteColumn | SQL.Aliased<number>,
  id: SQLiteColumn | SQL.Aliased<string | null>,
  cursor: Cursor | null,
): SQL | undefined {
  if (!cursor) return undefined
  return sql`(${time} < ${cursor.t} or (${time} = ${cursor.t} and ${id} < ${cursor.id}))`
}
