/**
 * The inbox and thread pages (issue 10 item 3): the views rendered over the CONTRACT shapes —
 * reasons in words with red flags first, masked contacts, unread counts, actions only for roles
 * that may act, and markup safe on a 375 px phone.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { renderError } from '../src/dashboard/page-kit'
import {
  type ConversationDetailView,
  type ConversationMessageView,
  ConversationPage,
} from '../src/dashboard/pages/conversation.page'
import { type ConversationsPort, inboxHandlers } from '../src/dashboard/pages/inbox.handlers'
import {
  type ConversationSummaryView,
  InboxPage,
  reasonsInWords,
} from '../src/dashboard/pages/inbox.page'
import { createDb } from '../src/db/client'
import { appointments, conversations } from '../src/db/schema'
import { getConfig } from '../src/env'
import type { AppEnv } from '../src/lib/context'
import { newId } from '../src/lib/ids'
import { ProblemError } from '../src/lib/problem'
import { call, createTestClinic } from './helpers/clinic'

const viewer = { role: 'receptionist' as const, clinicName: 'Smile Dental' }
const TZ = 'Europe/London'
const ME = 'usr_me'

function summary(over: Partial<ConversationSummaryView> = {}): ConversationSummaryView {
  return {
    id: 'cnv_1',
    channel: 'sms',
    contactHash: 'abcdef0123456789abcdef',
    status: 'ai',
    priority: { score: 0, reasons: [] },
    assignedTo: null,
    lastMessageAt: '2026-12-01T10:15:00.000Z',
    unreadCount: 0,
    contact: { displayName: null, phoneMasked: '•••• ••• 123' },
    ...over,
  }
}

function message(over: Partial<ConversationMessageView> = {}): ConversationMessageView {
  return {
    id: 'msg_1',
    direction: 'inbound',
    author: 'patient',
    body: 'Can I get a hygienist appointment Tuesday morning?',
    status: 'received',
    createdAt: '2026-12-01T10:15:00.000Z',
    triage: null,
    ...over,
  }
}

const html = async (node: { toString(): string | Promise<string> }) => String(await node.toString())

function inbox(
  rows: ConversationSummaryView[],
  over: Partial<Parameters<typeof InboxPage>[0]> = {},
) {
  return html(
    InboxPage({
      viewer,
      timezone: TZ,
      canEdit: true,
      notice: null,
      me: ME,
      filters: {},
      counts: { needsHuman: 1, unread: 3 },
      rows,
      nextCursor: null,
      ...over,
    }),
  )
}

function thread(
  conversation: ConversationDetailView,
  over: Partial<Parameters<typeof ConversationPage>[0]> = {},
) {
  return html(
    ConversationPage({
      viewer,
      timezone: TZ,
      canEdit: true,
      canBook: true,
      canCall: true,
      notice: null,
      me: ME,
      conversation,
      treatments: [{ id: 'trt_1', name: 'Hygienist' }],
      ...over,
    }),
  )
}

/** No fixed pixel widths or inline styles: the shared stylesheet's fluid layout decides (375 px). */
function expectPhoneSafe(page: string) {
  expect(page).not.toMatch(/\sstyle=/)
  expect(page).not.toMatch(/\swidth="\d/)
  expect(page).toContain('name="viewport" content="width=device-width, initial-scale=1"')
}

describe('priority reasons in words', () => {
  it('puts red flags first and words every reason', () => {
    expect(reasonsInWords(['needs-human:model-unavailable', 'red-flag:knocked-out-tooth'])).toEqual(
      [expect.stringMatching(/^Red flag: /), expect.any(String)],
    )
    expect(reasonsInWords(['red-flag:knocked-out-tooth'])[0]).not.toContain('knocked-out-tooth')
  })
})

describe('the inbox page', () => {
  it('lists rows in the order given, with masked contacts, unread counts and reasons in words', async () => {
    const page = await inbox([
      summary({
        id: 'cnv_urgent',
        status: 'needs-human',
        unreadCount: 2,
        priority: { score: 90, reasons: ['clinical', 'red-flag:knocked-out-tooth'] },
      }),
      summary({ id: 'cnv_named', contact: { displayName: 'Sam', phoneMasked: null } }),
      summary({ id: 'cnv_hash', contact: { displayName: null, phoneMasked: null } }),
    ])
    expect(page.indexOf('/inbox/cnv_urgent')).toBeLessThan(page.indexOf('/inbox/cnv_named'))
    expect(page).toContain('2 unread')
    expect(page).toContain('Needs a person')
    expect(page).toMatch(/Red flag: [^<;]+;/)
    expect(page).not.toContain('red-flag:')
    expect(page).toContain('•••• ••• 123')
    expect(page).toContain('>Sam<')
    // Only the six-character label of the hash, never the hash itself.
    expect(page).toContain('Caller abcdef')
    expect(page).not.toContain('abcdef0123456789')
    expect(page).toContain('1 need a person · 3 unread messages')
    expectPhoneSafe(page)
  })

  it('offers assignment to members who may act, and nothing to change for read-only roles', async () => {
    const rows = [summary(), summary({ id: 'cnv_mine', assignedTo: ME })]
    const editable = await inbox(rows)
    expect(editable).toContain('action="/inbox/cnv_1/assign"')
    expect(editable).toContain('Assign to me')
    expect(editable).toContain('Unassign')
    const readOnly = await inbox(rows, { canEdit: false })
    expect(readOnly).not.toContain('/assign"')
    expect(readOnly).not.toContain('method="post" action="/inbox')
  })

  it('keeps the filters in the form and in the next page link', async () => {
    const page = await inbox([summary()], {
      filters: { status: 'needs-human', channel: 'whatsapp', who: 'me' },
      nextCursor: 'CUR',
    })
    expect(page).toMatch(/<option value="needs-human" selected="">/)
    expect(page).toMatch(/<option value="whatsapp" selected="">/)
    expect(page).toMatch(/<option value="me" selected="">/)
    expect(page).toContain(
      'href="/inbox?status=needs-human&amp;channel=whatsapp&amp;who=me&amp;cursor=CUR"',
    )
    for (const label of ['Status', 'Channel', 'Assigned']) {
      expect(page).toMatch(new RegExp(`<label for="f-[a-z]+">${label}</label>`))
    }
  })

  it('says so when there is nothing to show', async () => {
    expect(await inbox([])).toContain('No conversations here.')
  })
})

describe('the thread page', () => {
  const detail = (over: Partial<ConversationDetailView> = {}): ConversationDetailView => ({
    ...summary({
      status: 'needs-human',
      priority: { score: 90, reasons: ['red-flag:knocked-out-tooth'] },
    }),
    messages: [
      message({
        triage: {
          intent: 'clinical',
          redFlags: ['knocked-out-tooth'],
          handoff: true,
          reason: 'red-flag:knocked-out-tooth',
        },
      }),
      message({
        id: 'msg_2',
        direction: 'outbound',
        author: 'ai',
        body: 'Please call NHS 111',
        status: 'sent',
        createdAt: '2026-12-01T10:16:00.000Z',
      }),
    ],
    ...over,
  })

  it('shows messages oldest first with author, time, status and the triage for staff', async () => {
    const page = await thread(detail())
    expect(page.indexOf('hygienist appointment')).toBeLessThan(page.indexOf('Please call NHS 111'))
    expect(page).toContain('<strong>Patient</strong>')
    expect(page).toContain('<strong>AI assistant</strong>')
    expect(page).toContain('1 Dec 2026, 10:15')
    expect(page).toContain('Read as: clinical')
    expect(page).toMatch(/Red flag: [A-Z]/)
    expect(page).not.toContain('knocked-out-tooth')
    expectPhoneSafe(page)
  })

  it('offers reply, the status changes other than the current one, assign, book and call back', async () => {
    const page = await thread(detail({ status: 'human' }))
    expect(page).toContain('action="/inbox/cnv_1/reply"')
    expect(page).toMatch(
      /<label for="f-body">Your reply<\/label>\s*<textarea id="f-body" name="body"/,
    )
    expect(page).not.toContain('>Take over<')
    expect(page).toContain('>Hand back to the AI<')
    expect(page).toContain('>Close<')
    expect(page).toContain('action="/inbox/cnv_1/assign"')
    expect(page).toContain('action="/conversations/cnv_1/book"')
    expect(page).toContain('action="/conversations/cnv_1/call"')
    expect(page).toContain('<option value="trt_1">Hygienist</option>')
    // No script needed for any of it.
    expect(page).not.toMatch(/<script/)
  })

  it('shows nothing to act with to a role that may only read', async () => {
    const page = await thread(detail(), { canEdit: false, canBook: false, canCall: false })
    expect(page).toContain('Please call NHS 111')
    expect(page).not.toMatch(/method="post" action="\/(inbox|conversations)/)
  })

  it('re-renders a refused reply and booking with their messages', async () => {
    const page = await thread(detail(), {
      reply: { values: { body: 'draft' }, errors: { body: 'Write a reply first.' }, error: 'No.' },
      book: { values: { value: 'abc' }, errors: { value: 'Enter an amount in pounds.' } },
    })
    expect(page).toContain('Write a reply first.')
    expect(page).toContain('aria-invalid="true"')
    expect(page).toContain('>draft</textarea>')
    expect(page).toContain('Enter an amount in pounds.')
  })
})

// ---------------------------------------------------------------------------------------------
// Handlers, in workerd against D1

const db = createDb(env.DB)

function form(fields: Record<string, string>, headers: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  }
}

/** A conversation row as the engine stores it (sealed contact optional: null = no number). */
async function seedConversation(
  clinicId: string,
  over: Partial<typeof conversations.$inferInsert> = {},
) {
  const id = newId('cnv')
  await db.insert(conversations).values({
    id,
    clinicId,
    channel: 'sms',
    contactHash: `h${id}`.padEnd(32, '0'),
    contactSealed: null,
    phoneMasked: '•••• ••• 123',
    lastMessageAt: Date.now() - 60_000,
    ...over,
  })
  return id
}

describe('booking from a conversation', () => {
  it("books for the conversation's contact and shows the appointment with its attribution", async () => {
    const clinic = await createTestClinic()
    const receptionist = await clinic.as('receptionist')
    const id = await seedConversation(clinic.clinicId)
    const res = await call(
      `/conversations/${id}/book`,
      form(
        { treatmentId: '', value: '£85.50', scheduledFor: '2026-12-09T09:30' },
        receptionist.headers,
      ),
    )
    expect(res.status).toBe(303)
    const to = res.headers.get('location') ?? ''
    expect(to).toMatch(/^\/appointments\/apt_/)
    const [row] = await db
      .select()
      .from(appointments)
      .where(
        and(eq(appointments.clinicId, clinic.clinicId), eq(appointments.id, to.split('/')[2]!)),
      )
    expect(row?.callerHash).toBe(`h${id}`.padEnd(32, '0'))
    expect(row?.valuePence).toBe(8550)
    const page = await (await call(to, { headers: receptionist.headers })).text()
    expect(page).toContain('Why it counts')
  })

  it("refuses a value that is not money, and another clinic's conversation, changing nothing", async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const owner = await clinic.as('owner')
    const id = await seedConversation(clinic.clinicId)
    const foreign = await seedConversation(other.clinicId)
    const bad = await call(`/conversations/${id}/book`, form({ value: 'lots' }, owner.headers))
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('amount in pounds')
    const elsewhere = await call(`/conversations/${foreign}/book`, form({}, owner.headers))
    expect(elsewhere.status).toBe(404)
    const rows = await db
      .select()
      .from(appointments)
      .where(eq(appointments.clinicId, clinic.clinicId))
    expect(rows).toHaveLength(0)
  })

  it('is refused to an analyst (read-only)', async () => {
    const clinic = await createTestClinic()
    const analyst = await clinic.as('analyst')
    const id = await seedConversation(clinic.clinicId)
    const res = await call(`/conversations/${id}/book`, form({}, analyst.headers))
    expect(res.status).toBe(403)
  })
})

