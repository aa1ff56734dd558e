/**
 * Dead letters reach a human: every job that exhausts its retries (or fails permanently) is
 * recorded in job_failures (ids and counts only) and, for a clinic's job, its owners and admins
 * get an alert email — at most one per clinic per hour. Platform jobs are logged at error level.
 */

import { and, asc, count, eq, gte, isNull, sql } from 'drizzle-orm'
import { emailStaff } from '../alerts/alerts'
import { createDb } from '../db/client'
import { newestRows } from '../db/clinic-pages'
import { clinics, jobFailures } from '../db/schema'
import { type Bindings, getConfig } from '../env'
import { idempotencyKey } from '../lib/ids'
import { HOUR_MS, toIso } from '../lib/time'
import { sha256Hex } from '../privacy/crypto'
import type { JobMessage } from './messages'

/** Who a failure belongs to and a reference a human can act on: never personal data. */
export type FailureRef = { clinicId: string | null; jobType: string; ref: string }

function field(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,100}$/.test(value) ? value : 'unknown'
}

/**
 * The safe reference of a job: a call or message id, a run's date, or for an email a hash of its
 * idempotency key (keys can hold a token's hash prefix, which has no business in a list).
 */
export async function failureRef(job: JobMessage): Promise<FailureRef> {
  const clinicId = 'clinicId' in job && typeof job.clinicId === 'string' ? job.clinicId : null
  const base = { clinicId, jobType: field(job.type) }
  switch (job.type) {
    case 'text-back':
    case 'recording-copy':
      return { ...base, ref: `call:${field(job.callId)}` }
    case 'attribution': {
      const event = job.event
      const ref =
        event?.kind === 'text-back-reply'
          ? `message:${field(event.messageId)}`
          : `call:${field(event?.callId)}`
      return { ...base, ref }
    }
    case 'email': {
      const kind = field(String(job.idempotencyKey ?? '').split(':')[0])
      const digest = (await sha256Hex(String(job.idempotencyKey ?? ''))).slice(0, 16)
      return { ...base, ref: `email:${kind}:${digest}` }
    }
    case 'ai-reply':
    case 'conversation-send':
      return { ...base, ref: `conversation:${field(job.conversationId)}` }
    case 'staff-alert-digest':
      return { ...base, ref: 'digest' }
    case 'conversion-upload':
      return { ...base, ref: `conversion:${field(job.conversionId)}` }
    case 'cron-fanout':
      return { ...base, ref: `run:${field(job.runDate)}:after:${job.after ?? 'start'}` }
    default:
      return { ...base, ref: `run:${field((job as { runDate?: unknown }).runDate)}` }
  }
}

/** The row id for a (clinic, type, ref): the same failure always lands on the same row. */
export async function failureId(f: FailureRef): Promise<string> {
  const digest = await sha256Hex(`${f.clinicId ?? '-'}|${f.jobType}|${f.ref}`)
  return `jf_${digest.slice(0, 32)}`
}

/**
 * Records a failure: one statement, the cheapest and most reliable step, so it runs first. A
 * redelivery of the same dead letter (same queue message id) changes nothing; a new failure of
 * the same job counts once more and reopens a resolved record.
 */
export async function recordJobFailure(
  d1: D1Database,
  f: FailureRef,
  messageId: string,
  now: number,
): Promise<string> {
  const id = await failureId(f)
  await createDb(d1)
    .insert(jobFailures)
    .values({
      id,
      clinicId: f.clinicId,
      jobType: f.jobType,
      ref: f.ref,
      firstFailedAt: now,
      lastFailedAt: now,
      count: 1,
      lastMessageId: messageId,
    })
    .onConflictDoUpdate({
      target: jobFailures.id,
      set: {
        count: sql`${jobFailures.count} + 1`,
        lastFailedAt: sql`excluded.last_failed_at`,
        lastMessageId: sql`excluded.last_message_id`,
        resolvedAt: null,
      },
      setWhere: sql`${jobFailures.lastMessageId} IS NOT excluded.last_message_id`,
    })
  return id
}

/** What an alert says: counts by job type, and where to look. No ids of people, no bodies. */
export function alertText(
  clinicName: string,
  open: { jobType: string; n: number }[],
  baseUrl: string,
) {
  const lines = open.map((o) => `- ${o.jobType}: ${o.n}`)
  const total = open.reduce((sum, o) => sum + o.n, 0)
  return {
    subject: `Ringback: ${total} background job(s) failed for ${clinicName}`,
    text: [
      `Some background work for ${clinicName} failed after every retry and needs a look:`,
      '',
      ...lines,
      '',
      `The list (owners and admins): ${baseUrl.replace(/\/+$/, '')}/api/v1/jobs/failures`,
      'You get at most one of these emails an hour; later failures are in the list.',
    ].join('\n'),
  }
}

/**
 * Emails the clinic's alert recipients (owners and admins by default) about its open failures,
 * unless one alert already
 * went out this hour. The emails go through the queue (`queueEmail`) with an idempotency key per
 * clinic, hour and recipient, so concurrent dead letters and retries still send one each.
 */
export async function alertClinic(
  env: Bindings,
  clinicId: string,
  failureRowId: string,
  now: number,
): Promise<'alerted' | 'throttled' | 'no-recipients'> {
  const hourStart = Math.floor(now / HOUR_MS) * HOUR_MS
  const db = createDb(env.DB)
  const [recent] = await db
    .select({ id: jobFailures.id })
    .from(jobFailures)
    .where(and(eq(jobFailures.clinicId, clinicId), gte(jobFailures.alertedAt, hourStart)))
    .limit(1)
  if (recent) return 'throttled'
  const [clinic, open] = await db.batch([
    db.select({ name: clinics.name }).from(clinics).where(eq(clinics.id, clinicId)).limit(1),
    db
      .select({ jobType: jobFailures.jobType, n: count() })
      .from(jobFailures)
      .where(and(eq(jobFailures.clinicId, clinicId), isNull(jobFailures.resolvedAt)))
      .groupBy(jobFailures.jobType)
      .orderBy(asc(jobFailures.jobType)),
  ])
  const name = clinic[0]?.name ?? 'your clinic'
  const hour = toIso(hourStart)
  // The same people as every staff alert (owners and admins unless they chose otherwise).
  const sent = await emailStaff(
    env,
    clinicId,
    alertText(name, open, getConfig(env).publicBaseUrl),
    (userId) => idempotencyKey('job-failures', clinicId, hour, userId),
  )
  if (sent === 0) return 'no-recipients'
  await db.update(jobFailures).set({ alertedAt: now }).where(eq(jobFailures.id, failureRowId))
  return 'alerted'
}

export type JobFailureRow = typeof jobFailures.$inferSelect

/** A page of a clinic's failure records, newest failure first (keyset on last_failed_at, id). */
export async function listJobFailures(
  d1: D1Database,
  clinicId: string,
  limit: number,
  after: { t: number; id: string } | null,
): Promise<JobFailureRow[]> {
  const mine = eq(jobFailures.clinicId, clinicId)
  return newestRows(createDb(d1), jobFailures, jobFailures.lastFailedAt, [mine], limit, after)
}
