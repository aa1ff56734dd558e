/**
 * Retention purges, run by the daily cron (src/cron.ts). Each clinic gets a list of jobs; a job
 * is a cut-off and an ordered list of steps, and each step deletes (or unlinks) one kind of data
 * in chunks until a chunk comes back short.
 *
 * Why it is safe to crash and re-run at any point:
 * - every step is a predicate ("rows of this clinic older than the cut-off"), never a remembered
 *   list, so a re-run picks up exactly what is left and cannot delete anything twice;
 * - R2 objects are deleted before the row that names them, so a crash leaves at worst a row
 *   whose object is already gone (the next run finishes it), never an orphaned recording;
 * - a job's receipt (purge_runs) is written with its first chunk that deletes something, as
 *   `running`, and its counts updated after every chunk; a run that finds its job's receipt
 *   still `running` continues that receipt. A job that deletes nothing writes no receipt: the
 *   clinic's run ends with one summary line (job `all`, see `finishPurgeRun`) instead.
 * - a statement budget (PurgeOptions.budget) stops a run between chunks; the caller continues
 *   from the returned cursor (src/jobs/daily.ts re-enqueues the job), so a huge backlog is
 *   worked off over several queue invocations, each far under D1's 1,000 queries.
 *
 * D1 has no transactions and a 100-bound-parameter limit (PLATFORM-NOTES §1), hence
 * `DELETE … WHERE rowid IN (SELECT rowid … LIMIT n)` with a handful of parameters per chunk.
 * Receipts hold the job, the cut-off and counts per kind: never an identifier of a person.
 */
import { and, desc, eq } from 'drizzle-orm'
import { PENDING_RECORDING_TTL_MS } from '../calls/pending'
import { findClinic } from '../clinic/find'
import { createDb } from '../db/client'
import { purgeRuns } from '../db/schema'
import type { Bindings } from '../env'
import { withDurableRetry } from '../lib/durable'
import { newId } from '../lib/ids'
import { DAY_MS } from '../lib/time'
import { shredClinicKeys } from './keys'
import {
  addUtcMonths,
  JOB_FAILURE_DAYS,
  MAX_CALL_DAYS,
  PURGE_RECEIPT_YEARS,
  type RetentionSettings,
  retentionCutoffs,
} from './retention'

/** Rows per DELETE chunk: small enough to stay well inside one D1 query's time budget. */
export const DEFAULT_CHUNK = 500
/** Rows per chunk when each row names an R2 object (the ids are bound: ≤ 100 parameters). */
const R2_CHUNK = 90

export type PurgeCounts = Record<string, number>

/**
 * One kind of data within a job. `chunk(limit)` handles at most `limit` rows and returns how many
 * it handled; the step repeats until a chunk comes back short. `maxChunk` caps the limit (R2
 * steps bind their ids); a step marked `once` does all its work in one call.
 */
export type PurgeStep = {
  kind: string
  chunk: (limit: number) => Promise<number>
  maxChunk?: number
  once?: boolean
}

export type PurgeJob = { job: string; clinicId: string | null; cutoff: number; steps: PurgeStep[] }

/**
 * A cap on the D1 statements a run may issue. `spent()` reads a counter (src/lib/statement-budget.ts);
 * the run stops between chunks when the next chunk could go past `limit`, but only after it has
 * done at least one chunk, so every invocation makes progress.
 */
export type PurgeBudget = { limit: number; spent: () => number }

export type PurgeOptions = { chunkSize?: number; budget?: PurgeBudget }

/** Where a run stopped: the job and step to continue from (indexes into the job list). */
export type PurgeCursor = { job: number; step: number }

/** D1 statements one chunk may cost: a select and an update (R2 steps), and the receipt's write. */
const CHUNK_STATEMENTS = 3
/** Statements a slice may still spend after its last chunk: the receipt's completion, the next job's receipt lookup, one to spare. */
const CLOSE_STATEMENTS = 3

