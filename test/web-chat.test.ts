/**
 * Web chat (issue 11 item 5): a `chat` form's start submission opens the person's `web`
 * conversation; the page's WebSocket is held by the clinic's Durable Object (hibernation); its
 * messages are stored once, answered by the same AI and safety rules through the real queue, and
 * staff replies from the inbox reach the page. Bad frames and bad connections change nothing.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { RED_FLAG_REPLY } from '../src/assistant/safety'
import { CHAT_MESSAGES_PER_MINUTE } from '../src/conversations/chat-sockets'
import { receiveChatMessage } from '../src/conversations/web-chat'
import { conversationMessages, conversations, leads } from '../src/db/schema'
import { getConfig } from '../src/env'
import { clinicKeyring, emailHash } from '../src/privacy/crypto'
import { eraseSubject, exportSubject } from '../src/privacy/subjects'
import { api, call, createTestClinic, ORIGIN, type TestClinic } from './helpers/clinic'
import { thread } from './helpers/conversations'
import { newForm, SITE, submit } from './helpers/leads'
import { db } from './textback-delivery.fixtures'

type Line = { id: string; author: string; body: string; at: number }
type Frame =
  | { type: 'history'; messages: Line[] }
  | { type: 'ack'; id: string; messageId: string }
  | { type: 'message'; message: Line }
  | { type: 'error'; id?: string; message: string }

type Started = { id: string; leadId: string; chat: { conversationId: string; token: string } }

const visitor = (over: object = {}) => ({
  name: 'Amira Khan',
  email: `amira.${crypto.randomUUID().slice(0, 8)}@example.com`,
  message: 'Hello, do you offer Invisalign?',
  consent: { marketing: false, ads: false },
  ...over,
})

async function startChat(clinic: TestClinic, over: object = {}, formId?: string) {
  const id = formId ?? (await newForm(clinic, 'chat')).id
  const res = await submit(id, visitor(over))
  expect(res.status).toBe(201)
  return { formId: id, ...((await res.json()) as Started) }
}

/** A page's socket: every frame it receives, and a wait for the one a test expects. */
async function connect(formId: string, token: string, origin = ORIGIN) {
  const res = await call(`/f/${formId}/chat?token=${encodeURIComponent(token)}`, {
    headers: { upgrade: 'websocket', origin },
  })
  expect(res.status).toBe(101)
  const ws = res.webSocket!
  ws.accept()
  const frames: Frame[] = []
  const waiters: Array<() => void> = []
  ws.addEventListener('message', (e) => {
    frames.push(JSON.parse(String(e.data)) as Frame)
    for (const w of waiters.splice(0)) w()
  })
  const waitFor = async <T extends Frame>(
    match: (f: Frame) => f is T,
    what: string,
    timeoutMs = 8000,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = frames.find(match)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no ${what} frame; got ${JSON.stringify(frames)}`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
  }
  const say = (id: string, body: string) => ws.send(JSON.stringify({ type: 'message', id, body }))
  return { ws, frames, waitFor, say }
}

const isHistory = (f: Frame): f is Extract<Frame, { type: 'history' }> => f.type === 'history'
const ackOf =
  (id: string) =>
  (f: Frame): f is Extract<Frame, { type: 'ack' }> =>
    f.type === 'ack' && f.id === id
const replyBy =
  (author: string, contains = '') =>
  (f: Frame): f is Extract<Frame, { type: 'message' }> =>
    f.type === 'message' && f.message.author === author && f.message.body.includes(contains)
const errorFrame = (f: Frame): f is Extract<Frame, { type: 'error' }> => f.type === 'error'

async function messageCount(clinicId: string, conversationId: string) {
  const rows = await db
    .select({ id: conversationMessages.id })
    .from(conversationMessages)
    .where(
      and(
        eq(conversationMessages.clinicId, clinicId),
        eq(conversationMessages.conversationId, conversationId),
      ),
    )
  return rows.length
}

describe('web chat: the start', () => {
  it('opens a web conversation with the first message and the lead, and a chat session', async () => {
    const clinic = await createTestClinic()
    const started = await startChat(clinic)
    const [c] = await db
      .select()
      .from(conversations)
      .where(eq(conversations.id, started.chat.conversationId))
    expect(c).toMatchObject({ clinicId: clinic.clinicId, channel: 'web', contactSealed: null })
    const keyring = await clinicKeyring(db, getConfig(env), clinic.clinicId)
    expect(await keyring.open(c!.displayNameSealed!)).toBe('Amira Khan')
    expect(await thread(clinic.clinicId, c!.id)).toMatchObject([
      { author: 'patient', body: 'Hello, do you offer Invisalign?', status: 'received' },
    ])
    const [lead] = await db.select().from(leads).where(eq(leads.id, started.leadId))
    expect(lead).toMatchObject({ sourceKind: 'chat', emailHash: c!.contactHash })
    expect(started.chat.token).toMatch(/\./)
  })

  it('needs a first message, named, and stores nothing without it', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic, 'chat')
    const res = await submit(form.id, visitor({ message: undefined }))
    expect(res.status).toBe(400)
    const body = (await res.json()) as { errors: { path: string }[] }
    expect(body.errors.map((e) => e.path)).toEqual(['message'])
    const rows = await db
      .select()
      .from(conversations)
      .where(eq(conversations.clinicId, clinic.clinicId))
    expect(rows).toEqual([])
  })
})

describe('web chat: the socket', { timeout: 30_000 }, () => {
  it('shows the history, acknowledges a message once stored, and the AI answers through the queue', async () => {
    const clinic = await createTestClinic()
    const { formId, chat } = await startChat(clinic)
    const page = await connect(formId, chat.token)
    page.ws.send(JSON.stringify({ type: 'hello' }))
    const history = await page.waitFor(isHistory, 'history')
    expect(history.messages[0]).toMatchObject({
      author: 'patient',
      body: 'Hello, do you offer Invisalign?',
    })
    // The first message's AI turn went through the real queue; its reply reaches the open page
    // (or was already in the history when the page said hello).
    const first =
      history.messages.find((m) => m.author === 'ai') ??
      (await page.waitFor(replyBy('ai'), 'AI reply')).message
    expect(first.body).toMatch(/automated assistant/)

    page.say('page-msg-0001', 'What are your opening hours?')
    const ack = await page.waitFor(ackOf('page-msg-0001'), 'ack')
    // Resent after a reconnect: the same message, stored once.
    page.say('page-msg-0001', 'What are your opening hours?')
    await page.waitFor(
      (f): f is Extract<Frame, { type: 'ack' }> =>
        f.type === 'ack' &&
        f.id === 'page-msg-0001' &&
        page.frames.filter(ackOf('page-msg-0001')).length > 1,
      'second ack',
    )
    expect(page.frames.filter(ackOf('page-msg-0001')).map((f) => f.messageId)).toEqual([
      ack.messageId,
      ack.messageId,
    ])
    const patientLines = (await thread(clinic.clinicId, chat.conversationId)).filter(
      (m) => m.author === 'patient',
    )
    expect(patientLines.map((m) => m.body)).toEqual([
      'Hello, do you offer Invisalign?',
      'What are your opening hours?',
    ])
    // The sandbox handed the booking question to the team (needs-human): the AI waits. Handed
    // back to the AI from the inbox, it answers the page's latest message.
    const owner = await clinic.as('owner')
    const handBack = await api(
      'POST',
      `/api/v1/conversations/${chat.conversationId}/status`,
      { status: 'ai' },
      owner.headers,
    )
    expect(handBack.status).toBe(200)
    await page.waitFor(
      (f): f is Extract<Frame, { type: 'message' }> =>
        f.type === 'message' && f.message.author === 'ai' && f.message.id !== first.id,
      'second AI reply',
    )
    const stored = await thread(clinic.clinicId, chat.conversationId)
    expect(stored.filter((m) => m.author === 'ai').every((m) => m.status === 'delivered')).toBe(
      true,
    )
    page.ws.close()
  })

  it('applies the red-flag rule before any model: the safe reply, and the inbox needs a human', async () => {
    const clinic = await createTestClinic()
    const { formId, chat } = await startChat(clinic, {
      message: 'My face is swelling and I have a fever after my extraction',
    })
    const page = await connect(formId, chat.token)
    page.ws.send(JSON.stringify({ type: 'hello' }))
    const history = await page.waitFor(isHistory, 'history')
    const safe =
      history.messages.find((m) => m.author === 'ai') ??
      (await page.waitFor(replyBy('ai'), 'safe reply')).message
    expect(safe.body).toContain(RED_FLAG_REPLY.slice(0, 40))
    const [c] = await db
      .select()
      .from(conversations)
      .where(eq(conversations.id, chat.conversationId))
    expect(c!.status).toBe('needs-human')
    page.ws.close()
  })

  it('delivers a staff reply from the inbox to the open page; the AI stops', async () => {
    const clinic = await createTestClinic()
    const { formId, chat } = await startChat(clinic)
    const page = await connect(formId, chat.token)
    const receptionist = await clinic.as('receptionist')
    const res = await api(
      'POST',
      `/api/v1/conversations/${chat.conversationId}/messages`,
      { body: 'Hi Amira, yes we do — Tuesday 10am is free.' },
      receptionist.headers,
    )
    expect(res.status).toBe(202)
    const staff = await page.waitFor(replyBy('staff', 'Tuesday 10am'), 'staff reply')
    expect(staff.message.body).toBe('Hi Amira, yes we do — Tuesday 10am is free.')
    const detail = await api(
      'GET',
      `/api/v1/conversations/${chat.conversationId}`,
      undefined,
      receptionist.headers,
    )
    const json = (await detail.json()) as { status: string; contact: { displayName: string } }
    expect(json).toMatchObject({ status: 'human', contact: { displayName: 'Amira Khan' } })
    page.ws.close()
  })

  it('a second tab sees the patient’s message; a new session never sees the old chat', async () => {
    const clinic = await createTestClinic()
    const email = `same.${crypto.randomUUID().slice(0, 8)}@example.com`
    const first = await startChat(clinic, { email, message: 'First chat, private words' })
    const tabA = await connect(first.formId, first.chat.token)
    const tabB = await connect(first.formId, first.chat.token)
    tabA.say('tab-a-message-1', 'From tab A')
    await tabA.waitFor(ackOf('tab-a-message-1'), 'ack')
    await tabB.waitFor(replyBy('patient', 'From tab A'), 'the message in tab B')

    // Later, someone types the same email into the chat: the same conversation, none of its past.
    const again = await startChat(clinic, { email, message: 'A new question' }, first.formId)
    expect(again.chat.conversationId).toBe(first.chat.conversationId)
    const tabC = await connect(first.formId, again.chat.token)
    tabC.ws.send(JSON.stringify({ type: 'hello' }))
    const history = await tabC.waitFor(isHistory, 'history')
    const bodies = history.messages.map((m) => m.body)
    expect(bodies).toContain('A new question')
    expect(bodies).not.toContain('First chat, private words')
    expect(bodies).not.toContain('From tab A')
    for (const t of [tabA, tabB, tabC]) t.ws.close()
  })

  it('answers bad frames with an error and stores nothing; too many messages a minute wait', async () => {
    const clinic = await createTestClinic()
    const { formId, chat } = await startChat(clinic)
    const page = await connect(formId, chat.token)
    const before = await messageCount(clinic.clinicId, chat.conversationId)
    for (const bad of [
      'not json',
      JSON.stringify({ type: 'message', id: 'x', body: 'short id' }),
      JSON.stringify({ type: 'message', id: 'valid-id-123', body: '' }),
      JSON.stringify({ type: 'message', id: 'valid-id-124', body: 'x'.repeat(1001) }),
      JSON.stringify({ type: 'shout' }),
    ]) {
      page.ws.send(bad)
    }
    page.ws.send(new Uint8Array([1, 2, 3]))
    await page.waitFor(
      (f): f is Extract<Frame, { type: 'error' }> => page.frames.filter(errorFrame).length >= 6,
      'six errors',
    )
    expect(await messageCount(clinic.clinicId, chat.conversationId)).toBe(before)

    for (let i = 0; i <= CHAT_MESSAGES_PER_MINUTE; i++) page.say(`burst-message-${i}`, `burst ${i}`)
    const limited = await page.waitFor(
      (f): f is Extract<Frame, { type: 'error' }> =>
        f.type === 'error' && f.id === `burst-message-${CHAT_MESSAGES_PER_MINUTE}`,
      'rate-limit error',
    )
    expect(limited.message).toMatch(/wait a moment/)
    page.ws.close()
  })
})

describe('web chat: connecting', () => {
  it('refuses a forged or foreign token, another origin, another form and a plain GET', async () => {
    const clinic = await createTestClinic()
    const { formId, chat } = await startChat(clinic)
    const other = await newForm(clinic, 'chat')
    const upgrade = { upgrade: 'websocket', origin: ORIGIN }
    const at = (path: string, headers: Record<string, string> = upgrade) => call(path, { headers })
    const t = encodeURIComponent(chat.token)
    const cases: Array<[Promise<Response>, number]> = [
      [at(`/f/${formId}/chat?token=${t}x`), 403],
      [at(`/f/${formId}/chat`), 403],
      [at(`/f/${other.id}/chat?token=${t}`), 403],
      [at(`/f/${formId}/chat?token=${t}`, { upgrade: 'websocket', origin: SITE }), 403],
      [at(`/f/${formId}/chat?token=${t}`, { origin: ORIGIN }), 426],
    ]
    for (const [res, status] of cases) {
      const r = await res
      expect(r.status).toBe(status)
      expect(r.headers.get('content-type')).toMatch(/problem\+json/)
    }
  })

  it('a message for a conversation erased meanwhile is refused, not filed', async () => {
    const clinic = await createTestClinic()
    const { formId, chat } = await startChat(clinic)
    await db
      .delete(conversationMessages)
      .where(eq(conversationMessages.conversationId, chat.conversationId))
    await db.delete(conversations).where(eq(conversations.id, chat.conversationId))
    const session = {
      clinicId: clinic.clinicId,
      conversationId: chat.conversationId,
      formId,
      since: 0,
    }
    expect(
      await receiveChatMessage(env, session, { id: 'late-message-1', body: 'hi' }, Date.now()),
    ).toBe(null)
    expect(await messageCount(clinic.clinicId, chat.conversationId)).toBe(0)
  })
})

describe('web chat: rights', () => {
  it('erasure by email finds a chat started with an email only', async () => {
    const clinic = await createTestClinic()
    const email = `erase.${crypto.randomUUID().slice(0, 8)}@example.com`
    const { chat } = await startChat(clinic, { email })
    const subject = {
      phoneHash: null,
      emailHash: await emailHash(getConfig(env), clinic.clinicId, email),
    }
    const keyring = await clinicKeyring(db, getConfig(env), clinic.clinicId)
    const exported = await exportSubject(db, keyring, clinic.clinicId, subject)
    expect(JSON.stringify(exported)).toContain(chat.conversationId)
    const counts = await eraseSubject(env, db, clinic.clinicId, subject)
    expect(counts.conversations).toBe(1)
    expect(await messageCount(clinic.clinicId, chat.conversationId)).toBe(0)
  })
})
