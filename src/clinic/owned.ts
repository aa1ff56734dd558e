/**
 * Changing or removing one of a clinic's own rows (numbers, treatments, forms), audited: 404 for
 * another clinic's id, and an audit entry naming the fields that changed, never their values.
 */
import { and, eq } from 'drizzle-orm'
import { audit } from '../audit/audit'
import type { Db } from '../db/client'
import type { automations, forms, trackingNumbers, treatments } from '../db/schema'
import type { Bindings } from '../env'
import { actorOf, type Principal } from '../lib/context'
import { notFound } from '../lib/problem'

type OwnedTable = typeof trackingNumbers | typeof treatments | typeof forms | typeof automations

/**
 * Applies `set` to the clinic's row `id` of `table` and audits `action` with the changed fields;
 * with nothing to set, answers the row unchanged (and audits nothing).
 */
export async function updateOwned<T extends OwnedTable>(
  db: Db,
  env: Bindings,
  principal: Principal,
  table: T,
  id: string,
  set: Partial<T['$inferInsert']>,
  audited: { action: string; target: string },
): Promise<T['$inferSelect']> {
  const scope = and(eq(table.id, id), eq(table.clinicId, principal.clinicId))
  const fields = Object.keys(set).filter((k) => k !== 'updatedAt')
  const [row] =
    fields.length === 0
      ? await db
          .select()
          .from(table as OwnedTable)
          .where(scope)
      : await db
          .update(table as OwnedTable)
          .set(set)
          .where(scope)
          .returning()
  if (!row) throw notFound()
  if (fields.length > 0) {
    await audit(env, principal.clinicId, {
      actor: actorOf(principal),
      ...audited,
      details: { fields: fields.sort().join(',') },
    })
  }
  return row as T['$inferSelect']
}

/** Inserts one row of the clinic's `table` and audits `action` on it; returns the row. */
export async function createOwned<T extends OwnedTable>(
  db: Db,
  env: Bindings,
  principal: Principal,
  table: T,
  values: T['$inferInsert'],
  action: string,
  target: (row: T['$inferSelect']) => string,
): Promise<T['$inferSelect']> {
  const [row] = await db
    .insert(table as OwnedTable)
    .values(values as never)
    .returning()
  if (!row) throw new Error(`${action}: the insert returned nothing`)
  await audit(env, principal.clinicId, {
    actor: actorOf(principal),
    action,
    target: target(row as T['$inferSelect']),
  })
  return row as T['$inferSelect']
}

/** Deletes one of the clinic's rows of `table` (404 for another clinic's), then audits it. */
export async function removeOwned(
  db: Db,
  env: Bindings,
  principal: Principal,
  table: OwnedTable,
  id: string,
  audited: { action: string; target: string },
): Promise<void> {
  const removed = await db
    .delete(table)
    .where(and(eq(table.id, id), eq(table.clinicId, principal.clinicId)))
    .returning({ id: table.id })
  if (removed.length === 0) throw notFound()
  await audit(env, principal.clinicId, { actor: actorOf(principal), ...audited })
}