/** `DELETE … WHERE rowid IN (SELECT rowid FROM table WHERE <where> LIMIT n)` as a step. */
// Raw SQL in the steps below: the table and predicate are chosen at run time (tenantTables finds
// them), and `… WHERE rowid IN (SELECT rowid … LIMIT ?)` bounds each chunk; Drizzle has neither.
function deleteStep(
  d1: D1Database,
  kind: string,
  table: string,
  where: string,
  params: (string | number)[],
): PurgeStep {
  return {
    kind,
    chunk: async (limit) => {
      const result = await d1
        .prepare(
          `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ?)`,
        )
        .bind(...params, limit)
        .run()
      return result.meta.changes ?? 0
    },
  }
}

/** The leads of clinic ?1 whose last interaction is before ?2. */
const STALE_LEADS = 'SELECT id FROM leads WHERE clinic_id = ?1 AND last_interaction_at < ?2'

/** Sets `column` to NULL on the clinic's rows of `table` older (by `time`) than the cut-off. */
function clearStep(
  d1: D1Database,
  kind: string,
  table: string,
  column: string,
  time: string,
  params: [string, number],
): PurgeStep {
  return {
    kind,
    chunk: async (limit) => {
      const sql = `UPDATE ${table} SET ${column} = NULL WHERE rowid IN (SELECT rowid FROM ${table} WHERE clinic_id = ? AND ${time} < ? AND ${column} IS NOT NULL LIMIT ?)`
      return (
        (
          await d1
            .prepare(sql)
            .bind(...params, limit)
            .run()
        ).meta.changes ?? 0
      )
    },
  }
}

/** Deletes the R2 objects of lead photos matching `where`, then their rows. */
function photoStep(env: Bindings, where: string, params: (string | number)[]): PurgeStep {
  return {
    kind: 'photos',
    maxChunk: R2_CHUNK,
    chunk: async (limit) => {
      const found = (
        await env.DB.prepare(`SELECT id, r2_key AS key FROM lead_photos WHERE ${where} LIMIT ?`)
          .bind(...params, limit)
          .all<{ id: string; key: string }>()
      ).results
      if (found.length === 0) return 0
      await env.BLOBS.delete(found.map((r) => r.key))
      await env.DB.prepare(
        `DELETE FROM lead_photos WHERE id IN (${found.map(() => '?').join(', ')})`,
      )
        .bind(...found.map((r) => r.id))
        .run()
      return found.length
    },
  }
}

/** Deletes the R2 objects of calls matching `where`, then forgets their keys on the rows. */
function recordingStep(env: Bindings, where: string, params: (string | number)[]): PurgeStep {
  return {
    kind: 'recordings',
    maxChunk: R2_CHUNK,
    chunk: async (limit) => {
      const rows = await env.DB.prepare(
        `SELECT id, recording_key AS key FROM calls WHERE recording_key IS NOT NULL AND ${where} LIMIT ?`,
      )
        .bind(...params, limit)
        .all<{ id: string; key: string }>()
      const found = rows.results
      if (found.length === 0) return 0
      await env.BLOBS.delete(found.map((r) => r.key))
      const ids = found.map((r) => r.id)
      await env.DB.prepare(
        `UPDATE calls SET recording_key = NULL WHERE id IN (${ids.map(() => '?').join(', ')})`,
      )
        .bind(...ids)
        .run()
      return found.length
    },
  }
}

/**
 * The jobs for a clinic that is still a customer, each with its cut-off (retentionCutoffs).
 */
