/** Conversations API: zod schemas and OpenAPI route definitions (handlers in conversations.index.ts). */
import { z } from '@hono/zod-openapi'
import {
  answers,
  byId,
  IdParamSchema,
  jsonBody,
  jsonResponse,
  listing,
  noContent,
  problems,
} from '../auth/openapi'
import { guardedRoutes } from '../auth/route'
import { CursorSchema, LimitSchema } from '../lib/pagination'

const route = guardedRoutes('Conversations')

const Status = z.enum(['ai', 'needs-human', 'human', 'closed'])
const Channel = z.enum(['sms', 'whatsapp', 'web'])

export const ConversationSchema = z
  .object({
    id: z.string(),
    channel: Channel,
    contactHash: z.string(),
    status: Status,
    priority: z.object({
      score: z.number().int().min(0).max(100),
      reasons: z.array(z.string()).openapi({
        description: 'Red flags first (`red-flag:<id>`), then hand-over reasons and intent.',
      }),
    }),
    assignedTo: z.string().nullable(),
    lastMessageAt: z.string().openapi({ example: '2026-11-23T09:15:00Z' }),
    unreadCount: z.number().int(),
    contact: z.object({ displayName: z.string().nullable(), phoneMasked: z.string().nullable() }),
  })
  .openapi('Conversation')

const MessageSchema = z
  .object({
    id: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    author: z.enum(['patient', 'ai', 'staff', 'system']),
    body: z.string(),
    status: z.string().openapi({
      description:
        'received (a patient message); queued, sending, sent, delivered, undelivered, failed; sandboxed (kept in the outbox, not sent); suppressed (blocked by consent or the WhatsApp window).',
    }),
    createdAt: z.string(),
    triage: z
      .object({
        intent: z.string(),
        redFlags: z.array(z.string()),
        handoff: z.boolean(),
        reason: z.string().nullable(),
      })
      .nullable(),
  })
  .openapi('ConversationMessage')

const ConversationDetailSchema = ConversationSchema.extend({
  messages: z.array(MessageSchema).openapi({ description: 'Oldest first (the newest 200).' }),
}).openapi('ConversationDetail')

const ListConversationsQuery = z.object({
  status: Status.optional(),
  channel: Channel.optional(),
  assignedTo: z
    .string()
    .max(64)
    .optional()
    .openapi({ description: 'A member’s id, or `none` for unassigned.' }),
  limit: LimitSchema,
  cursor: CursorSchema,
})

export const listConversationsRoute = route('conversations:read', 'get /conversations', {
  summary: 'The inbox: needs-human first, then newest',
  ...listing(ConversationSchema, 'A page of conversations', ListConversationsQuery),
})

export const getConversationRoute = route('conversations:read', 'get /conversations/{id}', {
  summary: 'One conversation with its messages (an audited read)',
  ...byId(ConversationDetailSchema, 'The conversation'),
})

export const postMessageRoute = route('conversations:write', 'post /conversations/{id}/messages', {
  summary: 'Reply as staff (the AI stops: the conversation becomes `human`)',
  description:
    'Queued and sent from the number the patient wrote to. 409 when the patient has opted out or restricted processing. On WhatsApp outside the 24-hour window the reply goes as the approved template (TWILIO_WHATSAPP_TEMPLATE_SID), or is suppressed when none is configured.',
  request: {
    params: IdParamSchema,
    body: jsonBody(z.object({ body: z.string().trim().min(1).max(1600) })),
  },
  responses: {
    202: jsonResponse(z.object({ id: z.string(), status: z.literal('queued') }), 'Queued'),
    ...problems(400, 401, 403, 404, 409, 415),
  },
})

export const setStatusRoute = route('conversations:write', 'post /conversations/{id}/status', {
  summary: 'Hand back to the AI, take over, or close',
  request: {
    params: IdParamSchema,
    body: jsonBody(z.object({ status: z.enum(['ai', 'human', 'closed']) })),
  },
  responses: answers(200, ConversationSchema, 'The conversation', 400, 401, 403, 404, 415),
})

export const assignRoute = route('conversations:write', 'post /conversations/{id}/assign', {
  summary: 'Assign to a member of the team (or nobody)',
  request: {
    params: IdParamSchema,
    body: jsonBody(z.object({ userId: z.string().min(1).max(64).nullable() })),
  },
  responses: answers(200, ConversationSchema, 'The conversation', 400, 401, 403, 404, 415),
})

export const markReadRoute = route('conversations:write', 'post /conversations/{id}/read', {
  summary: 'Mark every message read',
  request: { params: IdParamSchema },
  responses: noContent('Read', 401, 403, 404),
})
