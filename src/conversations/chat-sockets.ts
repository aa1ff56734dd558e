/**
 * The web chat's sockets, held by the clinic's Durable Object with the WebSocket Hibernation API:
 * the object sleeps while chats are idle and wakes for each frame. Each socket is tagged with its
 * conversation's id, and carries its session (ids and a time) and its recent send times as its
 * attachment, so nothing is lost when the object hibernates.
 *
 * Frames from the page (JSON, validated): `hello` → `history`; `message {id, body}` → stored in
 * D1 (idempotent on the page's id), then `ack {id, messageId}`. Frames to the page: `history`,
 * `ack`, `message {message}` (a reply, or the patient's own message typed in another tab) and
 * `error {id?, message}`. A message is acknowledged only once D1 holds it: the page keeps and
 * resends what was not acknowledged, so nothing a patient typed is lost to a dropped connection.
 */
import type { Bindings } from '../env'
import { logError } from '../lib/logger'
import { MINUTE_MS } from '../lib/time'
import {
  ChatFrameSchema,
  type ChatLine,
  type ChatSession,
  chatHistory,
  receiveChatMessage,
} from './web-chat'

/** The Worker passes the checked session to the object in this header. */
export const CHAT_SESSION_HEADER = 'x-ringback-chat-session'
/** Open pages per conversation (tabs); more are refused. */
export const MAX_SOCKETS_PER_CHAT = 5
/** Messages a page may send a minute. */
export const CHAT_MESSAGES_PER_MINUTE = 12
const MAX_FRAME_CHARS = 8 * 1024

type SocketState = ChatSession & { sent: number[] }

const stateOf = (ws: WebSocket) => ws.deserializeAttachment() as SocketState

function send(ws: WebSocket, frame: unknown): void {
  try {
    ws.send(JSON.stringify(frame))
  } catch {
    // The page went away meanwhile: it reloads the history when it reconnects.
  }
}

/** Accepts the page's socket for the session the Worker checked (see hosted-form.page.tsx). */
export function acceptChatSocket(ctx: DurableObjectState, request: Request): Response {
  let session: ChatSession
  try {
    session = JSON.parse(request.headers.get(CHAT_SESSION_HEADER) ?? '') as ChatSession
  } catch {
    return new Response('no chat session', { status: 400 })
  }
  if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return new Response('expected a WebSocket', { status: 426 })
  }
  if (ctx.getWebSockets(session.conversationId).length >= MAX_SOCKETS_PER_CHAT) {
    return new Response('too many open chats', { status: 429 })
  }
  const { 0: client, 1: server } = new WebSocketPair()
  ctx.acceptWebSocket(server, [session.conversationId])
  server.serializeAttachment({ ...session, sent: [] } satisfies SocketState)
  return new Response(null, { status: 101, webSocket: client })
}

/** One frame from a page (the object's `webSocketMessage`). Never throws: errors go to the page. */
export async function onChatFrame(
  ctx: DurableObjectState,
  env: Bindings,
  ws: WebSocket,
  data: string | ArrayBuffer,
): Promise<void> {
  if (typeof data !== 'string' || data.length > MAX_FRAME_CHARS) {
    return send(ws, { type: 'error', message: 'Messages are text, up to 1,000 characters.' })
  }
  let parsed: ReturnType<typeof ChatFrameSchema.safeParse>
  try {
    parsed = ChatFrameSchema.safeParse(JSON.parse(data))
  } catch {
    return send(ws, { type: 'error', message: 'That frame is not JSON.' })
  }
  if (!parsed.success) {
    return send(ws, { type: 'error', message: 'Messages are text, up to 1,000 characters.' })
  }
  const state = stateOf(ws)
  const frame = parsed.data
  try {
    if (frame.type === 'hello') {
      return send(ws, { type: 'history', messages: await chatHistory(env, state) })
    }
    const now = Date.now()
    const recent = state.sent.filter((t) => now - t < MINUTE_MS)
    if (recent.length >= CHAT_MESSAGES_PER_MINUTE) {
      return send(ws, {
        type: 'error',
        id: frame.id,
        message: 'That is a lot of messages at once — please wait a moment and send it again.',
      })
    }
    ws.serializeAttachment({ ...state, sent: [...recent, now] } satisfies SocketState)
    const stored = await receiveChatMessage(env, state, frame, now)
    if (!stored) {
      send(ws, { type: 'error', id: frame.id, message: 'This chat has ended. Please start again.' })
      return ws.close(4410, 'chat ended')
    }
    send(ws, { type: 'ack', id: frame.id, messageId: stored.messageId })
    // The same chat open in another tab shows the message too.
    const line: ChatLine = {
      id: stored.messageId,
      author: 'patient',
      body: frame.body,
      at: stored.at,
    }
    for (const other of ctx.getWebSockets(state.conversationId)) {
      if (other !== ws) send(other, { type: 'message', message: line })
    }
  } catch (err) {
    logError('web chat frame failed', err, { clinicId: state.clinicId, type: frame.type })
    send(ws, {
      type: 'error',
      ...(frame.type === 'message' ? { id: frame.id } : {}),
      message: 'Not sent — we will try again in a moment.',
    })
  }
}

/**
 * Pushes a reply to the conversation's open pages (only sessions that began before it). Returns
 * how many pages it reached.
 */
export function pushChatLine(ctx: DurableObjectState, conversationId: string, line: ChatLine) {
  let reached = 0
  for (const ws of ctx.getWebSockets(conversationId)) {
    if (stateOf(ws).since > line.at) continue
    send(ws, { type: 'message', message: line })
    reached += 1
  }
  return reached
}
