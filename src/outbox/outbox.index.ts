/**
 * The outbox: every message Ringback sent or (in sandbox mode) kept instead of sending, newest
 * first. Recipients are shown masked to their last three digits; bodies are stored sealed and
 * opened here for display, so each read is audited as a read of personal data.
 */

import { z } from '@hono/zod-openapi'
import { audit } from '../audit/audit'
import { listing } from '../auth/openapi'
import { guardedRoutes } from '../auth/route'
import { outboundMessages } from '../db/schema'
import { actorOf } from '../lib/context'
import { createRouter } from '../lib/create-app'
import { decodeCursor, paginate } from '../lib/pagination'
import { toIso } from '../lib/time'
import { listOutbox } from './outbox.service'

const route = guardedRoutes('Messages')

const OutboxItemSchema = z
  .object({
    id: z.string().openapi({ example: 'out_01JD2Z8Y3K4M5N6P7Q8R9S0T1V' }),
    channel: z.enum(['sms', 'whatsapp', 'email']),
    to: z
      .string()
      .openapi({ description: 'Masked recipient: only the last three digits.', example: '•••123' }),
    body: z.string().nullable().openapi({
      description: 'The message text; null when the clinic key that sealed it is gone.',
    }),
    status: z.enum(outboundMessages.status.enumValues),
    createdAt: z.string().openapi({ example: '2026-11-23T09:15:00Z' }),
  })
  .openapi('OutboxMessage')

export const listOutboxRoute = route('outbox:read', 'get /outbox', {
  summary: 'Messages sent or kept in sandbox mode, newest first',
  ...listing(OutboxItemSchema, 'A page of outbox messages'),
})

export const outboxRouter = createRouter()

outboxRouter.openapi(listOutboxRoute, async (c) => {
  const { limit, cursor } = c.req.valid('query')
  const after = decodeCursor(cursor)
  const principal = c.var.principal
  const { db, config } = c.var
  const clinicId = principal.clinicId

  const rows = await listOutbox(db, config, clinicId, limit, after)
  const page = paginate(rows, limit, (r) => ({ t: r.createdAt, id: r.id }))
  const items = page.items.map((r) => ({
    id: r.id,
    channel: r.channel,
    to: r.toMasked,
    body: r.body,
    status: r.status,
    createdAt: toIso(r.createdAt),
  }))

  // Message bodies are personal data: the read itself goes on the audit trail (ids only).
  await audit(c.env, clinicId, {
    actor: actorOf(principal),
    action: 'outbox.read',
    target: 'outbox',
    details: { count: items.length },
  })

  return c.json({ items, nextCursor: page.nextCursor }, 200)
})
