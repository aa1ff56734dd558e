/**
 * Text-back delivery: the queue consumer's half of a missed call's text-back. The decision (and
 * the outbox row with its sealed body) was made on the webhook path; this sends it, exactly once
 * as far as Twilio allows, from the tracking number the patient rang.
 *
 * Exactly-once, and its limits. Twilio's Messages API has no idempotency key, so the outbox row is
 * the guard:
 * 1. The send is *claimed* with a conditional UPDATE (`queued` → `sending`). A retried or duplicated
 *    queue message finds `sent`/`delivered`/`sandboxed` and does nothing, or finds a fresh claim and
 *    backs off (`TextBackInFlightError`, retried by the consumer).
 * 2. The StatusCallback URL carries the outbox id (`?ob=`), so if the Worker dies after Twilio
 *    accepted the message but before the `sent` row was written, Twilio's first status callback
 *    still records the sid and moves the row past `sending` (src/messaging/messaging.index.ts).
 * 3. A claim whose outcome is unknown (network error, 5xx, crash) is only re-sent after
 *    `SEND_LEASE_MS` with no status callback. Residual risk: Twilio accepted the message but its
 *    status callback is lost or slower than the lease, and the retry sends a second copy.
 *    A 429 (and any 4xx) means Twilio did not create the message, so those release the claim at once.
 */
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import { createDb, type Db } from '../db/client'
import { calls, outboundMessages, trackingNumbers } from '../db/schema'
import { type Bindings, type Config, getConfig } from '../env'
import { type JobHandler, PermanentJobError } from '../jobs/consumer'
import type { TextBackJob } from '../jobs/messages'
import { withRetry } from '../lib/durable'
import { clinicKeyring, contactHash } from '../privacy/crypto'
import { isOptedOut, isSubjectSuppressed } from '../privacy/subjects'
import { createTwilioClient, TwilioApiError } from '../twilio/client'

/** How long a `sending` claim with no known outcome blocks a re-send (see the header). */
export const SEND_LEASE_MS = 20_000

/** Outbox statuses after which nothing is ever sent again for the row. */
const SETTLED = ['sent', 'delivered', 'sandboxed', 'undelivered', 'failed'] as const

/** What the handler needs from the outside world; tests pass a fake Twilio `fetch` and a clock. */
export type DeliveryDeps = {
  fetch?: typeof fetch
  now?: () => number
  /** Overrides `getConfig(env)` (e.g. a Twilio account pointed at a local fake). */
  config?: Config
}

export type DeliveryOutcome =
  | 'sent'
  | 'sandboxed'
  | 'already-done'
  | 'suppressed-opted-out'
  | 'suppressed-restricted'
  | 'gone'

/** Another attempt holds a fresh claim on this send: retry later, never send in parallel. */
export class TextBackInFlightError extends Error {
  override name = 'TextBackInFlightError'
}

/** A transient Twilio failure (429, 5xx, network): the consumer retries with backoff. */
export class TextBackTransientError extends Error {
  override name = 'TextBackTransientError'
}

