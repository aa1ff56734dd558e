/**
 * Mirroring the clinic object's attribution decisions into D1. The object keeps every changed
 * outcome as unsynced until D1 confirms it; the Worker writes them right after a decision, and
 * the object's alarm retries (with backoff) whatever is still unsynced when that failed.
 */
import type { Bindings } from '../env'
import { rollUpInstants } from '../metrics/rollup'
import { writeOutcomes } from './outcomes'
import type { UnsyncedOutcome } from './working-set'

/** How long after a decision the object checks that D1 has it (the Worker usually has by then). */
export const SYNC_GRACE_MS = 30_000
/** After this long unconfirmed, a decision's write is presumed abandoned (its Worker died). */
export const SYNC_IN_FLIGHT_MS = 10_000
/** Unsynced decisions written per attempt (a decision is 2–3 statements). */
export const SYNC_BATCH = 200
const SYNC_BACKOFF_MAX_MS = 60 * 60_000

/**
 * The wait before the next attempt after `failures` failed writes in a row: doubling from the
 * grace period, capped at an hour so an outage of any length is retried without a storm.
 */
export function syncBackoffMs(failures: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 20)
  return Math.min(SYNC_GRACE_MS * 2 ** exponent, SYNC_BACKOFF_MAX_MS)
}

/**
 * Writes unsynced decisions to D1 and refreshes the days they touch (plus `extraInstants`).
 * Idempotent and order-safe (`writeOutcomes` applies a decision only over an older one, and
 * repairs the call links of a decision D1 already holds), so the Worker and the alarm may race.
 * The caller confirms the decisions to the object afterwards.
 */
export async function writeUnsynced(
  env: Bindings,
  clinicId: string,
  pending: readonly UnsyncedOutcome[],
  extraInstants: readonly number[] = [],
): Promise<void> {
  await writeOutcomes(
    env.DB,
    clinicId,
    pending.map((p) => p.change),
    { repair: true },
  )
  await rollUpInstants(env, clinicId, [...extraInstants, ...pending.flatMap((p) => p.instants)])
}

/** What a confirmation names: the decision, by appointment and `settledAt`. */
export function confirmationsOf(
  pending: readonly UnsyncedOutcome[],
): Array<{ appointmentId: string; settledAt: number }> {
  return pending.map((p) => ({
    appointmentId: p.change.appointmentId,
    settledAt: p.change.settledAt,
  }))
}
