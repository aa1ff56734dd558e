/**
 * The daily cron's work as queue jobs: the cron enqueues a fan-out and the platform jobs; the
 * fan-out pages through clinics and enqueues one purge and one roll-up per clinic. Each job is
 * small (far under D1's 1,000 queries per invocation), idempotent and isolated per clinic.
 */

import { asc, gt } from 'drizzle-orm'
import { pruneAttributionWorkingSet } from '../attribution/notify'
import { rewakePending } from '../automations/scheduled'
import { announcePrivacyNotice } from '../billing/privacy-notice'
import { scheduleNextDigest } from '../billing/weekly-digest'
import { findClinic } from '../clinic/find'
import { createDb } from '../db/client'
import { clinics } from '../db/schema'
import { type Bindings, getConfig } from '../env'
import { logInfo } from '../lib/logger'
import { countStatements, isBudgetExceeded } from '../lib/statement-budget'
import { DAY_MS } from '../lib/time'
import { rollUpMetrics } from '../metrics/rollup'
import { rewrapClinicKeys } from '../privacy/keys'
import {
  finishPurgeRun,
  planClinicPurge,
  platformPurgeJobs,
  purgeRunFinished,
  runPurgeJobs,
} from '../privacy/purge'
import type {
  ClinicPurgeJob,
  ClinicRollupJob,
  CronFanoutJob,
  JobMessage,
  PlatformHousekeepingJob,
  RewrapKeysJob,
} from './messages'
import { jobQueue } from './messages'

/**
 * Clinics per fan-out page: two jobs each, so one page is one `sendBatch` of 100 messages (the
 * most a call takes).
 */
export const FANOUT_PAGE = 50
/**
 * D1 statements one purge (or re-wrap) job may issue before it re-enqueues itself. A queue batch
 * holds up to 10 messages (wrangler.toml) and shares one invocation's 1,000 queries, so each job
 * keeps to well under a tenth of that.
 */
export const JOB_STATEMENT_BUDGET = 80
/** Statements a purge job spends after its last slice: the attribution prune and the summary line. */
const RUN_CLOSE_STATEMENTS = 3

/** `YYYY-MM-DD` (UTC) of an instant: a run's date, part of every idempotency key. */
export function runDateOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

/**
 * What the cron itself does: enqueue the fan-out and the platform-wide jobs, in one `sendBatch`.
 * It touches no D1 at all, so its cost is the same for one clinic or 10,000.
 */
export async function enqueueDailyRun(
  env: Bindings,
  runAt: number,
  options: { rewrapKeys: boolean },
): Promise<JobMessage[]> {
  const runDate = runDateOf(runAt)
  const jobs: JobMessage[] = [
    { type: 'cron-fanout', runAt, runDate, after: null },
    { type: 'platform-housekeeping', runAt, runDate, resume: null },
  ]
  if (options.rewrapKeys) jobs.push({ type: 'rewrap-keys', runAt, runDate })
  await jobQueue(env).sendBatch(jobs.map((body) => ({ body })))
  return jobs
}

/**
 * One page of the fan-out: the next FANOUT_PAGE clinics by id after the cursor, a purge and a
 * roll-up for each, then itself for the next page. A redelivery re-sends the same page, which
 * is harmless: every clinic job is idempotent.
 *
 * Ordering: the purge and the roll-up of a clinic are independent jobs. The roll-up rebuilds the
 * last two local days; the purge deletes data older than the clinic's call retention (at least a
 * day). Days a purge may have touched are sealed once they have a row (src/metrics/rollup.ts),
 * and every call event already rolls up its day as it happens, so a roll-up that runs after the
 * purge cannot erase history, and one that runs before it only counts what is still there. Not
 * chaining them means a failing roll-up never holds back a purge the law requires, nor the other
 * way round. The attribution prune does depend on the purge (bookings older than the call
 * retention become final once their calls are gone), so it runs at the end of the purge job.
 */
export async function runCronFanout(job: CronFanoutJob, env: Bindings): Promise<number> {
  const rows = await createDb(env.DB)
    .select({ id: clinics.id })
    .from(clinics)
    .where(job.after === null ? undefined : gt(clinics.id, job.after))
    .orderBy(asc(clinics.id))
    .limit(FANOUT_PAGE)
  const ids = rows.map((r) => r.id)
  const base = { runAt: job.runAt, runDate: job.runDate }
  const messages: JobMessage[] = []
  for (const clinicId of ids) {
    messages.push({ type: 'clinic-purge', ...base, clinicId, resume: null })
    messages.push({ type: 'clinic-rollup', ...base, clinicId })
  }
  if (messages.length > 0) await jobQueue(env).sendBatch(messages.map((body) => ({ body })))
  const last = ids[ids.length - 1]
  // A full page may have a next one; the fan-out continues itself from the last id seen.
  if (ids.length === FANOUT_PAGE && last !== undefined) {
    await jobQueue(env).send({ ...job, after: last })
  }
  return ids.length
}

