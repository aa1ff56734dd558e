/**
 * Text-back: the webhook path's half. When a call first becomes missed (or voicemail), decide
 * whether its caller gets one SMS and, if so, write the outbox row and enqueue the send. The
 * queue consumer (src/textback/deliver.ts) does the sending.
 *
 * Rules, in order: the clinic has text-back on; the caller is a mobile (not withheld, not a
 * landline); not opted out (STOP); not restricted or objecting (data-subject rights); not in the
 * clinic's hold-out group; and at most one text-back per caller per clinic in 24 hours.
 *
 * The 24-hour rule is atomic: ONE conditional `INSERT … SELECT … WHERE NOT EXISTS` into the
 * outbox, in the same D1 batch (a transaction) as the update that records the outcome on the
 * call. Two missed calls from one caller racing each other cannot both insert. The outbox's
 * unique `(clinic_id, dedupe_key = text-back:<callId>)` makes a duplicated missed signal a no-op,
 * and the job is only sent by the request whose INSERT created the row.
 */
import { and, eq } from 'drizzle-orm'
import { billingPaused } from '../billing/billing.service'
import type { Db } from '../db/client'
import { calls, outboundMessages } from '../db/schema'
import type { Config } from '../env'
import type { TextBackJob } from '../jobs/messages'
import { idempotencyKey, newId } from '../lib/ids'
import { logError } from '../lib/logger'
import { smsLength } from '../lib/sms'
import { DAY_MS } from '../lib/time'
import { maskPhone } from '../phone/phone'
import { clinicKeyring, sha256Hex } from '../privacy/crypto'
import { isOptedOut, isSubjectSuppressed } from '../privacy/subjects'

export const DEFAULT_TEXT_BACK_TEMPLATE =
  "Sorry we missed your call at {clinic}. Reply to this message or call us back and we'll help. Reply STOP to opt out."

/** Why a missed caller got no text-back (stored on the call as `text_back_reason`). */
export type TextBackReason =
  | 'disabled'
  | 'withheld'
  | 'landline'
  | 'opted-out'
  | 'restricted'
  | 'hold-out'
  | 'rate-limited'
  /** The clinic's payment is overdue past the grace period (docs/BILLING.md). */
  | 'billing-paused'
  /** Set by delivery (src/textback/deliver.ts): sandbox mode kept the message in the outbox. */
  | 'sandboxed'

export type TextBackDecision =
  | { action: 'enqueue' }
  | { action: 'suppress'; status: 'suppressed' | 'held-out'; reason: TextBackReason }

/** Everything the decision needs, as plain data. */
export type TextBackFacts = {
  textBackEnabled: boolean
  callerKind: 'mobile' | 'other' | 'withheld'
  optedOut: boolean
  restricted: boolean
  heldOut: boolean
  /** Automated messages are paused: payment overdue past the grace period (absent: not paused). */
  billingPaused?: boolean
}

/**
 * The decision before the 24-hour rule (which only the database can apply atomically).
 * Hold-out comes last, so the hold-out group is drawn from callers who would otherwise get one.
 */
export function decideTextBack(facts: TextBackFacts): TextBackDecision {
  if (!facts.textBackEnabled)
    return { action: 'suppress', status: 'suppressed', reason: 'disabled' }
  if (facts.callerKind === 'withheld')
    return { action: 'suppress', status: 'suppressed', reason: 'withheld' }
  if (facts.callerKind !== 'mobile')
    return { action: 'suppress', status: 'suppressed', reason: 'landline' }
  if (facts.optedOut) return { action: 'suppress', status: 'suppressed', reason: 'opted-out' }
  if (facts.restricted) return { action: 'suppress', status: 'suppressed', reason: 'restricted' }
  if (facts.billingPaused) {
    return { action: 'suppress', status: 'suppressed', reason: 'billing-paused' }
  }
  if (facts.heldOut) return { action: 'suppress', status: 'held-out', reason: 'hold-out' }
  return { action: 'enqueue' }
}

/**
 * Whether a call falls in the clinic's hold-out group (no text-back, to measure its effect).
 * Deterministic in the CallSid, so every delivery of a call decides the same way.
 */
export async function isHeldOut(callSid: string, holdOutPercent: number): Promise<boolean> {
  if (holdOutPercent <= 0) return false
  if (holdOutPercent >= 100) return true
  const bucket = Number.parseInt((await sha256Hex(`hold-out:${callSid}`)).slice(0, 8), 16) % 100
  return bucket < holdOutPercent
}

/** The clinic's template with `{clinic}` filled in. */
export function renderTextBack(template: string | null, clinicName: string): string {
  const body = template?.trim() ? template : DEFAULT_TEXT_BACK_TEMPLATE
  return body.replaceAll('{clinic}', clinicName)
}

export type TextBackClinic = {
  id: string
  name: string
  textBackEnabled: boolean
  textBackTemplate: string | null
  holdOutPercent: number
  /** Billing (docs/BILLING.md): an overdue clinic's text-backs pause after the grace period. */
  billingStatus?: string | null
  pastDueSince?: number | null
}

export type TextBackCall = {
  id: string
  callSid: string
  callerHash: string | null
  callerKind: 'mobile' | 'other' | 'withheld'
  textBackStatus: string
}

export type TextBackDeps = {
  db: Db
  config: Pick<Config, 'dataEncryptionKey' | 'dataEncryptionKeyPrevious'>
  jobs: Pick<Queue<TextBackJob>, 'send'>
  now: number
}

export type TextBackResult =
  | { outcome: 'queued'; outboxId: string }
  | { outcome: 'suppressed' | 'held-out'; reason: TextBackReason }
  /** Already decided for this call (a duplicate signal), or the number is not in this delivery. */
  | { outcome: 'unchanged' }