export function clinicPurgeJobs(
  env: Bindings,
  clinic: { id: string } & RetentionSettings,
  nowMs: number,
): PurgeJob[] {
  const d1 = env.DB
  const cut = retentionCutoffs(clinic, nowMs)
  const id = clinic.id
  // The rows of `table` that belong to leads quiet for longer than enquiry retention.
  const ofStaleLeads = `clinic_id = ?1 AND lead_id IN (${STALE_LEADS})`
  const staleLeadRows = (kind: string, table: string) =>
    deleteStep(d1, kind, table, ofStaleLeads, [id, cut.enquiries])
  return [
    {
      job: 'calls',
      clinicId: id,
      cutoff: cut.calls,
      steps: [
        // A recording never outlives the call it belongs to.
        recordingStep(env, 'clinic_id = ? AND started_at < ?', [id, cut.calls]),
        deleteStep(
          d1,
          'textBacks',
          'outbound_messages',
          'clinic_id = ? AND call_id IS NOT NULL AND created_at < ?',
          [id, cut.calls],
        ),
        deleteStep(
          d1,
          'textBackReplies',
          'inbound_messages',
          'clinic_id = ? AND in_reply_to_call_id IS NOT NULL AND received_at < ?',
          [id, cut.calls],
        ),
        deleteStep(d1, 'calls', 'calls', 'clinic_id = ? AND started_at < ?', [id, cut.calls]),
        {
          // The attribution working set's copies of those calls and bookings (clinic DO).
          kind: 'workingSetRows',
          once: true,
          chunk: () =>
            withDurableRetry(() => env.CLINIC.getByName(id).purgeSubjectRowsBefore(cut.calls)),
        },
        {
          // The appointment stays (it is the clinic's booking and an anonymous count in the
          // metrics); its link to the person's hash goes with the calls it was matched against.
          kind: 'appointmentLinks',
          chunk: async (limit) => {
            const r = await d1
              .prepare(
                'UPDATE appointments SET caller_hash = NULL WHERE rowid IN (SELECT rowid FROM appointments WHERE clinic_id = ? AND caller_hash IS NOT NULL AND created_at < ? LIMIT ?)',
              )
              .bind(id, cut.calls, limit)
              .run()
            return r.meta.changes ?? 0
          },
        },
        deleteStep(
          d1,
          'webhookDeliveries',
          'webhook_deliveries',
          'clinic_id = ? AND received_at < ?',
          [id, cut.calls],
        ),
      ],
    },
    {
      job: 'recordings',
      clinicId: id,
      cutoff: cut.recordings,
      steps: [recordingStep(env, 'clinic_id = ? AND started_at < ?', [id, cut.recordings])],
    },
    {
      // Messages outside a text-back exchange are conversations: kept until 24 months after the
      // contact's last interaction (inbound or outbound), then the whole thread goes.
      job: 'conversations',
      clinicId: id,
      cutoff: cut.enquiries,
      steps: [
        deleteStep(
          d1,
          'inboundMessages',
          'inbound_messages',
          `clinic_id = ?1 AND in_reply_to_call_id IS NULL AND received_at < ?2
           AND NOT EXISTS (SELECT 1 FROM inbound_messages x WHERE x.clinic_id = ?1 AND x.sender_hash = inbound_messages.sender_hash AND x.received_at >= ?2)
           AND NOT EXISTS (SELECT 1 FROM outbound_messages o WHERE o.clinic_id = ?1 AND o.recipient_hash = inbound_messages.sender_hash AND o.created_at >= ?2)`,
          [id, cut.enquiries],
        ),
        deleteStep(
          d1,
          'outboundMessages',
          'outbound_messages',
          `clinic_id = ?1 AND call_id IS NULL AND created_at < ?2
           AND (recipient_hash IS NULL OR (
             NOT EXISTS (SELECT 1 FROM outbound_messages x WHERE x.clinic_id = ?1 AND x.recipient_hash = outbound_messages.recipient_hash AND x.created_at >= ?2)
             AND NOT EXISTS (SELECT 1 FROM inbound_messages i WHERE i.clinic_id = ?1 AND i.sender_hash = outbound_messages.recipient_hash AND i.received_at >= ?2)))`,
          [id, cut.enquiries],
        ),
        // The inbox's threads (src/conversations): a conversation whose last message, either
        // way, is older than the cut-off goes with all its messages (messages first).
        deleteStep(
          d1,
          'conversationMessages',
          'conversation_messages',
          'clinic_id = ?1 AND conversation_id IN (SELECT id FROM conversations WHERE clinic_id = ?1 AND last_message_at < ?2)',
          [id, cut.enquiries],
        ),
        deleteStep(d1, 'conversations', 'conversations', 'clinic_id = ? AND last_message_at < ?', [
          id,
          cut.enquiries,
        ]),
      ],
    },
    // Enquiries and leads (src/leads): a lead whose last interaction is older than the cut-off
    // goes with its enquiries, photos (R2 first) and timeline; an active lead keeps them all.
    {
      job: 'enquiries',
      clinicId: id,
      cutoff: cut.enquiries,
      steps: [
        photoStep(env, ofStaleLeads, [id, cut.enquiries]),
        staleLeadRows('enquiries', 'enquiries'),
      ],
    },
    {
      job: 'leads',
      clinicId: id,
      cutoff: cut.enquiries,
      steps: [
        staleLeadRows('conversions', 'conversions'),
        staleLeadRows('leadEvents', 'lead_events'),
        deleteStep(d1, 'leads', 'leads', 'clinic_id = ? AND last_interaction_at < ?', [
          id,
          cut.enquiries,
        ]),
      ],
    },
    {
      // Where a visitor came from is kept 2 years from the submission, even on an active lead.
      job: 'marketing-attribution',
      clinicId: id,
      cutoff: cut.attribution,
      steps: [
        clearStep(d1, 'enquiryAttribution', 'enquiries', 'attribution', 'created_at', [
          id,
          cut.attribution,
        ]),
        clearStep(d1, 'leadAttribution', 'leads', 'attribution', 'created_at', [
          id,
          cut.attribution,
        ]),
      ],
    },
    {
      job: 'audit',
      clinicId: id,
      cutoff: cut.audit,
      steps: [
        {
          kind: 'auditEntries',
          maxChunk: 1000,
          chunk: async (limit) =>
            (await withDurableRetry(() => env.CLINIC.getByName(id).purgeAudit(cut.audit, limit)))
              .removed,
        },
      ],
    },
  ]
}

