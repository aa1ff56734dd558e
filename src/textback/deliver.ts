/**
 * Text-back delivery: the queue consumer's half of a missed call's text-back. The decision (and
 * the outbox row with its sealed body) was made on the webhook path; this sends it, exactly once
 * as far as Twilio allows (the claim, send and record of src/outbox/send.ts), from the tracking
 * number the patient rang, and records the outcome on the call.
 */

import { and, eq, inArray, sql } from 'drizzle-orm'
import { noReplyCheckRow, wake } from '../automations/scheduled'
import { findClinic } from '../clinic/find'
import { WHATSAPP_WINDOW_MS, whatsappOptedIn } from '../conversations/store'
import { createDb, type Db } from '../db/client'
import { calls, outboundMessages, scheduledMessages, trackingNumbers } from '../db/schema'
import type { Bindings, Config } from '../env'
import type { JobHandler } from '../jobs/consumer'
import { type JobDeps, withJobIo } from '../jobs/deps'
import type { TextBackJob } from '../jobs/messages'
import {
  claimSend,
  failSend,
  isSettled,
  outboxRow,
  SEND_LEASE_MS,
  SendInFlightError,
  SendTransientError,
  sendClaimed,
} from '../outbox/send'
import { clinicKeyring, contactHash } from '../privacy/crypto'
import { contactBlock } from '../privacy/subjects'

export { SEND_LEASE_MS }
/** Another attempt holds a fresh claim on this send (src/outbox/send.ts). */
export const TextBackInFlightError = SendInFlightError
/** A transient Twilio failure (429, 5xx, network): the consumer retries with backoff. */
export const TextBackTransientError = SendTransientError

/** What the handler needs from the outside world; tests pass a fake Twilio `fetch` and a clock. */
export type DeliveryDeps = JobDeps

export type DeliveryOutcome =
  | 'sent'
  | 'sandboxed'
  | 'already-done'
  | 'suppressed-opted-out'
  | 'suppressed-restricted'
  | 'gone'

/** Sends one text-back job. Returns what happened; throws to ask the queue for a retry. */
export const deliverTextBack = withJobIo<TextBackJob, DeliveryOutcome, DeliveryDeps>(
  async (job, ctx) => {
    const { db, config, now, deps } = ctx
    const byJob = outboxRow(job.clinicId, job.outboxId)

    const [row] = await db.select().from(outboundMessages).where(byJob).limit(1)
    // Gone (erased or purged) or not a text-back for this call: there is nothing right to send.
    if (row?.kind !== 'text-back' || row.callId !== job.callId) return 'gone'
    if (isSettled(row.status)) return 'already-done'
    if ((await claimSend(db, byJob, now())) === 'settled') return 'already-done'

    // Consent can change between the missed call and now (a STOP in between): check last.
    if (row.recipientHash) {
      const suppressed = await contactBlock(db, job.clinicId, row.recipientHash)
      if (suppressed) {
        await db.batch([
          db
            .update(outboundMessages)
            .set({ status: 'failed', lastError: suppressed, updatedAt: now() })
            .where(byJob),
          db
            .update(calls)
            .set({ textBackStatus: 'suppressed', textBackReason: suppressed, updatedAt: now() })
            .where(and(eq(calls.clinicId, job.clinicId), eq(calls.id, job.callId))),
        ])
        return suppressed === 'opted-out' ? 'suppressed-opted-out' : 'suppressed-restricted'
      }
    }

    const keyring = await clinicKeyring(db, config, job.clinicId)
    let to: string
    let body: string
    try {
      to = await keyring.open(job.toSealed)
      body = await keyring.open(row.bodySealed)
    } catch {
      // The clinic's key is gone (crypto-shredded) or the message was tampered with.
      return failPermanently(db, job, 'sealed-data-unreadable', now())
    }
    if (row.recipientHash && (await contactHash(config, job.clinicId, to)) !== row.recipientHash) {
      return failPermanently(db, job, 'recipient-mismatch', now())
    }

    const [sender] = await db
      .select({ phoneNumber: trackingNumbers.phoneNumber })
      .from(calls)
      .innerJoin(
        trackingNumbers,
        and(
          eq(trackingNumbers.id, calls.trackingNumberId),
          eq(trackingNumbers.clinicId, calls.clinicId),
        ),
      )
      .where(and(eq(calls.clinicId, job.clinicId), eq(calls.id, job.callId)))
      .limit(1)
    if (!sender) return failPermanently(db, job, 'no-sender-number', now())

    const byCall = and(eq(calls.clinicId, job.clinicId), eq(calls.id, job.callId))
    const whatsapp = row.recipientHash
      ? await whatsappRoute(db, config, job.clinicId, row.recipientHash, body, now())
      : null
    // A text-back that went out is checked on after the clinic's no-reply hours (a follow-up, the
    // `no-reply` automations): the check is written with the sent mark, woken after it.
    const clinic = await findClinic(db, job.clinicId)
    const check = (sentAt: number) =>
      clinic && row.recipientHash
        ? noReplyCheckRow(clinic, {
            callId: job.callId,
            recipientHash: row.recipientHash,
            toSealed: job.toSealed,
            sentAt,
          })
        : null
    let scheduled: ReturnType<typeof check> = null
    const outcome = await sendClaimed(
      db,
      config,
      {
        row: byJob,
        outboxId: row.id,
        message: whatsapp
          ? { to: `whatsapp:${to}`, from: `whatsapp:${sender.phoneNumber}`, body, ...whatsapp }
          : { to, from: sender.phoneNumber, body },
      },
      { fetch: deps.fetch, now, usage: { env: ctx.env, clinicId: job.clinicId } },
      (mode, sentAt) => {
        scheduled = mode === 'sent' ? check(sentAt) : null
        return [
          ...(whatsapp
            ? [
                db
                  .update(outboundMessages)
                  .set({ channel: 'whatsapp' as const })
                  .where(byJob),
              ]
            : []),
          db
            .update(calls)
            .set(
              mode === 'sent'
                ? {
                    textBackStatus: 'sent',
                    textBackReason: null,
                    textedBackAt: sql`COALESCE(${calls.textedBackAt}, ${sentAt})`,
                    updatedAt: sentAt,
                  }
                : // Sandbox mode kept it in the outbox: nobody was texted, so the call says so
                  // (and neither the metrics nor a later reply count it as a text-back).
                  { textBackStatus: 'suppressed', textBackReason: 'sandboxed', updatedAt: sentAt },
            )
            .where(byCall),
          ...(scheduled
            ? [db.insert(scheduledMessages).values(scheduled).onConflictDoNothing()]
            : []),
        ]
      },
    )
    if (scheduled) await wake(ctx.env, job.clinicId, [scheduled])
    return outcome
  },
)