/**
 * Decides and records the text-back for a missed call, and enqueues the send when it is due.
 * `e164` is the caller's number from this delivery (null when the delivery does not carry it,
 * e.g. a recording callback: the decision then waits for a delivery that does).
 */
export async function requestTextBack(
  deps: TextBackDeps,
  clinic: TextBackClinic,
  call: TextBackCall,
  e164: string | null,
): Promise<TextBackResult> {
  if (call.textBackStatus !== 'none') return { outcome: 'unchanged' }
  const { db } = deps

  const [optedOut, restricted] = call.callerHash
    ? await Promise.all([
        isOptedOut(db, clinic.id, call.callerHash),
        isSubjectSuppressed(db, clinic.id, call.callerHash),
      ])
    : [false, false]

  const decision = decideTextBack({
    textBackEnabled: clinic.textBackEnabled,
    callerKind: call.callerKind,
    optedOut,
    restricted,
    heldOut: await isHeldOut(call.callSid, clinic.holdOutPercent),
    billingPaused: billingPaused(
      { billingStatus: clinic.billingStatus ?? null, pastDueSince: clinic.pastDueSince ?? null },
      deps.now,
    ),
  })

  if (decision.action === 'suppress') {
    const updated = await db
      .update(calls)
      .set({
        textBackStatus: decision.status,
        textBackReason: decision.reason,
        updatedAt: deps.now,
      })
      .where(and(eq(calls.id, call.id), eq(calls.textBackStatus, 'none')))
      .returning({ id: calls.id })
    return updated.length > 0
      ? { outcome: decision.status, reason: decision.reason }
      : { outcome: 'unchanged' }
  }

  if (!e164 || !call.callerHash) return { outcome: 'unchanged' }
  return enqueueTextBack(deps, clinic, { ...call, callerHash: call.callerHash }, e164)
}

async function enqueueTextBack(
  deps: TextBackDeps,
  clinic: TextBackClinic,
  call: TextBackCall & { callerHash: string },
  e164: string,
): Promise<TextBackResult> {
  const { db, now } = deps
  const keyring = await clinicKeyring(db, deps.config, clinic.id)
  const outboxId = newId('msg', now)
  const dedupeKey = idempotencyKey('text-back', call.id)
  const body = renderTextBack(clinic.textBackTemplate, clinic.name)
  const bodySealed = await keyring.seal(body)
  const d1 = db.$client

  // One transaction: the conditional insert (the 24-hour rule), then the call's outcome.
  // Raw SQL because the insert is `INSERT … SELECT … WHERE NOT EXISTS` and the two updates read
  // its result in the same batch through shared positional parameters (?1–?4).
  const [inserted] = await d1.batch<{ id: string }>([
    d1
      .prepare(
        `INSERT INTO outbound_messages
           (id, clinic_id, dedupe_key, kind, channel, call_id, recipient_hash, to_sealed, to_masked,
            body_sealed, status, attempts, created_at, updated_at, segments)
         SELECT ?1, ?2, ?3, 'text-back', 'sms', ?4, ?5, NULL, ?6, ?7, 'queued', 0, ?8, ?8, ?10
         WHERE NOT EXISTS (
           SELECT 1 FROM outbound_messages
           WHERE clinic_id = ?2 AND kind = 'text-back' AND recipient_hash = ?5 AND created_at > ?9
         )
         ON CONFLICT (clinic_id, dedupe_key) DO NOTHING
         RETURNING id`,
      )
      .bind(
        outboxId,
        clinic.id,
        dedupeKey,
        call.id,
        call.callerHash,
        maskPhone(e164),
        bodySealed,
        now,
        now - DAY_MS,
        smsLength(body).segments,
      ),
    d1
      .prepare(
        `UPDATE calls SET text_back_status = 'queued', text_back_reason = NULL, updated_at = ?3
         WHERE id = ?1 AND text_back_status = 'none'
           AND EXISTS (SELECT 1 FROM outbound_messages WHERE clinic_id = ?2 AND dedupe_key = ?4)`,
      )
      .bind(call.id, clinic.id, now, dedupeKey),
    d1
      .prepare(
        `UPDATE calls SET text_back_status = 'suppressed', text_back_reason = 'rate-limited', updated_at = ?3
         WHERE id = ?1 AND text_back_status = 'none'
           AND NOT EXISTS (SELECT 1 FROM outbound_messages WHERE clinic_id = ?2 AND dedupe_key = ?4)`,
      )
      .bind(call.id, clinic.id, now, dedupeKey),
  ])

  if (inserted?.results.length) {
    const job: TextBackJob = {
      type: 'text-back',
      clinicId: clinic.id,
      callId: call.id,
      outboxId,
      toSealed: await keyring.seal(e164),
    }
    try {
      await deps.jobs.send(job)
    } catch (err) {
      // The queue refused the job: undo the claim so the call's next delivery that carries the
      // number (e.g. its status callback) decides again, rather than leaving a row nobody sends.
      await db.batch([
        db
          .delete(outboundMessages)
          .where(and(eq(outboundMessages.id, outboxId), eq(outboundMessages.status, 'queued'))),
        db
          .update(calls)
          .set({ textBackStatus: 'none' })
          .where(and(eq(calls.id, call.id), eq(calls.textBackStatus, 'queued'))),
      ])
      logError('text-back enqueue failed', err, { callId: call.id })
      return { outcome: 'unchanged' }
    }
    return { outcome: 'queued', outboxId }
  }
  const [row] = await db
    .select({ status: calls.textBackStatus })
    .from(calls)
    .where(eq(calls.id, call.id))
    .limit(1)
  return row?.status === 'suppressed'
    ? { outcome: 'suppressed', reason: 'rate-limited' }
    : { outcome: 'unchanged' }
}