/** Sends one text-back job. Returns what happened; throws to ask the queue for a retry. */
export async function deliverTextBack(
  job: TextBackJob,
  env: Bindings,
  deps: DeliveryDeps = {},
): Promise<DeliveryOutcome> {
  const config = deps.config ?? getConfig(env)
  const now = deps.now ?? Date.now
  const db = createDb(env.DB)
  const byJob = and(
    eq(outboundMessages.clinicId, job.clinicId),
    eq(outboundMessages.id, job.outboxId),
  )

  const [row] = await db.select().from(outboundMessages).where(byJob).limit(1)
  // Gone (erased or purged) or not a text-back for this call: there is nothing right to send.
  if (row?.kind !== 'text-back' || row.callId !== job.callId) return 'gone'
  if ((SETTLED as readonly string[]).includes(row.status)) return 'already-done'

  const claimedAt = now()
  const claimed = await db
    .update(outboundMessages)
    .set({
      status: 'sending',
      attempts: sql`${outboundMessages.attempts} + 1`,
      updatedAt: claimedAt,
    })
    .where(
      and(
        byJob,
        or(
          eq(outboundMessages.status, 'queued'),
          and(
            eq(outboundMessages.status, 'sending'),
            or(
              isNull(outboundMessages.updatedAt),
              lt(outboundMessages.updatedAt, claimedAt - SEND_LEASE_MS),
            ),
          ),
        ),
      ),
    )
    .returning({ id: outboundMessages.id })
  if (claimed.length === 0) {
    const [again] = await db
      .select({ status: outboundMessages.status })
      .from(outboundMessages)
      .where(byJob)
      .limit(1)
    if (!again || (SETTLED as readonly string[]).includes(again.status)) return 'already-done'
    throw new TextBackInFlightError('Another attempt is sending this text-back')
  }

  // Consent can change between the missed call and now (a STOP in between): check last.
  if (row.recipientHash) {
    const suppressed = await suppressionReason(db, job.clinicId, row.recipientHash)
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

  const client = createTwilioClient(config, deps.fetch ?? fetch)
  let result: Awaited<ReturnType<typeof client.sendMessage>>
  try {
    result = await client.sendMessage({
      to,
      from: sender.phoneNumber,
      body,
      statusCallback: `${config.publicBaseUrl}/webhooks/twilio/messaging/status?ob=${encodeURIComponent(row.id)}`,
    })
  } catch (err) {
    if (err instanceof TwilioApiError && err.permanent) {
      return failPermanently(db, job, `twilio-${err.code ?? err.status}`, now())
    }
    const code = err instanceof TwilioApiError ? `twilio-${err.code ?? err.status}` : 'network'
    // 429: Twilio refused before creating anything, so release the claim for an immediate retry.
    // 5xx or a network error: it may have been created; keep the claim (see the header).
    const released = err instanceof TwilioApiError && err.status === 429
    await db
      .update(outboundMessages)
      .set(released ? { status: 'queued', lastError: code } : { lastError: code })
      .where(and(byJob, eq(outboundMessages.status, 'sending')))
    throw new TextBackTransientError(`Text-back send failed transiently (${code})`)
  }

  const sentAt = now()
  // The message has left: recording that must not be lost to a D1 hiccup, or a retry could
  // send again. Retry the write a few times in place before giving up.
  await withRetry(
    () =>
      db.batch([
        db
          .update(outboundMessages)
          .set({
            // A status callback (?ob=) may already have moved it on; never move it back.
            status: sql`CASE WHEN ${outboundMessages.status} IN ('queued', 'sending') THEN ${
              result.mode === 'sent' ? 'sent' : 'sandboxed'
            } ELSE ${outboundMessages.status} END`,
            providerSid: result.mode === 'sent' ? result.sid : null,
            lastError: null,
            sentAt,
            updatedAt: sentAt,
          })
          .where(byJob),
        db
          .update(calls)
          .set(
            result.mode === 'sent'
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
          .where(and(eq(calls.clinicId, job.clinicId), eq(calls.id, job.callId))),
      ]),
    { baseDelayMs: 50 },
  )
  return result.mode === 'sent' ? 'sent' : 'sandboxed'
}

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
    async run(job, env) {
      await deliverTextBack(job, env, deps)
    },
    async deadLetter(job, env) {
      await markTextBackFailed(job, env, (deps.now ?? Date.now)())
    },
  }
}

async function suppressionReason(
  db: Db,
  clinicId: string,
  recipientHash: string,
): Promise<'opted-out' | 'restricted' | null> {
  if (await isOptedOut(db, clinicId, recipientHash)) return 'opted-out'
  if (await isSubjectSuppressed(db, clinicId, recipientHash)) return 'restricted'
  return null
}

/** Records a failure that will happen again on every retry, then hands the job to the DLQ path. */
async function failPermanently(
  db: Db,
  job: TextBackJob,
  code: string,
  now: number,
): Promise<never> {
  await db
    .update(outboundMessages)
    .set({ status: 'failed', lastError: code, updatedAt: now })
    .where(and(eq(outboundMessages.clinicId, job.clinicId), eq(outboundMessages.id, job.outboxId)))
  throw new PermanentJobError(code)
}
