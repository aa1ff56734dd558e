/**
 * Sending one outbox row through Twilio, exactly once as far as Twilio allows: the claim, the
 * send, and recording the outcome. Text-backs (src/textback/deliver.ts) and conversation replies
 * (src/conversations/send.ts) both go through here; each adds its own writes to the outcome batch.
 *
 * 1. The send is *claimed* with a conditional UPDATE (`queued` → `sending`). A retried or duplicated
 *    job finds a settled row and does nothing, or a fresh claim and backs off (SendInFlightError).
 * 2. The StatusCallback URL carries the outbox id (`?ob=`), so if the Worker dies after Twilio
 *    accepted the message but before `sent` was written, Twilio's first status callback still
 *    records the sid and moves the row past `sending` (src/messaging/messaging.index.ts).
 * 3. A claim whose outcome is unknown (network error, 5xx, crash) is only re-sent after
 *    `SEND_LEASE_MS` with no status callback. A 429 (and any 4xx) means Twilio created nothing,
 *    so those release the claim at once.
 */
import { and, eq, isNull, lt, or, type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { reportUsage } from '../billing/usage'
import type { Db } from '../db/client'
import { outboundMessages } from '../db/schema'
import type { Bindings, Config } from '../env'
import { PermanentJobError } from '../jobs/consumer'
import { withRetry } from '../lib/durable'
import { createTwilioClient, type SendMessageInput, TwilioApiError } from '../twilio/client'

/** How long a `sending` claim with no known outcome blocks a re-send (see the header). */
export const SEND_LEASE_MS = 20_000

/** Outbox statuses after which nothing is ever sent again for the row. */
export const SETTLED = ['sent', 'delivered', 'sandboxed', 'undelivered', 'failed'] as const

export const isSettled = (status: string) => (SETTLED as readonly string[]).includes(status)

/** Another attempt holds a fresh claim on this send: retry later, never send in parallel. */
export class SendInFlightError extends Error {
  override name = 'SendInFlightError'
}

/** A transient Twilio failure (429, 5xx, network): the consumer retries with backoff. */
export class SendTransientError extends Error {
  override name = 'SendTransientError'
}

/** The outbox row being sent, scoped to its clinic. */
export function outboxRow(clinicId: string, outboxId: string): SQL {
  return and(eq(outboundMessages.clinicId, clinicId), eq(outboundMessages.id, outboxId)) as SQL
}

/**
 * Claims the row for this attempt. `claimed` — send now; `settled` — already done (or gone);
 * throws SendInFlightError while another attempt's claim is fresh.
 */
export async function claimSend(db: Db, row: SQL, now: number): Promise<'claimed' | 'settled'> {
  const claimed = await db
    .update(outboundMessages)
    .set({ status: 'sending', attempts: sql`${outboundMessages.attempts} + 1`, updatedAt: now })
    .where(
      and(
        row,
        or(
          eq(outboundMessages.status, 'queued'),
          and(
            eq(outboundMessages.status, 'sending'),
            or(
              isNull(outboundMessages.updatedAt),
              lt(outboundMessages.updatedAt, now - SEND_LEASE_MS),
            ),
          ),
        ),
      ),
    )
    .returning({ id: outboundMessages.id })
  if (claimed.length > 0) return 'claimed'
  const [again] = await db
    .select({ status: outboundMessages.status })
    .from(outboundMessages)
    .where(row)
    .limit(1)
  if (!again || isSettled(again.status)) return 'settled'
  throw new SendInFlightError('Another attempt is sending this message')
}

/** Marks the row failed for good (a failure every retry would repeat) and ends the job. */
export async function failSend(db: Db, row: SQL, code: string, now: number): Promise<never> {
  await db
    .update(outboundMessages)
    .set({ status: 'failed', lastError: code, updatedAt: now })
    .where(row)
  throw new PermanentJobError(code)
}

/**
 * Sends the claimed row through Twilio (or the sandbox) and records the outcome, together with
 * `alsoOnSent(mode, sentAt)` in the same batch. Throws SendTransientError (retry) or, through
 * failSend, PermanentJobError.
 */
export async function sendClaimed(
  db: Db,
  config: Config,
  input: { row: SQL; outboxId: string; message: Omit<SendMessageInput, 'statusCallback'> },
  deps: {
    fetch?: typeof fetch | undefined
    now: () => number
    /** Where a sent message's usage is reported (Stripe Billing Meters); absent: not reported. */
    usage?: { env: Pick<Bindings, 'JOBS'>; clinicId: string } | undefined
  },
  alsoOnSent: (mode: 'sent' | 'sandboxed', sentAt: number) => BatchItem<'sqlite'>[] = () => [],
): Promise<'sent' | 'sandboxed'> {
  const client = createTwilioClient(config, deps.fetch ?? fetch)
  let result: Awaited<ReturnType<typeof client.sendMessage>>
  try {
    result = await client.sendMessage({
      ...input.message,
      statusCallback: `${config.publicBaseUrl}/webhooks/twilio/messaging/status?ob=${encodeURIComponent(input.outboxId)}`,
    })
  } catch (err) {
    if (err instanceof TwilioApiError && err.permanent) {
      return failSend(db, input.row, `twilio-${err.code ?? err.status}`, deps.now())
    }
    const code = err instanceof TwilioApiError ? `twilio-${err.code ?? err.status}` : 'network'
    // 429: Twilio refused before creating anything, so release the claim for an immediate retry.
    // 5xx or a network error: it may have been created; keep the claim (see the header).
    const released = err instanceof TwilioApiError && err.status === 429
    await db
      .update(outboundMessages)
      .set(released ? { status: 'queued', lastError: code } : { lastError: code })
      .where(and(input.row, eq(outboundMessages.status, 'sending')))
    throw new SendTransientError(`Send failed transiently (${code})`)
  }

  const mode = result.mode === 'sent' ? 'sent' : 'sandboxed'
  const sentAt = deps.now()
  // The message has left: recording that must not be lost to a D1 hiccup, or a retry could
  // send again. Retry the write a few times in place before giving up.
  await withRetry(
    () =>
      db.batch([
        db
          .update(outboundMessages)
          .set({
            // A status callback (?ob=) may already have moved it on; never move it back.
            status: sql`CASE WHEN ${outboundMessages.status} IN ('queued', 'sending') THEN ${mode} ELSE ${outboundMessages.status} END`,
            providerSid: result.mode === 'sent' ? result.sid : null,
            lastError: null,
            sentAt,
            updatedAt: sentAt,
          })
          .where(input.row),
        ...alsoOnSent(mode, sentAt),
      ]),
    { baseDelayMs: 50 },
  )
  // Usage is what left: a sandboxed send never counts.
  if (mode === 'sent' && deps.usage) {
    const [row] = await db
      .select({ segments: outboundMessages.segments })
      .from(outboundMessages)
      .where(input.row)
      .limit(1)
    await reportUsage(deps.usage.env, {
      clinicId: deps.usage.clinicId,
      meter: 'sms',
      identifier: input.outboxId,
      value: row?.segments ?? 1,
    })
  }
  return mode
}
