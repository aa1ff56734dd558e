/**
 * Messages on the `ringback-jobs` queue (and its dead-letter queue). Each carries an idempotency
 * key so at-least-once delivery never does the work twice. Personal data inside a message is
 * sealed with the clinic's data key (`*Sealed` fields).
 */
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
}

export type JobMessage = TextBackJob | AttributionJob | RecordingCopyJob | EmailJob

export type JobType = JobMessage['type']
