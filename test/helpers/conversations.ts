/**
 * Conversation fixtures: a patient message filed straight through the store (no webhook, so no
 * job reaches the runtime's queue behind the test's back), the job that would answer it, and
 * readers for the thread as stored.
 */
import { env } from 'cloudflare:workers'
import { and, asc, eq } from 'drizzle-orm'
import { joinConversation } from '../../src/conversations/store'
import { conversationMessages, conversations, outboundMessages } from '../../src/db/schema'
import { getConfig } from '../../src/env'
import type { AiReplyJob } from '../../src/jobs/messages'
import { clinicKeyring, contactHash } from '../../src/privacy/crypto'
import { db } from '../textback-delivery.fixtures'
import type { TestClinic } from './clinic'

export const PATIENT = '+447700900456'

let sid = 0
export const messageSid = () =>
  `SM${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}${String(++sid).padStart(8, '0')}`

/** Files a patient's message (at `at`) and returns the AI-reply job it would queue. */
export async function patientWrites(
  clinic: TestClinic,
  body: string,
  at: number,
  options: { channel?: 'sms' | 'whatsapp'; from?: string; sid?: string } = {},
): Promise<AiReplyJob> {
  const from = options.from ?? PATIENT
  const [line] = await db.query.trackingNumbers.findMany({
    where: (t, { eq }) => eq(t.clinicId, clinic.clinicId),
    limit: 1,
  })
  const joined = await joinConversation(db, getConfig(env), {
    clinicId: clinic.clinicId,
    channel: options.channel ?? 'sms',
    contactHash: await contactHash(getConfig(env), clinic.clinicId, from),
    contactE164: from,
    trackingNumberId: line!.id,
    messageSid: options.sid ?? messageSid(),
    body,
    at,
  })
  return {
    type: 'ai-reply',
    clinicId: clinic.clinicId,
    conversationId: joined.conversationId,
    messageId: joined.messageId,
    at: joined.at,
  }
}

export async function conversationRow(clinicId: string, id: string) {
  const [row] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.clinicId, clinicId), eq(conversations.id, id)))
  return row!
}

/** The thread as stored, bodies opened, oldest first, with each outbound message's outbox status. */
export async function thread(clinicId: string, conversationId: string) {
  const rows = await db
    .select({ m: conversationMessages, outbox: outboundMessages.status })
    .from(conversationMessages)
    .leftJoin(outboundMessages, eq(outboundMessages.id, conversationMessages.outboxId))
    .where(
      and(
        eq(conversationMessages.clinicId, clinicId),
        eq(conversationMessages.conversationId, conversationId),
      ),
    )
    .orderBy(asc(conversationMessages.createdAt), asc(conversationMessages.id))
  const keyring = await clinicKeyring(db, getConfig(env), clinicId)
  return Promise.all(
    rows.map(async ({ m, outbox }) => ({
      author: m.author,
      body: await keyring.open(m.bodySealed),
      status: m.status,
      outbox,
      triage: m.triage ? JSON.parse(m.triage) : null,
    })),
  )
}