/** Tables kept when a clinic is deleted: purge receipts are the proof of deletion (no personal data). */
const KEEP_ON_TERMINATION = new Set(['purge_runs', 'clinics', 'd1_migrations'])
/** Parents go last, so a foreign key without ON DELETE CASCADE can never block the purge. */
const PARENT_TABLES = [
  'sessions',
  'auth_tokens',
  'api_keys',
  'users',
  'tracking_numbers',
  'treatments',
]

/** Every D1 table with a `clinic_id` column (found at run time, so new features' tables are covered). */
async function tenantTables(d1: D1Database): Promise<string[]> {
  const tables = await d1
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT GLOB '_cf_*'",
    )
    .all<{ name: string }>()
  const withClinic: string[] = []
  for (const { name } of tables.results) {
    if (KEEP_ON_TERMINATION.has(name) || !/^[a-z0-9_]+$/.test(name)) continue
    const cols = await d1.prepare(`PRAGMA table_info(${name})`).all<{ name: string }>()
    if (cols.results.some((c) => c.name === 'clinic_id')) withClinic.push(name)
  }
  const rank = (t: string) => PARENT_TABLES.indexOf(t)
  return withClinic.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

/**
 * A terminated clinic (contract end + 6 months): every row, object and key it has, in an order
 * that survives a crash anywhere. The clinic row goes last, so until the job has finished the
 * next run still finds the clinic and carries on.
 */
