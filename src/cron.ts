/**
 * The daily cron (`0 3 * * *` UTC) only enqueues: a fan-out job that pages through the clinics
 * and enqueues one purge and one roll-up per clinic, plus the platform-wide jobs (housekeeping
 * purges, and the KEK re-wrap while a rotation is under way). It issues no D1 statement, so it
 * costs the same for one clinic or 10,000 (DESIGN "Fan out per clinic"); the queue's retries and
 * dead-letter queue cover every job's failures (src/jobs/daily.ts).
 */
import { type Bindings, getConfig } from './env'
import { enqueueDailyRun } from './jobs/daily'
import { logInfo } from './lib/logger'

/** Everything the daily cron does, at `controller.scheduledTime`. */
export async function runScheduled(controller: ScheduledController, env: Bindings): Promise<void> {
  const config = getConfig(env)
  // A send that fails throws: Cron Trigger monitoring shows the failed run.
  const jobs = await enqueueDailyRun(env, controller.scheduledTime, {
    rewrapKeys: config.dataEncryptionKeyPrevious !== null,
  })
  logInfo('daily run enqueued', { jobs: jobs.length, scheduledTime: controller.scheduledTime })
}
