/**
 * The conversations service: the one source the JSON API and the dashboard's inbox and thread
 * pages read and write through. Reads of message bodies are audited; writes that send go through
 * the queue (`conversation-send`), and a staff reply takes the conversation from the AI.
 */

import { and, desc, eq, type SQL, sql } from 'drizzle-orm'
import type { Triage } from '../assistant/assistant'
import { audit } from '../audit/audit'
import { requireAssignee } from '../auth/team'
import type { Db } from '../db/client'
import { createDb } from '../db/client'
import { conversationMessages, conversations, outboundMessages } from '../db/schema'
import { type Bindings, getConfig } from '../env'
import { jobQueue } from '../jobs/messages'
import { leadTouchStatements } from '../leads/leads.service'
import { newId } from '../lib/ids'
import { decodeCursor, paginate } from '../lib/pagination'
import { conflict, notFound } from '../lib/problem'
import { toIso } from '../lib/time'
import { clinicKeyring } from '../privacy/crypto'
import { contactBlock } from '../privacy/subjects'
import { queueAiReply } from './ai-reply'
import { parseReasons } from './priority'
import {
  type ConversationRow,
  type ConversationStatus,
  findConversation,
  latestTurn,
  outboundStatements,
  priorityAfter,
} from './store'

export type ConversationChannel = ConversationRow['channel']
export type { ConversationStatus }

export type ConversationSummary = {
  id: string
  channel: ConversationChannel
  contactHash: string
  status: ConversationStatus
  priority: { score: number; reasons: string[] }
  assignedTo: string | null
  lastMessageAt: string
  unreadCount: number
  contact: { displayName: string | null; phoneMasked: string | null }
}

export type ConversationMessageView = {
  id: string
  direction: 'inbound' | 'outbound'
  author: 'patient' | 'ai' | 'staff' | 'system'
  body: string
  status: string
  createdAt: string
  triage: Triage | null
}

export type ConversationDetail = ConversationSummary & { messages: ConversationMessageView[] }

export type ConversationFilters = {
  status?: ConversationStatus | undefined
  channel?: ConversationChannel | undefined
  /** A member's id; null for unassigned conversations; undefined for anyone's. */
  assignedTo?: string | null | undefined
  limit: number
  /** The previous page's `nextCursor` (a malformed one is a 400). */
  cursor: string | null
}

/** How many messages a thread shows (the newest). */
export const THREAD_LIMIT = 200

/** The inbox order's key: needs-human first, then newest (one number, so a cursor can page it). */
const NEEDS_HUMAN_FIRST = 10_000_000_000_000
const inboxKey = sql<number>`(CASE WHEN ${conversations.status} = 'needs-human' THEN ${NEEDS_HUMAN_FIRST} ELSE 0 END + ${conversations.lastMessageAt})`

/** A page of the clinic's conversations, needs-human first, then newest. */
export async function listConversations(db: Db, clinicId: string, f: ConversationFilters) {
  const cursor = decodeCursor(f.cursor ?? undefined)
  const where: (SQL | undefined)[] = [
    eq(conversations.clinicId, clinicId),
    f.status ? eq(conversations.status, f.status) : undefined,
    f.channel ? eq(conversations.channel, f.channel) : undefined,
    f.assignedTo === null
      ? sql`${conversations.assignedTo} IS NULL`
      : f.assignedTo
        ? eq(conversations.assignedTo, f.assignedTo)
        : undefined,
    cursor
      ? sql`(${inboxKey} < ${cursor.t} OR (${inboxKey} = ${cursor.t} AND ${conversations.id} < ${cursor.id}))`
      : undefined,
  ]
  const rows = await db
    .select({ row: conversations, key: inboxKey })
    .from(conversations)
    .where(and(...where))
    .orderBy(desc(inboxKey), desc(conversations.id))
    .limit(f.limit + 1)
  const page = paginate(rows, f.limit, (r) => ({ t: r.key, id: r.row.id }))
  return { items: page.items.map((r) => summaryOf(r.row)), nextCursor: page.nextCursor }
}