describe('calling back from a conversation', () => {
  it('places the call (sandboxed in tests) and returns to the thread with a notice', async () => {
    const clinic = await createTestClinic()
    const receptionist = await clinic.as('receptionist')
    const id = await seedConversation(clinic.clinicId, { contactSealed: 'sealed-number' })
    const res = await call(`/conversations/${id}/call`, form({}, receptionist.headers))
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/inbox/${id}?done=call-sandboxed`)
  })

  it('says there is no one to call when the number is not kept', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const id = await seedConversation(clinic.clinicId)
    const res = await call(`/conversations/${id}/call`, form({}, owner.headers))
    expect(res.status).toBe(409)
  })

  it("sends the call page's conversation link to the thread", async () => {
    const res = await call('/conversations/cnv_x', { redirect: 'manual' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/inbox/cnv_x')
  })
})

// ---------------------------------------------------------------------------------------------
// The handlers over a recording stand-in for the conversation service (the real one is tested in
// test/conversations*.test.ts)

/** A service stand-in holding one conversation and recording every call the handlers make. */
function fakeService(clinicId: string, detail: ConversationDetailView) {
  const calls: [string, unknown][] = []
  const svc: ConversationsPort = {
    listConversations: async (_db, id, query) => {
      calls.push(['list', query])
      return { items: id === clinicId ? [detail] : [], nextCursor: null }
    },
    getConversation: async (deps, id) => {
      calls.push(['get', { id, actor: deps.actor }])
      return deps.clinicId === clinicId && id === detail.id ? detail : null
    },
    conversationCounts: async () => ({ needsHuman: 1, unread: detail.unreadCount }),
    replyAsStaff: async (_env, input) => {
      calls.push(['reply', input])
      return { id: 'cmsg_x', status: 'queued' as const }
    },
    setConversationStatus: async (_env, input) => {
      calls.push(['status', input])
      return detail
    },
    assignConversation: async (_db, input) => {
      calls.push(['assign', input])
      return detail
    },
    markConversationRead: async (_db, input) => void calls.push(['read', input]),
  }
  const h = inboxHandlers(svc)
  const app = new Hono<AppEnv>()
  app.use('*', async (c, next) => {
    c.set('config', getConfig(c.env))
    c.set('db', createDb(c.env.DB))
    await next()
  })
  // As the dashboard router does: a 4xx problem is its error page.
  app.onError((err, c) =>
    err instanceof ProblemError && err.status < 500
      ? renderError(c, err.status, 'x')
      : c.text('', 500),
  )
  app.get('/inbox', h.inboxPage)
  app.get('/inbox/:id', h.conversationPage)
  app.post('/inbox/:id/reply', h.replyPost)
  app.post('/inbox/:id/status', h.statusPost)
  app.post('/inbox/:id/assign', h.assignPost)
  const fetchApp = (path: string, init: RequestInit = {}) =>
    app.request(path, { redirect: 'manual', ...init }, env)
  return { calls, fetch: fetchApp }
}

describe('the inbox handlers', () => {
  const detailFor = (): ConversationDetailView => ({
    ...summary({ id: 'cnv_h', status: 'ai', unreadCount: 2 }),
    messages: [message()],
  })

  it('maps the filters to the service (assigned to me, unassigned; unknown values ignored)', async () => {
    const clinic = await createTestClinic()
    const me = await clinic.as('receptionist')
    const { calls, fetch } = fakeService(clinic.clinicId, detailFor())
    const page = await (
      await fetch('/inbox?who=me&status=needs-human&channel=sms', { headers: me.headers })
    ).text()
    expect(page).toContain('/inbox/cnv_h')
    await fetch('/inbox?who=unassigned&status=bogus&cursor=x', { headers: me.headers })
    expect(calls.filter(([k]) => k === 'list').map(([, q]) => q)).toEqual([
      { status: 'needs-human', channel: 'sms', assignedTo: me.userId, limit: 50, cursor: null },
      { status: undefined, channel: undefined, assignedTo: null, limit: 50, cursor: 'x' },
    ])
  })

  it('opening a thread reads it through the audited service and marks it read', async () => {
    const clinic = await createTestClinic()
    const me = await clinic.as('receptionist')
    const { calls, fetch } = fakeService(clinic.clinicId, detailFor())
    const res = await fetch('/inbox/cnv_h', { headers: me.headers })
    expect(res.status).toBe(200)
    expect(calls).toContainEqual(['get', { id: 'cnv_h', actor: `user:${me.userId}` }])
    expect(calls).toContainEqual(['read', { clinicId: clinic.clinicId, conversationId: 'cnv_h' }])
    expect((await fetch('/inbox/cnv_other', { headers: me.headers })).status).toBe(404)
  })

  it('a staff reply goes to the service (which sets status human); an empty one re-renders, sending nothing', async () => {
    const clinic = await createTestClinic()
    const me = await clinic.as('receptionist')
    const { calls, fetch } = fakeService(clinic.clinicId, detailFor())
    const empty = await fetch('/inbox/cnv_h/reply', form({ body: '   ' }, me.headers))
    expect(empty.status).toBe(400)
    expect(await empty.text()).toContain('Write a reply first.')
    expect(calls.some(([k]) => k === 'reply')).toBe(false)
    const sent = await fetch('/inbox/cnv_h/reply', form({ body: ' See you Tuesday ' }, me.headers))
    expect(sent.status).toBe(303)
    expect(sent.headers.get('location')).toBe('/inbox/cnv_h?done=replied')
    expect(calls).toContainEqual([
      'reply',
      {
        clinicId: clinic.clinicId,
        conversationId: 'cnv_h',
        userId: me.userId,
        body: 'See you Tuesday',
      },
    ])
  })

  it('takes over, hands back, closes and assigns; refuses a status it does not offer', async () => {
    const clinic = await createTestClinic()
    const me = await clinic.as('owner')
    const { calls, fetch } = fakeService(clinic.clinicId, detailFor())
    for (const status of ['human', 'ai', 'closed']) {
      const res = await fetch('/inbox/cnv_h/status', form({ status }, me.headers))
      expect(res.headers.get('location')).toBe(`/inbox/cnv_h?done=status-${status}`)
    }
    expect(
      (await fetch('/inbox/cnv_h/status', form({ status: 'needs-human' }, me.headers))).status,
    ).toBe(400)
    expect(calls.filter(([k]) => k === 'status')).toHaveLength(3)
    const back = await fetch(
      '/inbox/cnv_h/assign',
      form({ to: 'me', back: '/inbox?who=me' }, me.headers),
    )
    expect(back.headers.get('location')).toBe('/inbox?who=me')
    const away = await fetch(
      '/inbox/cnv_h/assign',
      form({ to: '', back: 'https://evil.example/' }, me.headers),
    )
    expect(away.headers.get('location')).toBe('/inbox/cnv_h')
    expect(calls.filter(([k]) => k === 'assign').map(([, i]) => i)).toEqual([
      { clinicId: clinic.clinicId, conversationId: 'cnv_h', assignedTo: me.userId },
      { clinicId: clinic.clinicId, conversationId: 'cnv_h', assignedTo: null },
    ])
  })

  it('lets receptionists in, keeps analysts out (conversations:read), and changes nothing for them', async () => {
    const clinic = await createTestClinic()
    const analyst = await clinic.as('analyst')
    const { calls, fetch } = fakeService(clinic.clinicId, detailFor())
    expect((await fetch('/inbox', { headers: analyst.headers })).status).toBe(403)
    expect((await fetch('/inbox/cnv_h/reply', form({ body: 'x' }, analyst.headers))).status).toBe(
      403,
    )
    expect(calls).toEqual([])
  })
})