/**
 * One clinic's purges for a run, within JOB_STATEMENT_BUDGET statements: when the budget runs
 * out it enqueues its continuation (same run, a cursor) and returns. When all jobs are done it
 * prunes the attribution working set and writes the run's summary line, which also marks the run
 * finished: a duplicate or redelivered job for the same clinic and date does nothing.
 */
export async function runClinicPurge(
  job: ClinicPurgeJob,
  env: Bindings,
): Promise<{ statements: number; continued: boolean }> {
  const counted = countStatements(env.DB)
  const jobEnv: Bindings = { ...env, DB: counted.db }
  if (await purgeRunFinished(counted.db, job.clinicId, job.runDate)) {
    return { statements: counted.count(), continued: false }
  }
  const plan = await planClinicPurge(jobEnv, job.clinicId, job.runAt)
  if (!plan) return { statements: counted.count(), continued: false }
  const slice = await runPurgeJobs(
    jobEnv,
    plan.jobs,
    job.runAt,
    { budget: { limit: JOB_STATEMENT_BUDGET - RUN_CLOSE_STATEMENTS, spent: counted.count } },
    job.resume,
  )
  if (slice.next) {
    await jobQueue(env).send({ ...job, resume: slice.next })
    return { statements: counted.count(), continued: true }
  }
  // A deleted clinic has nothing left to prune or summarise: its receipt is the proof.
  if (!plan.terminated) {
    await pruneAttributionWorkingSet(jobEnv, job.clinicId, job.runAt)
    await finishPurgeRun(counted.db, job.clinicId, job.runAt, job.runDate, plan.callsCutoff)
  }
  return { statements: counted.count(), continued: false }
}

/**
 * One clinic's nightly roll-up: yesterday and today. Idempotent by construction (the aggregates
 * are recomputed from what D1 holds, and sealed days are left alone).
 */
export async function runClinicRollup(
  job: ClinicRollupJob,
  env: Bindings,
): Promise<{ statements: number }> {
  const counted = countStatements(env.DB)
  await rollUpMetrics({ ...env, DB: counted.db }, job.clinicId, job.runAt - 2 * DAY_MS, job.runAt)
  // Repair: reminders and follow-ups due within a day are registered with the clinic's object
  // again, in case a registration failed (the object keeps one entry per id).
  await rewakePending({ ...env, DB: counted.db }, createDb(counted.db), job.clinicId, job.runAt)
  // The weekly digest's next Monday, registered (again) with the clinic's object.
  const clinic = await findClinic(createDb(counted.db), job.clinicId)
  if (clinic) await scheduleNextDigest(env, clinic.id, clinic.timezone, job.runAt)
  return { statements: counted.count() }
}

/** The platform-wide purges, budgeted and resumable like a clinic's. */
export async function runPlatformHousekeeping(
  job: PlatformHousekeepingJob,
  env: Bindings,
): Promise<void> {
  const counted = countStatements(env.DB)
  const jobEnv: Bindings = { ...env, DB: counted.db }
  // A material change of the privacy notice is told to every active client, once.
  if (!job.resume) {
    await announcePrivacyNotice({ env, db: createDb(env.DB), config: getConfig(env) }, job.runAt)
  }
  const slice = await runPurgeJobs(
    jobEnv,
    platformPurgeJobs(jobEnv, job.runAt),
    job.runAt,
    { budget: { limit: JOB_STATEMENT_BUDGET, spent: counted.count } },
    job.resume,
  )
  if (slice.next) await jobQueue(env).send({ ...job, resume: slice.next })
}

/**
 * Re-wraps data keys under the current KEK. Each row is re-wrapped on its own and guarded by its
 * old KEK id, so the job may stop anywhere: at the budget it enqueues itself and the next
 * invocation carries on. Without a previous KEK configured it does nothing.
 */
export async function runRewrapKeys(job: RewrapKeysJob, env: Bindings): Promise<void> {
  const config = getConfig(env)
  if (!config.dataEncryptionKeyPrevious) return
  const counted = countStatements(env.DB, JOB_STATEMENT_BUDGET)
  try {
    const result = await rewrapClinicKeys(createDb(counted.db), config)
    logInfo('data keys re-wrapped', result)
  } catch (err) {
    if (!isBudgetExceeded(err)) throw err
    await jobQueue(env).send(job)
    logInfo('data keys re-wrap continues', { statements: counted.count() })
  }
}