function summaryOf(c: ConversationRow): ConversationSummary {
  return {
    id: c.id,
    channel: c.channel,
    contactHash: c.contactHash,
    status: c.status,
    priority: { score: c.priorityScore, reasons: parseReasons(c.priorityReasons) },
    assignedTo: c.assignedTo,
    lastMessageAt: toIso(c.lastMessageAt),
    unreadCount: c.unreadCount,
    // Lists show a web chat's initials only; the audited detail opens the sealed name.
    contact: { displayName: c.nameInitials, phoneMasked: c.phoneMasked },
  }
}

/** The conversation with its messages (bodies opened), or null. Audited as a read of personal data. */
export async function getConversation(
  ctx: { db: Db; env: Bindings; clinicId: string; actor: string },
  id: string,
): Promise<ConversationDetail | null> {
  const c = await findConversation(ctx.db, ctx.clinicId, id)
  if (!c) return null
  const rows = await ctx.db
    .select({
      m: conversationMessages,
      outboxStatus: outboundMessages.status,
    })
    .from(conversationMessages)
    .leftJoin(
      outboundMessages,
      and(
        eq(outboundMessages.clinicId, conversationMessages.clinicId),
        eq(outboundMessages.id, conversationMessages.outboxId),
      ),
    )
    .where(
      and(
        eq(conversationMessages.clinicId, ctx.clinicId),
        eq(conversationMessages.conversationId, c.id),
      ),
    )
    .orderBy(desc(conversationMessages.createdAt), desc(conversationMessages.id))
    .limit(THREAD_LIMIT)
  const keyring = await clinicKeyring(ctx.db, getConfig(ctx.env), ctx.clinicId)
  const messages = await Promise.all(
    rows.reverse().map(async ({ m, outboxStatus }) => ({
      id: m.id,
      direction: m.direction,
      author: m.author,
      body: await keyring.open(m.bodySealed).catch(() => '[no longer readable]'),
      // The outbox row follows Twilio's status callbacks (sent → delivered / failed).
      status: m.status === 'suppressed' ? m.status : (outboxStatus ?? m.status),
      createdAt: toIso(m.createdAt),
      triage: parseTriage(m.triage),
    })),
  )
  await audit(ctx.env, ctx.clinicId, {
    actor: ctx.actor,
    action: 'conversation.read',
    target: `conversation:${c.id}`,
    details: { messages: messages.length },
  })
  const summary = summaryOf(c)
  const displayName = c.displayNameSealed
    ? await keyring.open(c.displayNameSealed).catch(() => null)
    : null
  return { ...summary, contact: { ...summary.contact, displayName }, messages }
}

function parseTriage(stored: string | null): Triage | null {
  if (!stored) return null
  try {
    return JSON.parse(stored) as Triage
  } catch {
    return null
  }
}

/** Counts for the navigation: conversations waiting on a person, and unread messages. */
export async function conversationCounts(db: Db, clinicId: string) {
  const [row] = await db
    .select({
      needsHuman: sql<number>`COALESCE(SUM(CASE WHEN ${conversations.status} = 'needs-human' THEN 1 ELSE 0 END), 0)`,
      unread: sql<number>`COALESCE(SUM(${conversations.unreadCount}), 0)`,
    })
    .from(conversations)
    .where(and(eq(conversations.clinicId, clinicId), sql`${conversations.status} != 'closed'`))
  return { needsHuman: Number(row?.needsHuman ?? 0), unread: Number(row?.unread ?? 0) }
}

async function mustFind(db: Db, clinicId: string, id: string) {
  const c = await findConversation(db, clinicId, id)
  if (!c) throw notFound('No such conversation.')
  return c
}

/**
 * A staff reply: stored sealed, queued for sending, and the conversation becomes `human` (the AI
 * stops). Refused (409) when the patient has opted out or restricted processing.
 */