export async function terminatedClinicJob(
  env: Bindings,
  clinicId: string,
  cutoff: number,
): Promise<PurgeJob> {
  const d1 = env.DB
  const steps: PurgeStep[] = [
    recordingStep(env, 'clinic_id = ?', [clinicId]),
    photoStep(env, 'clinic_id = ?', [clinicId]),
    {
      // Objects stored under the clinic's prefix (uploads): the convention is `<clinicId>/…`.
      kind: 'blobs',
      once: true,
      chunk: async () => {
        let deleted = 0
        for (;;) {
          // Always list from the start: what was deleted is no longer listed.
          const listed = await env.BLOBS.list({ prefix: `${clinicId}/`, limit: 1000 })
          if (listed.objects.length === 0) return deleted
          await env.BLOBS.delete(listed.objects.map((o) => o.key))
          deleted += listed.objects.length
        }
      },
    },
  ]
  for (const table of await tenantTables(d1)) {
    steps.push(deleteStep(d1, table, table, 'clinic_id = ?', [clinicId]))
  }
  steps.push(
    {
      kind: 'durableObjectStorage',
      once: true,
      chunk: async () => {
        await withDurableRetry(() => env.CLINIC.getByName(clinicId).destroyStorage())
        return 0
      },
    },
    {
      // Crypto-shredding: anything sealed for this clinic that survived anywhere (a backup,
      // a queue message, a log export) is unreadable from here on.
      kind: 'dataKeys',
      once: true,
      chunk: async () => shredClinicKeys(createDb(d1), clinicId),
    },
    {
      kind: 'clinic',
      once: true,
      chunk: async () => {
        const r = await d1.prepare('DELETE FROM clinics WHERE id = ?').bind(clinicId).run()
        return r.meta.changes ?? 0
      },
    },
  )
  return { job: 'terminated-clinic', clinicId, cutoff, steps }
}

/**
 * Platform-wide housekeeping: delivery keys that never resolved to a clinic, purge receipts past
 * their own retention (PURGE_RECEIPT_YEARS), and dead-letter records nobody needs any more.
 */
export function platformPurgeJobs(env: Bindings, nowMs: number): PurgeJob[] {
  const cutoff = nowMs - MAX_CALL_DAYS * DAY_MS
  const receiptsCutoff = addUtcMonths(nowMs, -12 * PURGE_RECEIPT_YEARS)
  const failuresCutoff = nowMs - JOB_FAILURE_DAYS * DAY_MS
  return [
    {
      job: 'webhook-deliveries',
      clinicId: null,
      cutoff,
      steps: [
        deleteStep(
          env.DB,
          'webhookDeliveries',
          'webhook_deliveries',
          'clinic_id IS NULL AND received_at < ?',
          [cutoff],
        ),
      ],
    },
    {
      // Sign-in throttle counters (keyed hashes of an account and a client address) whose
      // window and lock are long over: a day is ample for windows and locks of minutes.
      job: 'login-throttle',
      clinicId: null,
      cutoff: nowMs - DAY_MS,
      steps: [
        deleteStep(
          env.DB,
          'loginThrottle',
          'login_throttle',
          'window_started_at < ? AND (locked_until IS NULL OR locked_until < ?)',
          [nowMs - DAY_MS, nowMs],
        ),
      ],
    },
    {
      // Recording callbacks that overtook a call which then never arrived (src/calls/pending.ts):
      // sids and a duration only, useless after a day.
      job: 'pending-recordings',
      clinicId: null,
      cutoff: nowMs - PENDING_RECORDING_TTL_MS,
      steps: [
        deleteStep(env.DB, 'pendingRecordings', 'pending_recordings', 'received_at < ?', [
          nowMs - PENDING_RECORDING_TTL_MS,
        ]),
      ],
    },
    {
      // Receipts of every clinic, including deleted ones (their proof of deletion), by age only.
      job: 'purge-receipts',
      clinicId: null,
      cutoff: receiptsCutoff,
      steps: [deleteStep(env.DB, 'purgeReceipts', 'purge_runs', 'ran_at < ?', [receiptsCutoff])],
    },
    {
      job: 'job-failures',
      clinicId: null,
      cutoff: failuresCutoff,
      steps: [
        deleteStep(env.DB, 'jobFailures', 'job_failures', 'last_failed_at < ?', [failuresCutoff]),
      ],
    },
  ]
}

/** What a slice of a run did: counts per job, and where to continue (null: finished). */
export type PurgeSlice = { counts: Record<string, PurgeCounts>; next: PurgeCursor | null }

