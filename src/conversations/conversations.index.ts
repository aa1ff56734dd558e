/**
 * Conversations API (mounted at /api/v1): the inbox, one thread (audited), staff replies, status
 * changes, assignment and read marks — all through conversations.service.ts, the same service
 * the dashboard's inbox pages use. Another clinic's conversation answers 404.
 */
import { actorOf, type Principal } from '../lib/context'
import { createRouter } from '../lib/create-app'
import { notFound } from '../lib/problem'
import {
  assignRoute,
  getConversationRoute,
  listConversationsRoute,
  markReadRoute,
  postMessageRoute,
  setStatusRoute,
} from './conversations.routes'
import {
  assignConversation,
  getConversation,
  listConversations,
  markConversationRead,
  replyAsStaff,
  setConversationStatus,
} from './conversations.service'
import { findConversation } from './store'

/** Who acts on which conversation: the signed-in member of the clinic. */
function staffOn(principal: Principal, conversationId: string) {
  return { clinicId: principal.clinicId, conversationId, userId: principal.actorId }
}

export const conversationsRouter = createRouter()
  .openapi(listConversationsRoute, async (c) => {
    const q = c.req.valid('query')
    const page = await listConversations(c.var.db, c.var.principal.clinicId, {
      status: q.status,
      channel: q.channel,
      assignedTo: q.assignedTo === 'none' ? null : q.assignedTo,
      limit: q.limit,
      cursor: q.cursor ?? null,
    })
    return c.json(page, 200)
  })
  .openapi(getConversationRoute, async (c) => {
    const principal = c.var.principal
    const found = await getConversation(
      { db: c.var.db, env: c.env, clinicId: principal.clinicId, actor: actorOf(principal) },
      c.req.valid('param').id,
    )
    if (!found) throw notFound('No such conversation.')
    return c.json(found, 200)
  })
  .openapi(postMessageRoute, async (c) => {
    const queued = await replyAsStaff(c.env, {
      ...staffOn(c.var.principal, c.req.valid('param').id),
      body: c.req.valid('json').body,
    })
    return c.json(queued, 202)
  })
  .openapi(setStatusRoute, async (c) => {
    const summary = await setConversationStatus(c.env, {
      ...staffOn(c.var.principal, c.req.valid('param').id),
      status: c.req.valid('json').status,
    })
    return c.json(summary, 200)
  })
  .openapi(assignRoute, async (c) => {
    const { clinicId } = c.var.principal
    const { userId } = c.req.valid('json')
    const summary = await assignConversation(c.var.db, {
      clinicId,
      conversationId: c.req.valid('param').id,
      assignedTo: userId,
    })
    return c.json(summary, 200)
  })
  .openapi(markReadRoute, async (c) => {
    const { clinicId } = c.var.principal
    const id = c.req.valid('param').id
    if (!(await findConversation(c.var.db, clinicId, id))) throw notFound('No such conversation.')
    await markConversationRead(c.var.db, { clinicId, conversationId: id })
    return c.body(null, 204)
  })
