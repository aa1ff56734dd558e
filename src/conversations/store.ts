/**
 * Conversation storage: an inbound SMS/WhatsApp message joins its contact's conversation (one
 * per clinic, contact and channel), and outbound replies are appended with their outbox row.
 * Every write is idempotent (messages dedupe on `clinic_id, dedupe_key`), so a redone webhook or
 * job never adds a message twice. Numbers and bodies are sealed with the clinic's key.
 */
import { and, desc, eq, gt, isNotNull, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { Db } from '../db/client'
import { findClinicRow, ownedBy } from '../db/clinic-row'
import { conversationMessages, conversations, outboundMessages } from '../db/schema'
import type { Config } from '../env'
import { newId } from '../lib/ids'
import { initialsOf } from '../lib/names'
import { smsLength } from '../lib/sms'
import { DAY_MS } from '../lib/time'
import { maskPhone } from '../phone/phone'
import { type ClinicKeyring, clinicKeyring, sha256Hex } from '../privacy/crypto'
import { type Priority, parseReasons, priorityOf } from './priority'

export type Channel = 'sms' | 'whatsapp' | 'web'
export type ConversationStatus = (typeof conversations.$inferSelect)['status']
export type ConversationRow = typeof conversations.$inferSelect

/** WhatsApp lets a business write freely only within 24 hours of the patient's last message. */
export const WHATSAPP_WINDOW_MS = DAY_MS

/** Conversations are kept this long after their last message (CONTRACT: 24 months). */
export const CONVERSATION_RETENTION_MS = 730 * DAY_MS

export type InboundMessage = {
  /** A consent keyword in the message: on WhatsApp, START opts in to WhatsApp and STOP out. */
  consent?: 'opt-in' | 'opt-out' | null
  clinicId: string
  channel: Channel
  contactHash: string
  /** The number to reply to (sms, whatsapp); null for web chat, answered over its socket. */
  contactE164: string | null
  trackingNumberId: string | null
  /** The name the patient gave (web chat), sealed on the conversation. */
  displayName?: string | undefined
  /** The provider's id of the message (MessageSid), or `web:…` for a web-chat message. */
  messageSid: string
  body: string
  at: number
}

/**
 * A conversation's id, derived from its key (clinic, contact hash, channel): the webhook can file
 * a message in the same batch that creates the conversation. The contact hash is already keyed,
 * so the id reveals nothing it does not.
 */
export async function conversationIdFor(
  clinicId: string,
  contactHash: string,
  channel: string,
): Promise<string> {
  return `cnv_${(await sha256Hex(`${clinicId}|${contactHash}|${channel}`)).slice(0, 26)}`
}

/**
 * The statements that file an inbound message under its conversation (created on the first
 * message; a closed one reopens to the AI), for the caller's batch. Idempotent: the message
 * dedupes on its MessageSid and only the attempt that added it counts it unread. The last
 * statement reads back the message's id and time and the conversation's status.
 */
export async function joinStatements(db: Db, keyring: ClinicKeyring, m: InboundMessage) {
  const conversationId = await conversationIdFor(m.clinicId, m.contactHash, m.channel)
  const messageId = newId('cmsg', m.at)
  const dedupeKey = `in:${m.messageSid}`
  return [
    db
      .insert(conversations)
      .values({
        id: conversationId,
        clinicId: m.clinicId,
        channel: m.channel,
        contactHash: m.contactHash,
        contactSealed: m.contactE164 ? await keyring.seal(m.contactE164) : null,
        displayNameSealed: m.displayName ? await keyring.seal(m.displayName) : null,
        nameInitials: m.displayName ? initialsOf(m.displayName) : null,
        phoneMasked: m.contactE164 ? maskPhone(m.contactE164) : null,
        trackingNumberId: m.trackingNumberId,
        lastMessageAt: m.at,
      })
      .onConflictDoUpdate({
        target: [conversations.clinicId, conversations.contactHash, conversations.channel],
        // Replies go out from the number the patient last wrote to.
        set: { trackingNumberId: sql`excluded.tracking_number_id` },
      }),
    db
      .insert(conversationMessages)
      .values({
        id: messageId,
        clinicId: m.clinicId,
        conversationId,
        direction: 'inbound',
        author: 'patient',
        bodySealed: await keyring.seal(m.body),
        status: 'received',
        dedupeKey,
        createdAt: m.at,
      })
      .onConflictDoNothing(),
    db
      .update(conversations)
      .set({
        lastMessageAt: sql`MAX(${conversations.lastMessageAt}, ${m.at})`,
        lastInboundAt: sql`MAX(COALESCE(${conversations.lastInboundAt}, 0), ${m.at})`,
        unreadCount: sql`${conversations.unreadCount} + 1`,
        status: sql`CASE WHEN ${conversations.status} = 'closed' THEN 'ai' ELSE ${conversations.status} END`,
        ...(m.channel === 'whatsapp' && m.consent
          ? { whatsappOptInAt: m.consent === 'opt-in' ? m.at : null }
          : {}),
        updatedAt: m.at,
      })
      .where(
        and(
          eq(conversations.clinicId, m.clinicId),
          eq(conversations.id, conversationId),
          // Only the attempt that added the message counts it (a redone delivery adds nothing).
          sql`EXISTS (SELECT 1 FROM ${conversationMessages} WHERE ${conversationMessages.id} = ${messageId})`,
        ),
      ),
    db
      .select({
        conversationId: conversationMessages.conversationId,
        messageId: conversationMessages.id,
        at: conversationMessages.createdAt,
        status: conversations.status,
      })
      .from(conversationMessages)
      .innerJoin(conversations, eq(conversations.id, conversationMessages.conversationId))
      .where(
        and(
          eq(conversationMessages.clinicId, m.clinicId),
          eq(conversationMessages.dedupeKey, dedupeKey),
        ),
      )
      .limit(1),
  ] as const
}

export type Joined = {
  conversationId: string
  messageId: string
  /** The message's own time (the first delivery's, on a redelivery). */
  at: number
  status: ConversationStatus
}

/** Files an inbound message under its conversation in one batch (see `joinStatements`). */
export async function joinConversation(db: Db, config: Config, m: InboundMessage): Promise<Joined> {
  const keyring = await clinicKeyring(db, config, m.clinicId)
  const results = await db.batch(await joinStatements(db, keyring, m))
  const row = results[3][0]
  if (!row) throw new Error('conversation message not stored')
  return row
}

/** One conversation of the clinic, or null (another clinic's id reads as missing). */
export function findConversation(db: Db, clinicId: string, id: string) {
  return findClinicRow(db, conversations, clinicId, id)
}

/** The newest patient message of the conversation and whether staff wrote after it. */
export async function latestTurn(db: Db, clinicId: string, conversationId: string) {
  const m = conversationMessages
  const inThread = and(eq(m.clinicId, clinicId), eq(m.conversationId, conversationId))
  const [patient] = await db
    .select({ id: m.id, at: m.createdAt })
    .from(m)
    .where(and(inThread, eq(m.author, 'patient')))
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(1)
  if (!patient) return null
  const [staff] = await db
    .select({ id: m.id })
    .from(m)
    .where(and(inThread, eq(m.author, 'staff'), gt(m.createdAt, patient.at)))
    .limit(1)
  return { messageId: patient.id, at: patient.at, staffReplied: staff !== undefined }
}

export type OutboundInput = {
  conversation: ConversationRow
  author: 'ai' | 'staff' | 'system'
  userId?: string | null
  body: string
  dedupeKey: string
  triage?: unknown
  at: number
}

/**
 * The statements that append an outbound message and, for SMS and WhatsApp, its outbox row
 * (queued), for the caller's batch. The recipient travels sealed in the outbox row, so the send
 * job needs nothing else. A web-chat message has no outbox row: it is pushed to the patient's
 * open chat (src/conversations/web-chat.ts) and read back when they reconnect.
 */
export async function outboundStatements(db: Db, keyring: ClinicKeyring, m: OutboundInput) {
  const c = m.conversation
  const web = c.channel === 'web'
  if (!web && !c.contactSealed) throw new Error('conversation has no contact to reply to')
  const messageId = newId('cmsg', m.at)
  const outboxId = web ? null : newId('out', m.at)
  const bodySealed = await keyring.seal(m.body)
  const message = db
    .insert(conversationMessages)
    .values({
      id: messageId,
      clinicId: c.clinicId,
      conversationId: c.id,
      direction: 'outbound',
      author: m.author,
      userId: m.userId ?? null,
      bodySealed,
      status: 'queued',
      dedupeKey: m.dedupeKey,
      outboxId,
      triage: m.triage === undefined ? null : JSON.stringify(m.triage),
      createdAt: m.at,
    })
    .onConflictDoNothing()
  const outbox = outboxId
    ? [
        db
          .insert(outboundMessages)
          .values({
            id: outboxId,
            clinicId: c.clinicId,
            dedupeKey: `conversation:${m.dedupeKey}`,
            kind: 'reply',
            channel: c.channel === 'whatsapp' ? 'whatsapp' : 'sms',
            recipientHash: c.contactHash,
            toSealed: c.contactSealed,
            toMasked: c.phoneMasked ?? '',
            bodySealed,
            segments: smsLength(m.body).segments,
            createdAt: m.at,
          })
          .onConflictDoNothing(),
      ]
    : []
  const statements: [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]] = [message, ...outbox]
  return { messageId, outboxId, statements }
}

/** The conversation's priority after a change, from its stored reasons and counters. */
export function priorityAfter(
  c: Pick<ConversationRow, 'priorityReasons' | 'unreadCount' | 'lastInboundAt'>,
  status: ConversationStatus,
  addReasons: readonly string[],
  now: number,
): Priority {
  return priorityOf({
    status,
    reasons: [...parseReasons(c.priorityReasons), ...addReasons],
    unreadCount: c.unreadCount,
    lastInboundAt: c.lastInboundAt,
    now,
  })
}

/**
 * The contact's WhatsApp conversation if they opted in to WhatsApp from the clinic (START on
 * WhatsApp, not undone by STOP), else null: text-backs go by WhatsApp only to them.
 */
export async function whatsappOptedIn(
  db: Db,
  clinicId: string,
  contactHash: string,
): Promise<ConversationRow | null> {
  const c = conversations
  const theirs = ownedBy(c, clinicId, eq(c.contactHash, contactHash), eq(c.channel, 'whatsapp'))
  const [row] = await db
    .select()
    .from(c)
    .where(and(theirs, isNotNull(c.whatsappOptInAt)))
    .limit(1)
  return row ?? null
}
