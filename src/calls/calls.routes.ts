/** Calls API: zod schemas and OpenAPI route definitions (handlers in calls.index.ts). */

import { z } from '@hono/zod-openapi'
import { jsonBody, listResponses, problems } from '../auth/openapi'
import { guardedRoute } from '../auth/route'
import { InstantSchema } from '../lib/calendar-date'
import { CursorSchema, LimitSchema } from '../lib/pagination'

export const CallSchema = z
  .object({
    id: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    status: z.enum(['missed', 'answered', 'voicemail']),
    startedAt: z.string().openapi({ example: '2026-11-23T09:15:00Z' }),
    callerHash: z
      .string()
      .nullable()
      .openapi({ description: 'Clinic-scoped keyed hash of the caller; null when withheld.' }),
    calledBackAt: z.string().nullable(),
    textedBackAt: z.string().nullable(),
    recoveredAppointmentId: z.string().nullable(),
  })
  .openapi('Call')

/** A single call may still be in progress, which the list leaves out. */
export const CallDetailSchema = CallSchema.extend({
  status: z.enum(['ringing', 'missed', 'answered', 'voicemail']),
  textBackStatus: z.enum(['none', 'queued', 'sent', 'failed', 'suppressed', 'held-out']),
  textBackReason: z.string().nullable(),
  voicemailSeconds: z.number().int().nullable(),
}).openapi('CallDetail')

export const ListCallsQuery = z.object({
  from: InstantSchema.optional().openapi({
    description: 'Calls that started at or after this time (years 2000–2100).',
  }),
  to: InstantSchema.optional().openapi({
    description: 'Calls that started before this time (years 2000–2100; not before `from`).',
  }),
  status: z.enum(['missed', 'answered', 'voicemail']).optional().openapi({
    description:
      'Exact status. Calls still ringing are never listed. Voicemails count as missed in metrics, but `status=missed` lists only missed calls without a voicemail.',
  }),
  direction: z.enum(['inbound', 'outbound']).optional(),
  limit: LimitSchema,
  cursor: CursorSchema,
})

export const listCalls = guardedRoute('calls:read', {
  method: 'get',
  path: '/calls',
  tags: ['Calls'],
  summary: 'List calls, newest first',
  request: { query: ListCallsQuery },
  responses: listResponses(CallSchema, 'A page of calls'),
})

export const getCall = guardedRoute('calls:read', {
  method: 'get',
  path: '/calls/{id}',
  tags: ['Calls'],
  summary: 'One call',
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: {
    200: { description: 'The call', content: { 'application/json': { schema: CallDetailSchema } } },
    ...problems(401, 403, 404),
  },
})

export const CreateCallbackBody = z.object({
  phone: z
    .string()
    .min(3)
    .max(40)
    .openapi({ description: 'The number called back, in any common UK or E.164 form.' }),
  at: InstantSchema.optional().openapi({
    description: 'When the callback was made (default: now; years 2000–2100).',
  }),
})

export const createCallback = guardedRoute('calls:write', {
  method: 'post',
  path: '/calls/callbacks',
  tags: ['Calls'],
  summary: 'Log a callback made outside Twilio',
  description:
    "Records an outbound call to the number and marks that caller's earlier missed calls without a callback as called back.",
  request: {
    body: jsonBody(CreateCallbackBody),
  },
  responses: {
    201: {
      description: 'The logged callback',
      content: {
        'application/json': {
          schema: CallSchema.extend({
            calledBackCallIds: z
              .array(z.string())
              .openapi({ description: 'The missed calls this callback answered.' }),
          }),
        },
      },
    },
    ...problems(400, 401, 403, 415),
  },
})