export async function replyAsStaff(
  env: Bindings,
  input: { clinicId: string; conversationId: string; userId: string; body: string },
  now: number = Date.now(),
): Promise<{ id: string; status: 'queued' }> {
  const db = createDb(env.DB)
  const c = await mustFind(db, input.clinicId, input.conversationId)
  const blocked = await contactBlock(db, input.clinicId, c.contactHash)
  if (blocked) {
    throw conflict(
      blocked === 'opted-out'
        ? 'This patient has opted out of messages (STOP).'
        : 'This patient has restricted or objected to processing: no messages may be sent.',
    )
  }
  const keyring = await clinicKeyring(db, getConfig(env), input.clinicId)
  const reply = await outboundStatements(db, keyring, {
    conversation: c,
    author: 'staff',
    userId: input.userId,
    body: input.body,
    dedupeKey: `staff:${newId('key', now)}`,
    at: now,
  })
  const priority = priorityAfter({ ...c, unreadCount: 0 }, 'human', [], now)
  await db.batch([
    ...reply.statements,
    db
      .update(conversations)
      .set({
        status: 'human',
        unreadCount: 0,
        readUpTo: now,
        lastMessageAt: now,
        priorityScore: priority.score,
        updatedAt: now,
      })
      .where(and(eq(conversations.clinicId, c.clinicId), eq(conversations.id, c.id))),
    // Their lead (if a form made one) was answered.
    ...leadTouchStatements(db, {
      clinicId: c.clinicId,
      contactHash: c.contactHash,
      kind: c.channel,
      ref: reply.messageId,
      at: now,
      answered: true,
    }),
  ])
  await jobQueue(env).send({
    type: 'conversation-send',
    clinicId: c.clinicId,
    conversationId: c.id,
    messageId: reply.messageId,
  })
  return { id: reply.messageId, status: 'queued' }
}

/**
 * Take over (`human`), hand back to the AI (`ai`: it answers the patient's latest message if
 * nobody has), or close. Returns the conversation's summary.
 */
export async function setConversationStatus(
  env: Bindings,
  input: {
    clinicId: string
    conversationId: string
    status: 'ai' | 'human' | 'closed'
    userId: string
  },
  now: number = Date.now(),
): Promise<ConversationSummary> {
  const db = createDb(env.DB)
  const c = await mustFind(db, input.clinicId, input.conversationId)
  // Handing back clears the hand-over reasons; red flags stay on record.
  const reasons =
    input.status === 'ai'
      ? parseReasons(c.priorityReasons).filter((r) => !r.startsWith('needs-human:'))
      : parseReasons(c.priorityReasons)
  const priority = priorityAfter(
    { ...c, priorityReasons: JSON.stringify(reasons) },
    input.status,
    [],
    now,
  )
  const [updated] = await db
    .update(conversations)
    .set({
      status: input.status,
      priorityScore: priority.score,
      priorityReasons: JSON.stringify(priority.reasons),
      updatedAt: now,
    })
    .where(and(eq(conversations.clinicId, c.clinicId), eq(conversations.id, c.id)))
    .returning()
  if (!updated) throw notFound('No such conversation.')
  await audit(env, c.clinicId, {
    actor: `user:${input.userId}`,
    action: 'conversation.status',
    target: `conversation:${c.id}`,
    details: { from: c.status, to: input.status },
  })
  if (input.status === 'ai' && c.status !== 'ai') {
    const turn = await latestTurn(db, c.clinicId, c.id)
    if (turn && !turn.staffReplied) {
      await queueAiReply(env, {
        clinicId: c.clinicId,
        conversationId: c.id,
        messageId: turn.messageId,
        at: turn.at,
      })
    }
  }
  return summaryOf(updated)
}

/** Assigns the conversation to a member of the clinic (or nobody). */
export async function assignConversation(
  db: Db,
  input: { clinicId: string; conversationId: string; assignedTo: string | null },
): Promise<ConversationSummary> {
  if (input.assignedTo) await requireAssignee(db, input.clinicId, input.assignedTo, 'userId')
  const [updated] = await db
    .update(conversations)
    .set({ assignedTo: input.assignedTo, updatedAt: Date.now() })
    .where(
      and(eq(conversations.clinicId, input.clinicId), eq(conversations.id, input.conversationId)),
    )
    .returning()
  if (!updated) throw notFound('No such conversation.')
  return summaryOf(updated)
}

/** Marks everything in the conversation read. */
export async function markConversationRead(
  db: Db,
  input: { clinicId: string; conversationId: string },
  now: number = Date.now(),
): Promise<void> {
  await db
    .update(conversations)
    .set({ unreadCount: 0, readUpTo: now })
    .where(
      and(eq(conversations.clinicId, input.clinicId), eq(conversations.id, input.conversationId)),
    )
}
