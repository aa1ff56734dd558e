/**
 * Callbacks: an outbound call to a caller is the callback for each of their earlier missed calls
 * that had none ("the first outbound call to H after t_M", DESIGN.md). Both directions of
 * arrival are handled — an outbound call marks the missed calls before it, and a call that turns
 * missed late picks up an outbound call already stored after it — and both keep the earliest
 * callback, so the result does not depend on the order events arrive in.
 */
import { and, eq, gt, inArray, isNull, lt, or } from 'drizzle-orm'
import type { Db } from '../db/client'
import { calls } from '../db/schema'

export type OutboundCall = { id: string; clinicId: string; callerHash: string; startedAt: number }

/** Marks the caller's earlier missed/voicemail calls as called back by `outbound`. Returns their ids. */
export async function markCalledBack(db: Db, outbound: OutboundCall): Promise<string[]> {
  const at = outbound.startedAt
  const rows = await db
    .update(calls)
    .set({ calledBackAt: at, callbackCallId: outbound.id, updatedAt: at })
    .where(
      and(
        eq(calls.clinicId, outbound.clinicId),
        eq(calls.callerHash, outbound.callerHash),
        eq(calls.direction, 'inbound'),
        inArray(calls.status, ['missed', 'voicemail']),
        lt(calls.startedAt, at),
        or(isNull(calls.calledBackAt), gt(calls.calledBackAt, at)),
      ),
    )
    .returning({ id: calls.id })
  return rows.map((r) => r.id)
}

/** For a call that has just turned missed: the first outbound call to the caller after it, if one is stored. */
export async function linkLaterCallback(
  db: Db,
  missed: { id: string; clinicId: string; callerHash: string | null; startedAt: number },
): Promise<void> {
  if (!missed.callerHash) return
  // Raw SQL: a row-value SET from a correlated subquery on the same table (alias `o`), one
  // atomic statement; Drizzle's update cannot alias its own table.
  await db.$client
    .prepare(
      `UPDATE calls SET (called_back_at, callback_call_id) = (
         SELECT o.started_at, o.id FROM calls o
         WHERE o.clinic_id = ?2 AND o.caller_hash = ?3 AND o.direction = 'outbound' AND o.started_at > ?4
         ORDER BY o.started_at, o.id LIMIT 1)
       WHERE id = ?1 AND called_back_at IS NULL
         AND EXISTS (SELECT 1 FROM calls o
           WHERE o.clinic_id = ?2 AND o.caller_hash = ?3 AND o.direction = 'outbound' AND o.started_at > ?4)`,
    )
    .bind(missed.id, missed.clinicId, missed.callerHash, missed.startedAt)
    .run()
}