/**
 * The dead-letter path: retries are exhausted (or the failure was permanent). Marks the outbox row
 * and the call's text-back `failed`, keeping the last error code. Idempotent; never touches a
 * row that was sent or suppressed.
 */
export async function markTextBackFailed(
  job: TextBackJob,
  env: Bindings,
  now: number = Date.now(),
): Promise<void> {
  const db = createDb(env.DB)
  await db.batch([
    db
      .update(outboundMessages)
      .set({
        status: 'failed',
        lastError: sql`COALESCE(${outboundMessages.lastError}, 'retries-exhausted')`,
        updatedAt: now,
      })
      .where(
        and(
          eq(outboundMessages.clinicId, job.clinicId),
          eq(outboundMessages.id, job.outboxId),
          inArray(outboundMessages.status, ['queued', 'sending']),
        ),
      ),
    db
      .update(calls)
      .set({ textBackStatus: 'failed', updatedAt: now })
      .where(
        and(
          eq(calls.clinicId, job.clinicId),
          eq(calls.id, job.callId),
          inArray(calls.textBackStatus, ['none', 'queued']),
        ),
      ),
  ])
}

/** The queue handler for `text-back` jobs. */
export function createTextBackHandler(deps: DeliveryDeps = {}): JobHandler<TextBackJob> {
  return {
    run: (job, env) => deliverTextBack(job, env, deps),
    deadLetter: (job, env) => markTextBackFailed(job, env, (deps.now ?? Date.now)()),
  }
}

/**
 * A text-back (or a reminder, a follow-up) goes by WhatsApp only to a contact who opted in to
 * WhatsApp from the clinic (START on WhatsApp): free-form inside their 24-hour window, else as the
 * approved template. Everyone else — and an opted-in contact when no template is configured —
 * gets an SMS (null).
 */
export async function whatsappRoute(
  db: Db,
  config: Config,
  clinicId: string,
  recipientHash: string,
  body: string,
  now: number,
): Promise<{ content?: { sid: string; variables: Record<string, string> } } | null> {
  const optedIn = await whatsappOptedIn(db, clinicId, recipientHash)
  if (!optedIn) return null
  if (now - (optedIn.lastInboundAt ?? 0) <= WHATSAPP_WINDOW_MS) return {}
  const template = config.twilio.whatsappTemplateSid
  if (!template) return null
  const name = (await findClinic(db, clinicId))?.name ?? ''
  return { content: { sid: template, variables: { '1': name, '2': body } } }
}

/** Records a failure that will happen again on every retry, then hands the job to the DLQ path. */
function failPermanently(db: Db, job: TextBackJob, code: string, now: number): Promise<never> {
  return failSend(db, outboxRow(job.clinicId, job.outboxId), code, now)
}
