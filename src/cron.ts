/**
 * The daily cron (`0 3 * * *` UTC): re-wrap data keys if a KEK rotation is under way, then the
 * retention purges for every clinic, then the metric roll-ups for yesterday and today. Each job
 * is idempotent and resumable, so a retry or an overlapping run changes nothing twice.
 * One clinic's failure does not stop the others; errors are logged by name only.
 */
import { pruneAttributionWorkingSet } from './attribution/notify'
import { createDb } from './db/client'
import { type Bindings, getConfig } from './env'
import { logError, logInfo } from './lib/logger'
import { DAY_MS } from './lib/time'
import { rollUpMetrics } from './metrics/rollup'
import { rewrapClinicKeys } from './privacy/keys'
import { platformPurgeJobs, purgeClinic, runPurgeJob } from './privacy/purge'

function logStepError(step: string, clinicId: string | null, err: unknown): void {
  logError('cron step failed', err, { step, clinicId })
}

/** Everything the daily cron does, at `controller.scheduledTime`. */
export async function runScheduled(controller: ScheduledController, env: Bindings): Promise<void> {
  const nowMs = controller.scheduledTime
  const config = getConfig(env)
  const db = createDb(env.DB)
  let failures = 0

  if (config.dataEncryptionKeyPrevious) {
    try {
      const result = await rewrapClinicKeys(db, config)
      logInfo('data keys re-wrapped', result)
    } catch (err) {
      failures++
      logStepError('rewrap-keys', null, err)
    }
  }

  for (const job of platformPurgeJobs(env, nowMs)) {
    try {
      await runPurgeJob(env, job, nowMs)
    } catch (err) {
      failures++
      logStepError(`purge:${job.job}`, null, err)
    }
  }

  const clinicIds = (
    await env.DB.prepare('SELECT id FROM clinics ORDER BY id').all<{ id: string }>()
  ).results.map((r) => r.id)
  const remaining: string[] = []
  for (const clinicId of clinicIds) {
    try {
      const done = await purgeClinic(env, clinicId, nowMs)
      if (!done['terminated-clinic']) remaining.push(clinicId)
    } catch (err) {
      failures++
      remaining.push(clinicId)
      logStepError('purge', clinicId, err)
    }
  }

  // Roll-ups after the purges: the aggregates for the last two days are rebuilt from what is
  // still held, and older days' aggregates are left as they are (they outlive the calls).
  for (const clinicId of remaining) {
    try {
      await rollUpMetrics(env, clinicId, nowMs - 2 * DAY_MS, nowMs)
    } catch (err) {
      failures++
      logStepError('rollup', clinicId, err)
    }
    // Keep the attribution working set bounded: bookings older than call retention become final.
    try {
      await pruneAttributionWorkingSet(env, clinicId, nowMs)
    } catch (err) {
      failures++
      logStepError('attribution-prune', clinicId, err)
    }
  }

  // Surface a failed run to Cron Trigger monitoring; the next run resumes where this stopped.
  if (failures > 0) throw new Error(`Daily cron finished with ${failures} failed step(s)`)
}
