/**
 * The inbox and thread handlers, over the conversation service's exports (by their exact names,
 * src/conversations/conversations.service.ts on wip/engine). Wire with `inboxHandlers(service)`.
 */

import { z } from 'zod'
import { listTreatments } from '../../clinic/setup'
import type * as service from '../../conversations/conversations.service'
import { actorOf } from '../../lib/context'
import { notFound } from '../../lib/problem'
import { safeNextPath } from '../../lib/redirect'
import { canEdit } from '../access'
import {
  type Ctx,
  formOf,
  PAGE_SIZE,
  type PageState,
  page,
  renderError,
  viewLoader,
  viewOf,
  zodFieldErrors,
} from '../page-kit'
import { ConversationPage, threadNotice, threadPath } from './conversation.page'
import { InboxPage } from './inbox.page'

/**
 * What the pages need from the conversation service (one source for the API and the pages);
 * tests may pass a stand-in with the same functions.
 */
export type ConversationsPort = Pick<
  typeof service,
  | 'listConversations'
  | 'getConversation'
  | 'conversationCounts'
  | 'replyAsStaff'
  | 'setConversationStatus'
  | 'assignConversation'
  | 'markConversationRead'
>

const InboxQuery = z.object({
  status: z.enum(['needs-human', 'ai', 'human', 'closed']).optional().catch(undefined),
  channel: z.enum(['sms', 'whatsapp', 'web']).optional().catch(undefined),
  who: z.enum(['me', 'unassigned']).optional().catch(undefined),
  cursor: z.string().max(200).optional().catch(undefined),
})

/** Ten SMS segments: longer replies belong in a call. */
const REPLY_MAX = 1600
const REPLY_TOO_LONG = 'Keep a reply under 1,600 characters (ten text messages).'
const ReplyForm = z.object({
  body: z.string().trim().min(1, 'Write a reply first.').max(REPLY_MAX, REPLY_TOO_LONG),
})

const StatusForm = z.object({ status: z.enum(['ai', 'human', 'closed']) })

const AssignForm = z.object({ to: z.enum(['me', '']), back: z.string().optional() })

/**
 * A thread button's POST: the form checked by `schema` (else a 400 page saying `refused`), then
 * `act` on the conversation in the path, which answers where to go next.
 */
async function formAction<S extends z.ZodType>(
  c: Ctx,
  schema: S,
  refused: string,
  act: (conversationId: string, form: z.infer<S>) => Promise<string>,
) {
  const parsed = schema.safeParse(await formOf(c))
  if (!parsed.success) return renderError(c, 400, refused)
  return c.redirect(await act(c.req.param('id') ?? '', parsed.data), 303)
}

type ThreadExtra = Pick<Parameters<typeof ConversationPage>[0], 'reply' | 'book'>

/** The pages' handlers over `svc`: GET /inbox, GET /inbox/:id, POST /inbox/:id/{reply,status,assign}. */
export function inboxHandlers(svc: ConversationsPort) {
  /** The thread page; opening it (a GET) marks the conversation read. The read is audited by the service. */
  const renderThread = viewLoader<ThreadExtra>(async (c: Ctx, s: PageState, extra) => {
    const id = c.req.param('id') ?? ''
    const deps = { db: c.var.db, env: c.env, clinicId: s.clinic.id, actor: actorOf(s.principal) }
    const conversation = id.length <= 64 ? await svc.getConversation(deps, id) : null
    if (!conversation) throw notFound('No such conversation.')
    if (c.req.method === 'GET' && conversation.unreadCount > 0) {
      await svc.markConversationRead(c.var.db, { clinicId: s.clinic.id, conversationId: id })
    }
    const canBook = canEdit(s.principal.role, 'appointments')
    // One page of the price list is the whole of it for a clinic (the API's upper limit).
    const list = canBook ? await listTreatments(c.var.db, s.clinic.id, { limit: 500 }) : null
    return (
      <ConversationPage
        {...viewOf(c, s, 'inbox')}
        notice={threadNotice(c)}
        canBook={canBook}
        canCall={canEdit(s.principal.role, 'worklist')}
        me={s.principal.actorId}
        conversation={conversation}
        treatments={list?.items ?? []}
        {...extra}
      />
    )
  })

  return {
    /** GET /inbox: needs-human first, then newest (the service's order), filtered and paged. */
    inboxPage: page('inbox', async (c, s) => {
      const { cursor, ...filters } = InboxQuery.parse(c.req.query())
      const me = s.principal.actorId
      const assignedTo = filters.who === 'me' ? me : filters.who === 'unassigned' ? null : undefined
      const [list, counts] = await Promise.all([
        svc.listConversations(c.var.db, s.clinic.id, {
          status: filters.status,
          channel: filters.channel,
          assignedTo,
          limit: PAGE_SIZE,
          cursor: cursor ?? null,
        }),
        svc.conversationCounts(c.var.db, s.clinic.id),
      ])
      return c.html(
        <InboxPage
          {...viewOf(c, s, 'inbox')}
          me={me}
          filters={filters}
          counts={counts}
          rows={list.items}
          nextCursor={list.nextCursor}
        />,
      )
    }),

    /** GET /inbox/:id */
    conversationPage: page('inbox', (c, s) => renderThread(c, s)),

    /** POST /inbox/:id/reply: the staff reply goes out and the AI stops (status `human`). */
    replyPost: page('inbox', async (c, s) => {
      const form = await formOf(c)
      const parsed = ReplyForm.safeParse(form)
      if (!parsed.success) {
        const errors = zodFieldErrors(parsed.error)
        const reply = { values: { body: form.body }, errors, error: errors.body ?? null }
        return renderThread(c, s, { reply }, 400)
      }
      const conversationId = c.req.param('id') ?? ''
      await svc.replyAsStaff(c.env, {
        clinicId: s.clinic.id,
        conversationId,
        userId: s.principal.actorId,
        body: parsed.data.body,
      })
      return c.redirect(threadPath(conversationId, 'replied'), 303)
    }),

    /** POST /inbox/:id/status: take over, hand back to the AI, or close. */
    statusPost: page('inbox', (c, s) =>
      formAction(c, StatusForm, 'Choose what to do with the conversation.', async (id, form) => {
        const input = { clinicId: s.clinic.id, conversationId: id, userId: s.principal.actorId }
        await svc.setConversationStatus(c.env, { ...input, status: form.status })
        return threadPath(id, `status-${form.status}`)
      }),
    ),

    /** POST /inbox/:id/assign: to me, or to nobody; back to the list or thread it came from. */
    assignPost: page('inbox', (c, s) =>
      formAction(c, AssignForm, 'Choose who the conversation is for.', async (id, form) => {
        const assignedTo = form.to === 'me' ? s.principal.actorId : null
        await svc.assignConversation(c.var.db, {
          clinicId: s.clinic.id,
          conversationId: id,
          assignedTo,
        })
        const back = safeNextPath(form.back)
        return back.startsWith('/inbox') ? back : threadPath(id)
      }),
    ),
  }
}
