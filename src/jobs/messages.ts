/**
 * Messages on the `ringback-jobs` queue (and its dead-letter queue). Each carries an idempotency
 * key so at-least-once delivery never does the work twice. Personal data inside a message is
 * sealed with the clinic's data key (`*Sealed` fields).
 */
import type { Bindings } from '../env'
export type TextBackJob = {
  type: 'text-back'
  clinicId: string
  callId: string
  /** The outbox row that makes a retried send idempotent. */
  outboxId: string
  /** The caller's E.164 number, sealed: the only place a raw number travels. */
  toSealed: string
}

/** An event for the clinic's attribution engine (hashes and ids only, no personal data). */
export type AttributionJob = {
  type: 'attribution'
  clinicId: string
  event: import('../attribution/notify').AttributionEvent
}

/** Copy a voicemail's audio from Twilio into R2 (`key`), then delete it at Twilio. */
export type RecordingCopyJob = {
  type: 'recording-copy'
  clinicId: string
  callId: string
  recordingSid: string
  /** The R2 key already stored on the call (`calls.recording_key`). */
  key: string
}

/** One outbound email (src/email/email.ts `queueEmail`): recipient and text sealed together. */
export type EmailJob = {
  type: 'email'
  clinicId: string
  /** Stable per intent: the outbox row and Resend's Idempotency-Key both dedupe on it. */
  idempotencyKey: string
  subject: string
  /** `{to, text, html}` as JSON, sealed with the clinic's data key. */
  sealed: string
  /** Optional email (marketing, the digest): List-Unsubscribe, and not to an unsubscribed address. */
  unsubscribable?: boolean
}

/**
 * Answer a patient's message with the AI receptionist (src/conversations/ai-reply.ts). Ids only:
 * the body is sealed in D1. `at` is the message's time, for the turn's order.
 */
export type AiReplyJob = {
  type: 'ai-reply'
  clinicId: string
  conversationId: string
  messageId: string
  at: number
}

/** Send one stored outbound conversation message (src/conversations/send.ts). */
export type ConversationSendJob = {
  type: 'conversation-send'
  clinicId: string
  conversationId: string
  messageId: string
}

/** Email the clinic's pending staff alerts as one digest (src/alerts/alerts.ts). */
export type StaffAlertDigestJob = { type: 'staff-alert-digest'; clinicId: string }

/** Fields every daily-cron job carries: the run it belongs to (its scheduled time and UTC date). */
type DailyRun = {
  /** The cron's `scheduledTime` (ms): every cut-off of the run is computed from it. */
  runAt: number
  /** `YYYY-MM-DD` (UTC) of `runAt`: with the clinic, the run's idempotency key. */
  runDate: string
}

/** Where a resumable purge stopped: the next job (index) and step (index) to run. */
export type PurgeCursor = { job: number; step: number }

/**
 * The daily cron's fan-out: lists one page of clinics after `after` (by id), enqueues their jobs,
 * and enqueues itself for the next page. The cron invocation itself touches no D1 at all.
 */
export type CronFanoutJob = DailyRun & { type: 'cron-fanout'; after: string | null }

/** One clinic's retention purges for a run; continues from `resume` when a budget stopped it. */
export type ClinicPurgeJob = DailyRun & {
  type: 'clinic-purge'
  clinicId: string
  resume: PurgeCursor | null
}

/** One clinic's nightly metric roll-up (yesterday and today, local time). */
export type ClinicRollupJob = DailyRun & { type: 'clinic-rollup'; clinicId: string }

/** Platform-wide purges (delivery keys with no clinic, old receipts, old failure records). */
export type PlatformHousekeepingJob = DailyRun & {
  type: 'platform-housekeeping'
  resume: PurgeCursor | null
}

/** Re-wraps clinic data keys under the current KEK while a rotation is under way. */
export type RewrapKeysJob = DailyRun & { type: 'rewrap-keys' }

export type DailyJob =
  | CronFanoutJob
  | ClinicPurgeJob
  | ClinicRollupJob
  | PlatformHousekeepingJob
  | RewrapKeysJob

/** Report one booked lead's conversion to its ad platform (src/leads/conversions.ts). */
export type ConversionUploadJob = {
  type: 'conversion-upload'
  clinicId: string
  conversionId: string
}

/**
 * Scheduled things that fell due (src/automations): automated messages (`sch_…`) and automation
 * runs (`arn_…`), handed over by the clinic's Durable Object alarm.
 */
export type ScheduledDueJob = { type: 'scheduled-due'; clinicId: string; ids: string[] }

/** One message's usage for Stripe Billing Meters (src/billing/usage.ts). */
export type UsageReportJob = {
  type: 'usage-report'
  clinicId: string
  meter: 'sms' | 'ai'
  /** The message's id: Stripe ignores an identifier it has seen. */
  identifier: string
  value: number
}

export type JobMessage =
  | UsageReportJob
  | ScheduledDueJob
  | TextBackJob
  | ConversionUploadJob
  | AttributionJob
  | RecordingCopyJob
  | EmailJob
  | AiReplyJob
  | ConversationSendJob
  | StaffAlertDigestJob
  | DailyJob

export type JobType = JobMessage['type']

/**
 * The jobs queue, typed by its messages. `wrangler types` generates the binding as a plain
 * `Queue`; every producer goes through this so a malformed job is a compile error.
 */
export function jobQueue(env: Pick<Bindings, 'JOBS'>): Queue<JobMessage> {
  return env.JOBS as Queue<JobMessage>
}
