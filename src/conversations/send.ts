/**
 * Sending one outbound conversation message (an AI or staff reply) from the number the patient
 * wrote to, through the one outbox send (src/outbox/send.ts). Checked last, just before sending:
 * the contact may still be messaged (STOP, restriction, objection) and, on WhatsApp, the 24-hour
 * window — outside it only the approved template (TWILIO_WHATSAPP_TEMPLATE_SID) may go.
 */

import { eq } from 'drizzle-orm'
import { findClinic } from '../clinic/find'
import { createDb, type Db } from '../db/client'
import { findClinicRow, ownedBy } from '../db/clinic-row'
import { conversationMessages, outboundMessages, trackingNumbers } from '../db/schema'
import type { Bindings, Config } from '../env'
import type { JobHandler } from '../jobs/consumer'
import { type JobDeps, withJobIo } from '../jobs/deps'
import type { ConversationSendJob } from '../jobs/messages'
import { claimSend, failSend, isSettled, outboxRow, sendClaimed } from '../outbox/send'
import { clinicKeyring } from '../privacy/crypto'
import { contactBlock } from '../privacy/subjects'
import { findConversation, WHATSAPP_WINDOW_MS } from './store'
import type { ChatLine } from './web-chat'

export type SendDeps = JobDeps

export type SendOutcome = 'sent' | 'sandboxed' | 'already-done' | 'suppressed' | 'gone'

/** Sends the job's message. Throws to ask the queue for a retry (or, permanently, to give up). */
export const sendConversationMessage = withJobIo<ConversationSendJob, SendOutcome, SendDeps>(
  async (job, ctx) => {
    const { db, config, now, deps } = ctx
    const byMessage = messageOf(job)
    const message = await findClinicRow(db, conversationMessages, job.clinicId, job.messageId)
    const conversation = await findConversation(db, job.clinicId, job.conversationId)
    if (!message || !conversation || message.conversationId !== conversation.id) return 'gone'
    if (conversation.channel === 'web') {
      return pushToWebChat(
        ctx,
        job,
        message,
        await contactBlock(db, job.clinicId, conversation.contactHash),
      )
    }
    if (!message.outboxId) return 'gone'
    const row = outboxRow(job.clinicId, message.outboxId)
    const [outbox] = await db.select().from(outboundMessages).where(row).limit(1)
    if (!outbox) return 'gone'
    if (isSettled(outbox.status)) return 'already-done'

    const suppress = async (reason: string) => {
      await db.batch([
        db
          .update(outboundMessages)
          .set({ status: 'failed', lastError: reason, updatedAt: now() })
          .where(row),
        db.update(conversationMessages).set({ status: 'suppressed' }).where(byMessage),
      ])
      return 'suppressed' as const
    }
    // Consent can change between queueing and now (a STOP in between): checked last.
    const blocked = await contactBlock(db, job.clinicId, conversation.contactHash)
    if (blocked) return suppress(blocked)

    const whatsapp = conversation.channel === 'whatsapp'
    const outsideWindow = whatsapp && now() - (conversation.lastInboundAt ?? 0) > WHATSAPP_WINDOW_MS
    const template = config.twilio.whatsappTemplateSid
    // Outside the window the AI stays silent; staff may send the approved template, if there is one.
    if (outsideWindow && (message.author !== 'staff' || !template)) {
      return suppress('outside-whatsapp-window')
    }

    if ((await claimSend(db, row, now())) === 'settled') return 'already-done'
    const keyring = await clinicKeyring(db, config, job.clinicId)
    let to: string
    let body: string
    try {
      to = await keyring.open(outbox.toSealed ?? '')
      body = await keyring.open(outbox.bodySealed)
    } catch {
      return failSend(db, row, 'sealed-data-unreadable', now())
    }
    const line = conversation.trackingNumberId
      ? await findClinicRow(db, trackingNumbers, job.clinicId, conversation.trackingNumberId)
      : null
    if (!line) return failSend(db, row, 'no-sender-number', now())
    const from = line.phoneNumber

    const prefix = whatsapp ? 'whatsapp:' : ''
    const clinicName = outsideWindow ? ((await findClinic(db, job.clinicId))?.name ?? '') : ''
    return sendClaimed(
      db,
      config,
      {
        row,
        outboxId: outbox.id,
        message: {
          to: `${prefix}${to}`,
          from: `${prefix}${from}`,
          body,
          ...(outsideWindow && template
            ? { content: { sid: template, variables: { '1': clinicName, '2': body } } }
            : {}),
        },
      },
      { fetch: deps.fetch, now, usage: { env: ctx.env, clinicId: job.clinicId } },
      (mode) => [db.update(conversationMessages).set({ status: mode }).where(byMessage)],
    )
  },
)

/**
 * A web-chat reply: pushed through the clinic's Durable Object to the patient's open chat
 * (`delivered` when a page got it; `sent` when none is open — the page shows it from the history
 * when it reconnects). A redelivered job may push it again: pages drop a message id they have.
 */
async function pushToWebChat(
  ctx: { db: Db; config: Config; env: Bindings },
  job: ConversationSendJob,
  message: typeof conversationMessages.$inferSelect,
  blocked: string | null,
): Promise<SendOutcome> {
  const { db, config, env } = ctx
  const byMessage = messageOf(job)
  if (message.status !== 'queued') return 'already-done'
  if (blocked) {
    await db.update(conversationMessages).set({ status: 'suppressed' }).where(byMessage)
    return 'suppressed'
  }
  const keyring = await clinicKeyring(db, config, job.clinicId)
  const line: ChatLine = {
    id: message.id,
    author: message.author,
    body: await keyring.open(message.bodySealed),
    at: message.createdAt,
  }
  const reached = await env.CLINIC.getByName(job.clinicId).pushWebChat(job.conversationId, line)
  await db
    .update(conversationMessages)
    .set({ status: reached > 0 ? 'delivered' : 'sent' })
    .where(byMessage)
  return 'sent'
}

/** The job's message row, in its clinic. */
function messageOf(job: ConversationSendJob) {
  return ownedBy(conversationMessages, job.clinicId, eq(conversationMessages.id, job.messageId))
}

/** The queue handler for `conversation-send` jobs. */
export function createConversationSendHandler(
  deps: SendDeps = {},
): JobHandler<ConversationSendJob> {
  return {
    run: (job, env) => sendConversationMessage(job, env, deps),
    // The outbox row says `failed` with the last error; the thread shows it. Staff see it there.
    deadLetter: (job, env) =>
      createDb(env.DB).update(conversationMessages).set({ status: 'failed' }).where(messageOf(job)),
  }
}
