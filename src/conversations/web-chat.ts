/**
 * Web chat: a `chat` form opens a live conversation (channel `web`) on the clinic's site. The
 * start is an ordinary submission (name, email or phone, consent, the first message: the lead and
 * the conversation in one batch); it answers with a signed chat session. The page then holds a
 * WebSocket to the clinic's Durable Object (hibernation: src/conversations/chat-sockets.ts),
 * which files each message here. From then on it is a conversation like SMS: the `ai-reply` job
 * answers within the same safety rules, staff take over in the same inbox, and replies reach the
 * page through the object (`sendConversationMessage`).
 *
 * A session sees only the messages since it started: knowing someone's email never shows their
 * earlier chats.
 */
import { and, desc, eq, gte } from 'drizzle-orm'
import { z } from 'zod'
import { createDb, type Db } from '../db/client'
import { ownedBy } from '../db/clinic-row'
import { conversationMessages } from '../db/schema'
import { type Bindings, type Config, getConfig } from '../env'
import { leadTouchStatements } from '../leads/leads.service'
import { HOUR_MS } from '../lib/time'
import { type ClinicKeyring, clinicKeyring, openLinkToken, signLinkToken } from '../privacy/crypto'
import { queueAiReply } from './ai-reply'
import { findConversation, type Joined, joinStatements } from './store'

/** How long a chat session (its token) lasts. */
export const CHAT_SESSION_MS = 12 * HOUR_MS
/** The longest message a patient may type in the chat. */
export const MAX_CHAT_MESSAGE = 1000
/** How many messages a (re)connecting page is shown. */
const HISTORY_LIMIT = 100

/** One open chat: whose conversation, from which form, shown from when. Ids and a time only. */
export type ChatSession = {
  clinicId: string
  conversationId: string
  formId: string
  since: number
}

/** A message as the chat page shows it. */
export type ChatLine = {
  id: string
  author: 'patient' | 'ai' | 'staff' | 'system'
  body: string
  at: number
}

/** What the page may send over the socket. */
export const ChatFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello') }),
  z.object({
    type: z.literal('message'),
    /** The page's own id for the message: a resend after a reconnect files it once. */
    id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    body: z.string().trim().min(1).max(MAX_CHAT_MESSAGE),
  }),
])
export type ChatFrame = z.output<typeof ChatFrameSchema>

const SESSION = /^([A-Za-z0-9_]+):([A-Za-z0-9_]+):([A-Za-z0-9_]+):(\d+)$/

/** The session's token, for the page to connect with (signed; expires). */
export function chatToken(config: Config, s: ChatSession): Promise<string> {
  const payload = `${s.clinicId}:${s.conversationId}:${s.formId}:${s.since}`
  return signLinkToken(config, 'chat', payload, s.since + CHAT_SESSION_MS)
}

/** The session a token stands for, or null when it is forged or expired. */
export async function openChatToken(
  config: Config,
  token: string,
  now: number,
): Promise<ChatSession | null> {
  const m = SESSION.exec((await openLinkToken(config, 'chat', token, now)) ?? '')
  if (!m) return null
  return { clinicId: m[1]!, conversationId: m[2]!, formId: m[3]!, since: Number(m[4]) }
}

/** The dedupe key of a page's message: per conversation, so ids from two pages never clash. */
const chatMessageSid = (conversationId: string, id: string) => `web:${conversationId}:${id}`

/**
 * The statements that file a web-chat message (the first, from the start form, or any later one)
 * and touch the person's lead, for the caller's batch. The fourth statement reads it back.
 */
export async function chatMessageStatements(
  db: Db,
  keyring: ClinicKeyring,
  m: {
    clinicId: string
    conversationId: string
    contactHash: string
    displayName?: string
    /** The phone the start form gave (sealed on the conversation, for a call back). */
    phone?: string | null
    /** The start form's message: the submission itself is already on the lead's timeline. */
    first?: boolean
    id: string
    body: string
    at: number
  },
) {
  const messageSid = chatMessageSid(m.conversationId, m.id)
  const join = await joinStatements(db, keyring, {
    clinicId: m.clinicId,
    channel: 'web',
    contactHash: m.contactHash,
    contactE164: m.phone ?? null,
    trackingNumberId: null,
    displayName: m.displayName,
    messageSid,
    body: m.body,
    at: m.at,
  })
  const touch = m.first
    ? []
    : leadTouchStatements(db, {
        clinicId: m.clinicId,
        contactHash: m.contactHash,
        kind: 'chat',
        ref: messageSid,
        at: m.at,
      })
  return [...join, ...touch] as const
}

/** After a patient's message is stored: the AI's turn while the conversation is the AI's. */
export async function afterChatMessage(env: Bindings, clinicId: string, joined: Joined) {
  if (joined.status !== 'ai') return
  await queueAiReply(env, {
    clinicId,
    conversationId: joined.conversationId,
    messageId: joined.messageId,
    at: joined.at,
  })
}

/**
 * Files a message the page sent over its socket (idempotent on the page's id) and queues the AI's
 * turn. Returns the stored message, or null when the conversation is gone (purged or erased).
 */
export async function receiveChatMessage(
  env: Bindings,
  session: ChatSession,
  frame: { id: string; body: string },
  now: number,
): Promise<Joined | null> {
  const db = createDb(env.DB)
  const conversation = await findConversation(db, session.clinicId, session.conversationId)
  if (conversation?.channel !== 'web') return null
  const keyring = await clinicKeyring(db, getConfig(env), session.clinicId)
  const statements = await chatMessageStatements(db, keyring, {
    clinicId: session.clinicId,
    conversationId: conversation.id,
    contactHash: conversation.contactHash,
    id: frame.id,
    body: frame.body,
    at: now,
  })
  const results = await db.batch(statements)
  const joined = (results[3] as Joined[] | undefined)?.[0]
  if (!joined) throw new Error('chat message not stored')
  await afterChatMessage(env, session.clinicId, joined)
  return joined
}

/** The session's messages, oldest first (only those since it started; suppressed ones left out). */
export async function chatHistory(env: Bindings, session: ChatSession): Promise<ChatLine[]> {
  const db = createDb(env.DB)
  const m = conversationMessages
  const rows = await db
    .select({
      id: m.id,
      author: m.author,
      status: m.status,
      bodySealed: m.bodySealed,
      at: m.createdAt,
    })
    .from(m)
    .where(
      ownedBy(
        m,
        session.clinicId,
        and(eq(m.conversationId, session.conversationId), gte(m.createdAt, session.since)),
      ),
    )
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(HISTORY_LIMIT)
  const keyring = await clinicKeyring(db, getConfig(env), session.clinicId)
  const shown = rows.reverse().filter((r) => r.status !== 'suppressed' && r.status !== 'failed')
  return Promise.all(
    shown.map(async (r) => ({
      id: r.id,
      author: r.author,
      body: await keyring.open(r.bodySealed).catch(() => ''),
      at: r.at,
    })),
  )
}
