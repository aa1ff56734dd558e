/**
 * Daily metric aggregates (table daily_metrics). PLACEHOLDER BODY: implemented with issue 3.
 */
import type { Bindings } from '../env'

/** Recomputes a clinic's daily aggregates for local days overlapping [fromMs, toMs]. */
export async function rollUpMetrics(
  env: Bindings,
  clinicId: string,
  fromMs: number,
  toMs: number,
): Promise<void> {
  void env
  void clinicId
  void fromMs
  void toMs
}
