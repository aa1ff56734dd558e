/**
 * Small query pieces the services repeat: one row of the clinic by id, the "older than the
 * cursor" condition of a newest-first keyset page on (time, id), and "is this value taken?".
 */
import { and, eq, type SQL, sql } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Cursor } from '../lib/pagination'
import { conflict } from '../lib/problem'
import type { Db } from './client'
import type {
  appointments,
  automationRuns,
  automations,
  calls,
  conversationMessages,
  conversations,
  conversions,
  inboundMessages,
  leads,
  privacyRequests,
  scheduledMessages,
  trackingNumbers,
} from './schema'

type OwnedTable =
  | typeof calls
  | typeof conversations
  | typeof conversationMessages
  | typeof privacyRequests
  | typeof leads
  | typeof conversions
  | typeof trackingNumbers
  | typeof scheduledMessages
  | typeof automations
  | typeof automationRuns
  | typeof appointments
  | typeof inboundMessages

/** `clinic_id = clinicId AND …conditions`: the scope every clinic-owned query starts from. */
export function ownedBy(
  table: { clinicId: SQLiteColumn },
  clinicId: string,
  ...conditions: (SQL | undefined)[]
): SQL {
  return and(eq(table.clinicId, clinicId), ...conditions) as SQL
}

/** One row of `table` owned by the clinic, or null (another clinic's row is simply not found). */
export async function findClinicRow<T extends OwnedTable>(
  db: Db,
  table: T,
  clinicId: string,
  id: string,
): Promise<T['$inferSelect'] | null> {
  return firstOwned(db, table, clinicId, [eq(table.id, id)])
}

/**
 * The clinic's rows of `table` matching every condition (`SELECT * … WHERE clinic_id = ? AND …`),
 * in `orderBy` order, at most `limit`.
 */
export async function ownedRows<T extends OwnedTable>(
  db: Db,
  table: T,
  clinicId: string,
  where: (SQL | undefined)[],
  options: { orderBy?: SQL | SQLiteColumn; limit?: number } = {},
): Promise<T['$inferSelect'][]> {
  let query = db
    .select()
    .from(table as OwnedTable)
    .where(ownedBy(table, clinicId, ...where))
    .$dynamic()
  if (options.orderBy) query = query.orderBy(options.orderBy)
  if (options.limit) query = query.limit(options.limit)
  return (await query) as T['$inferSelect'][]
}

/** The first of the clinic's rows matching (in `orderBy` order), or null. */
export async function firstOwned<T extends OwnedTable>(
  db: Db,
  table: T,
  clinicId: string,
  where: (SQL | undefined)[],
  orderBy?: SQL | SQLiteColumn,
): Promise<T['$inferSelect'] | null> {
  const [row] = await ownedRows(db, table, clinicId, where, {
    limit: 1,
    ...(orderBy ? { orderBy } : {}),
  })
  return row ?? null
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

/**
 * 409 with `message` when a row of `table` already holds `value` in `column`: a clear answer
 * before an insert that the unique index would refuse anyway.
 */
export async function refuseTaken(
  db: Db,
  table: SQLiteTable,
  column: SQLiteColumn,
  value: string,
  message: string,
): Promise<void> {
  const [taken] = await db.select({ one: sql`1` }).from(table).where(eq(column, value)).limit(1)
  if (taken) throw conflict(message)
}
