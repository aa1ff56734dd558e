/** The one keyset page over a clinic's rows in id order (numbers, treatments, team, API keys). */
import { and, asc, eq, gt, type SQL } from 'drizzle-orm'
import { decodeCursor, paginate } from '../lib/pagination'
import type { Db } from './client'
import type { apiKeys, trackingNumbers, treatments, users } from './schema'

type ClinicTable = typeof trackingNumbers | typeof treatments | typeof users | typeof apiKeys

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