/**
 * Runs one job from step `fromStep`, chunk by chunk, until it is done or the budget stops it.
 * The receipt in purge_runs is written with the first chunk that deletes something (or an
 * unfinished one is continued) and updated after every chunk; a job that deletes nothing writes
 * none. Returns the counts and, if the budget stopped it, the step to continue from.
 */
async function runJobFrom(
  env: Bindings,
  job: PurgeJob,
  nowMs: number,
  options: PurgeOptions,
  fromStep: number,
  progress: { chunks: number },
): Promise<{ counts: PurgeCounts; stoppedAt: number | null }> {
  if (job.steps.length === 0 || fromStep >= job.steps.length) return { counts: {}, stoppedAt: null }
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK
  const budget = options.budget
  const db = createDb(env.DB)
  const clinicFilter =
    job.clinicId === null
      ? eq(purgeRuns.job, job.job)
      : and(eq(purgeRuns.clinicId, job.clinicId), eq(purgeRuns.job, job.job))
  const [unfinished] = await db
    .select()
    .from(purgeRuns)
    .where(and(clinicFilter, eq(purgeRuns.status, 'running')))
    .orderBy(desc(purgeRuns.ranAt))
    .limit(1)
  let receiptId = unfinished?.id ?? null
  const counts: PurgeCounts = unfinished ? (JSON.parse(unfinished.deletedJson) as PurgeCounts) : {}
  for (let i = fromStep; i < job.steps.length; i++) {
    const step = job.steps[i] as PurgeStep
    counts[step.kind] ??= 0
    const limit = Math.min(chunkSize, step.maxChunk ?? chunkSize)
    for (;;) {
      if (
        budget &&
        progress.chunks > 0 &&
        budget.spent() + CHUNK_STATEMENTS + CLOSE_STATEMENTS > budget.limit
      ) {
        return { counts, stoppedAt: i }
      }
      const n = await step.chunk(limit)
      progress.chunks++
      if (n > 0) {
        counts[step.kind] = (counts[step.kind] ?? 0) + n
        if (receiptId === null) {
          receiptId = newId('prg', nowMs)
          await db.insert(purgeRuns).values({
            id: receiptId,
            clinicId: job.clinicId,
            job: job.job,
            ranAt: nowMs,
            cutoff: job.cutoff,
            deletedJson: JSON.stringify(counts),
            status: 'running',
          })
        } else {
          await db
            .update(purgeRuns)
            .set({ deletedJson: JSON.stringify(counts) })
            .where(eq(purgeRuns.id, receiptId))
        }
      }
      if (step.once || n < limit) break
    }
  }
  if (receiptId !== null) {
    await db
      .update(purgeRuns)
      .set({ deletedJson: JSON.stringify(counts), status: 'completed' })
      .where(eq(purgeRuns.id, receiptId))
  }
  return { counts, stoppedAt: null }
}

/**
 * Runs a list of jobs from `from` (or the start) until they are done or the budget stops them.
 * Returns the counts per job and the cursor to continue from.
 */
export async function runPurgeJobs(
  env: Bindings,
  jobs: PurgeJob[],
  nowMs: number,
  options: PurgeOptions = {},
  from: PurgeCursor | null = null,
): Promise<PurgeSlice> {
  const progress = { chunks: 0 }
  const counts: Record<string, PurgeCounts> = {}
  for (let j = from?.job ?? 0; j < jobs.length; j++) {
    const job = jobs[j] as PurgeJob
    const fromStep = j === from?.job ? from.step : 0
    const result = await runJobFrom(env, job, nowMs, options, fromStep, progress)
    counts[job.job] = result.counts
    if (result.stoppedAt !== null) return { counts, next: { job: j, step: result.stoppedAt } }
  }
  return { counts, next: null }
}

