/**
 * Writing the clinic Durable Object's decisions to D1, idempotently and order-safely.
 *
 * Each change carries `settledAt`, strictly increasing per clinic. An appointment row is updated
 * only when its stored `settled_at` is older, and the calls' `recovered_appointment_id` follow
 * only when that appointment row now holds exactly this decision. So a retried write changes
 * nothing, and two Workers racing with an older and a newer decision converge on the newer one.
 * D1 has no transactions: one `batch()` is atomic, and each statement stays far under the
 * 100-bound-parameter limit.
 */
import type { SettledChange } from './working-set'

/** Statements per D1 batch: keeps one batch well inside D1's 30-second limit. */
const BATCH_STATEMENTS = 300

export async function writeOutcomes(
  db: D1Database,
  clinicId: string,
  changes: readonly SettledChange[],
  options: { repair?: boolean } = {},
): Promise<void> {
  // A repair re-writes a decision D1 may already hold: `<=` lets the call links be re-applied
  // for the same decision, and never lets an older decision overwrite a newer one.
  const newer = options.repair ? '<=' : '<'
  // Raw SQL: every statement is a compare-and-set conditioned (EXISTS) on the decision still
  // holding, sharing positional parameters; a conditional batch D1 runs as one transaction.
  const statements: D1PreparedStatement[] = []
  for (const change of changes) {
    const decisionHolds = `EXISTS (SELECT 1 FROM appointments
       WHERE id = ?1 AND clinic_id = ?2 AND settled_at = ?3)`
    statements.push(
      db
        .prepare(
          `UPDATE appointments
             SET attribution_status = ?4, attributed_call_id = ?5, attribution_path = ?6,
                 rule_version = ?7, settled_at = ?3
           WHERE id = ?1 AND clinic_id = ?2 AND (settled_at IS NULL OR settled_at ${newer} ?3)`,
        )
        .bind(
          change.appointmentId,
          clinicId,
          change.settledAt,
          change.status,
          change.callId,
          change.path,
          change.ruleVersion,
        ),
      // The call this appointment no longer recovers (if any) lets go of it…
      db
        .prepare(
          `UPDATE calls SET recovered_appointment_id = NULL, updated_at = ?3
           WHERE clinic_id = ?2 AND recovered_appointment_id = ?1 AND id IS NOT ?4
             AND ${decisionHolds}`,
        )
        .bind(change.appointmentId, clinicId, change.settledAt, change.callId),
    )
    if (change.callId !== null) {
      // …and the call it recovers now points at it.
      statements.push(
        db
          .prepare(
            `UPDATE calls SET recovered_appointment_id = ?1, updated_at = ?3
             WHERE clinic_id = ?2 AND id = ?4 AND ${decisionHolds}`,
          )
          .bind(change.appointmentId, clinicId, change.settledAt, change.callId),
      )
    }
  }
  for (let i = 0; i < statements.length; i += BATCH_STATEMENTS) {
    await db.batch(statements.slice(i, i + BATCH_STATEMENTS))
  }
}

/** The instants whose local days' metrics a set of changes affects. */
export function affectedInstants(changes: readonly SettledChange[]): number[] {
  const out: number[] = []
  for (const c of changes) {
    // A new booking that recovers nothing (and never did) changes no figure.
    if (c.status !== 'recovered' && c.previousCallId === null) continue
    out.push(c.appointmentAt)
    if (c.callAt !== null) out.push(c.callAt)
    if (c.previousCallAt !== null) out.push(c.previousCallAt)
  }
  return out
}
