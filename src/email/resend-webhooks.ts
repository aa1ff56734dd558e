/**
 * Resend's signed webhooks (`POST /webhooks/resend`): verified with `RESEND_WEBHOOK_SECRET` by
 * the official SDK (`resend.webhooks.verify`, the Svix / Standard Webhooks scheme with a
 * 5-minute tolerance; a bad signature, or sandbox mode, is a 400). A bounce or a complaint marks
 * the email's outbox row and suppresses that address for its clinic (by the keyed email hash,
 * never the address): the one email path sends nothing more to it. Idempotent: the same event
 * again changes nothing.
 */
import { and, eq, inArray } from 'drizzle-orm'
import { Resend } from 'resend'
import type { Db } from '../db/client'
import { emailSuppressions, outboundMessages } from '../db/schema'
import type { Config } from '../env'
import { badRequest } from '../lib/problem'

type ResendEvent = { type?: string; created_at?: string; data?: { email_id?: string } }

const SUPPRESSING = {
  'email.bounced': 'bounced',
  'email.complained': 'complained',
} as const

export type ResendWebhookOutcome = 'suppressed' | 'ignored'

export async function handleResendWebhook(
  deps: { db: Db; config: Config },
  payload: string,
  headers: {
    id?: string | undefined
    timestamp?: string | undefined
    signature?: string | undefined
  },
  now: number,
): Promise<ResendWebhookOutcome> {
  const secret = deps.config.resend.webhookSecret
  if (!secret) throw badRequest('Resend webhooks are not configured (sandbox mode).')
  let event: ResendEvent
  try {
    event = new Resend(deps.config.resend.apiKey ?? 're_sandbox').webhooks.verify({
      payload,
      headers: {
        id: headers.id ?? '',
        timestamp: headers.timestamp ?? '',
        signature: headers.signature ?? '',
      },
      webhookSecret: secret,
    }) as ResendEvent
  } catch {
    throw badRequest('The webhook signature does not verify.')
  }
  const reason = SUPPRESSING[event.type as keyof typeof SUPPRESSING]
  const emailId = event.data?.email_id
  if (!reason || !emailId) return 'ignored'
  const { db } = deps
  const [sent] = await db
    .select({
      id: outboundMessages.id,
      clinicId: outboundMessages.clinicId,
      hash: outboundMessages.recipientHash,
    })
    .from(outboundMessages)
    .where(and(eq(outboundMessages.providerSid, emailId), eq(outboundMessages.channel, 'email')))
    .limit(1)
  if (!sent?.hash) return 'ignored'
  await db.batch([
    db
      .update(outboundMessages)
      .set({ status: 'undelivered', lastError: reason, updatedAt: now })
      .where(eq(outboundMessages.id, sent.id)),
    db
      .insert(emailSuppressions)
      .values({ clinicId: sent.clinicId, emailHash: sent.hash, reason, at: now })
      .onConflictDoNothing(),
  ])
  return 'suppressed'
}

/**
 * Whether the clinic may not email this address: it bounced or complained (nothing at all), or
 * it unsubscribed (nothing `optional`).
 */
export async function emailSuppressed(
  db: Db,
  clinicId: string,
  hash: string,
  optional: boolean,
): Promise<boolean> {
  const scope = and(eq(emailSuppressions.clinicId, clinicId), eq(emailSuppressions.emailHash, hash))
  const reasons = optional
    ? undefined
    : inArray(emailSuppressions.reason, ['bounced', 'complained'])
  return (await db.$count(emailSuppressions, and(scope, reasons))) > 0
}