/** Runs one job to completion and returns its counts (no budget). Jobs without steps write nothing. */
export async function runPurgeJob(
  env: Bindings,
  job: PurgeJob,
  nowMs: number,
  options: PurgeOptions = {},
): Promise<PurgeCounts> {
  const slice = await runPurgeJobs(env, [job], nowMs, { chunkSize: options.chunkSize })
  return slice.counts[job.job] ?? {}
}

/** A clinic's purge as a list of jobs, and what the run needs to close it. */
export type ClinicPurgePlan = {
  jobs: PurgeJob[]
  /** The whole clinic is being deleted: no summary line, no attribution prune afterwards. */
  terminated: boolean
  /** The call cut-off of this run: the summary line's cut-off (and the metrics' seal). */
  callsCutoff: number
}

/** The due jobs for one clinic at `nowMs`, or null when the clinic no longer exists. */
export async function planClinicPurge(
  env: Bindings,
  clinicId: string,
  nowMs: number,
): Promise<ClinicPurgePlan | null> {
  const settings: RetentionSettings | null = await findClinic(createDb(env.DB), clinicId)
  if (!settings) return null
  const cut = retentionCutoffs(settings, nowMs)
  if (cut.terminated !== null) {
    return {
      jobs: [await terminatedClinicJob(env, clinicId, cut.terminated)],
      terminated: true,
      callsCutoff: cut.calls,
    }
  }
  return {
    jobs: clinicPurgeJobs(env, { id: clinicId, ...settings }, nowMs),
    terminated: false,
    callsCutoff: cut.calls,
  }
}

/** Runs every due job for one clinic to completion (no budget). Returns the counts per job. */
export async function purgeClinic(
  env: Bindings,
  clinicId: string,
  nowMs: number,
  options: PurgeOptions = {},
): Promise<Record<string, PurgeCounts>> {
  const plan = await planClinicPurge(env, clinicId, nowMs)
  if (!plan) return {}
  return (await runPurgeJobs(env, plan.jobs, nowMs, { chunkSize: options.chunkSize })).counts
}

/** The summary line's id: one per clinic and run date, so a redelivered job cannot add a second. */
export function purgeRunId(clinicId: string, runDate: string): string {
  return `prg_run_${clinicId}_${runDate}`
}

/** Whether this clinic's run for `runDate` already finished (its summary line exists). */
export async function purgeRunFinished(
  d1: D1Database,
  clinicId: string,
  runDate: string,
): Promise<boolean> {
  const row = await d1
    .prepare('SELECT 1 AS done FROM purge_runs WHERE id = ?')
    .bind(purgeRunId(clinicId, runDate))
    .first<{ done: number }>()
  return row !== null
}

/**
 * Closes a clinic's run with its one summary line (job `all`): the totals of the receipts this
 * run wrote, or `{}` when nothing was due. It is the proof the run happened when no job deleted
 * anything (and so wrote no receipt), and the mark that makes a redelivered job a no-op.
 */
export async function finishPurgeRun(
  d1: D1Database,
  clinicId: string,
  runAt: number,
  runDate: string,
  cutoff: number,
): Promise<PurgeCounts> {
  const rows = await d1
    .prepare(
      "SELECT deleted_json AS deleted FROM purge_runs WHERE clinic_id = ? AND ran_at = ? AND job != 'all'",
    )
    .bind(clinicId, runAt)
    .all<{ deleted: string }>()
  const totals: PurgeCounts = {}
  for (const r of rows.results) {
    for (const [kind, n] of Object.entries(JSON.parse(r.deleted) as PurgeCounts)) {
      if (n > 0) totals[kind] = (totals[kind] ?? 0) + n
    }
  }
  await d1
    .prepare(
      `INSERT INTO purge_runs (id, clinic_id, job, ran_at, cutoff, deleted_json, status)
       VALUES (?, ?, 'all', ?, ?, ?, 'completed') ON CONFLICT (id) DO NOTHING`,
    )
    .bind(purgeRunId(clinicId, runDate), clinicId, runAt, cutoff, JSON.stringify(totals))
    .run()
  return totals
}
