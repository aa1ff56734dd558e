/**
 * Callbacks: an outbound call to a caller is the callback for each of their earlier missed calls
 * that had none ("the first outbound call to H after t_M", DESIGN.md). Both directions of
 * arrival are handled — an outbound call marks the missed calls before it, and a call that turns
 * missed late picks up an outbound call already stored after it — and both keep the earliest
 * callback, so the result does not depend on the order events arrive in.
 */
import type { Db } from '../db/client'

export type OutboundCall = { id: string; clinicId: string; callerHash: string; startedAt: number }

/** Marks the caller's earlier missed/voicemail calls as called back by `outbound`. Returns their ids. */
export async function markCalledBack(db: Db, outbound: OutboundCall): Promise<string[]> {
  const { results } = await db.$client
    .prepare(
      `UPDATE calls SET called_back_at = ?1, callback_call_id = ?2, updated_at = ?1
       WHERE clinic_id = ?3 AND caller_hash = ?4 AND direction = 'inbound'
         AND status IN ('missed', 'voicemail') AND started_at < ?1
         AND (called_back_at IS NULL OR called_back_at > ?1)
       RETURNING id`,
    )
    .bind(outbound.startedAt, outbound.id, outbound.clinicId, outbound.callerHash)
    .all<{ id: string }>()
  return results.map((r) => r.id)
}

/** For a call that has just turned missed: the first outbound call to the caller after it, if one is stored. */
export async function linkLaterCallback(
  db: Db,
  missed: { id: string; clinicId: string; callerHash: string | null; startedAt: number },
): Promise<void> {
  if (!missed.callerHash) return
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
