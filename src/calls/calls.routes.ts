/** Calls API: zod schemas and OpenAPI route definitions (handlers in calls.index.ts). */

import { z } from '@hono/zod-openapi'
import { IdParamSchema, jsonBody, listing, problem, problems } from '../auth/openapi'
import { guardedRoutes } from '../auth/route'
import { InstantSchema } from '../lib/calendar-date'
import { CursorSchema, LimitSchema } from '../lib/pagination'

const callsRoute = guardedRoutes('Calls')
const conversationsRoute = guardedRoutes('Conversations')

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

export const listCalls = callsRoute('calls:read', 'get /calls', {
  summary: 'List calls, newest first',
  ...listing(CallSchema, 'A page of calls', ListCallsQuery),
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

export const createCallback = callsRoute('calls:write', 'post /calls/callbacks', {
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

export const ResolutionSchema = z
  .object({
    outcome: z.enum(['called-back', 'booked', 'not-needed']),
    at: z.string(),
    by: z.string().openapi({ description: 'Who resolved it: `user:<id>` or `api-key:<id>`.' }),
  })
  .openapi('CallResolution')

const OtherCallSchema = z.object({
  id: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  status: z.enum(['ringing', 'missed', 'answered', 'voicemail']),
  startedAt: z.string(),
  finalCallStatus: z
    .string()
    .nullable()
    .openapi({ description: "Twilio's last status (`no-answer` for an unanswered callback)." }),
})

const TextSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['text-back', 'reply', 'reminder', 'follow-up', 'automation', 'email']),
    channel: z.enum(['sms', 'whatsapp', 'email']),
    status: z.string(),
    toMasked: z.string(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
  })
  .openapi({ description: 'A message sent to this caller: metadata only, never the body.' })

/** The call page's whole story: additive to `CallDetail`. */
export const CallStoryFields = {
  resolution: ResolutionSchema.nullable(),
  recording: z
    .object({ durationSeconds: z.number().int() })
    .nullable()
    .openapi({ description: 'The voicemail, when its audio is held (GET …/recording plays it).' }),
  otherCalls: z
    .array(OtherCallSchema)
    .openapi({ description: "The caller's other calls, newest first (at most 20)." }),
  texts: z.array(TextSchema).openapi({ description: 'Messages to this caller, newest first.' }),
  conversationId: z.string().nullable(),
  attribution: z
    .object({
      appointmentId: z.string(),
      path: z.enum(['callback', 'text-back', 'return-call', 'direct']).nullable(),
      valuePence: z.number().int(),
      explanation: z.string(),
    })
    .nullable()
    .openapi({ description: 'The booking this missed call recovered, and why it counts.' }),
}

export const CallStorySchema = CallDetailSchema.extend(CallStoryFields).openapi('CallStory')

export const getCall = callsRoute('calls:read', 'get /calls/{id}', {
  summary: 'One call',
  request: { params: IdParamSchema },
  responses: {
    200: {
      description:
        "The call, its recording, the caller's other calls and texts, and what came of it",
      content: { 'application/json': { schema: CallStorySchema } },
    },
    ...problems(401, 403, 404),
  },
})

export const getCallRecording = callsRoute('calls:read', 'get /calls/{id}/recording', {
  summary: "The voicemail's audio",
  description: 'Audited as a read of personal data. 404 when there is none or it was purged.',
  request: { params: IdParamSchema },
  responses: {
    200: {
      description: 'The audio',
      content: {
        'audio/mpeg': { schema: z.string().openapi({ format: 'binary' }) },
        'audio/wav': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
    ...problems(401, 403, 404),
  },
})

export const CallBackBody = z
  .object({
    staffPhone: z.string().min(3).max(40).optional().openapi({
      description: "The phone Twilio rings first (default: the tracking number's forwardTo).",
    }),
  })
  .strict()

export const CallBackAcceptedSchema = z
  .object({
    id: z.string().openapi({ description: "Twilio's sid of the staff leg (sandbox: our id)." }),
    status: z.enum(['queued', 'sandboxed']).openapi({
      description: '`sandboxed`: no Twilio account, nothing was placed (never counted).',
    }),
  })
  .openapi('CallBackAccepted')

const CLICK_TO_CALL =
  "Twilio rings the staff phone, then bridges to the patient with the tracking number as caller id. The patient's number is read from Twilio's record of the call at that moment and is never stored. The bridged leg's status callback records a callback like any other."

/** What both click-to-call routes take and answer. */
const clickToCall = {
  request: { params: IdParamSchema, body: jsonBody(CallBackBody) },
  responses: {
    202: {
      description: 'The call is being placed',
      content: { 'application/json': { schema: CallBackAcceptedSchema } },
    },
    ...problems(400, 401, 403, 404, 409, 415),
    502: problem('Twilio could not place the call; nothing changed.'),
  },
}

export const callBackRoute = callsRoute('calls:act', 'post /calls/{id}/call-back', {
  summary: 'Ring the caller back from a staff phone (click-to-call)',
  description: CLICK_TO_CALL,
  ...clickToCall,
})

export const conversationCallRoute = conversationsRoute(
  'calls:act',
  'post /conversations/{id}/call',
  {
    summary: "Ring a conversation's contact from a staff phone (click-to-call)",
    description: `${CLICK_TO_CALL} For a conversation, the number is unsealed from the conversation.`,
    ...clickToCall,
  },
)

export const resolveCallRoute = callsRoute('calls:act', 'post /calls/{id}/resolve', {
  summary: 'Mark a missed call handled by hand',
  description:
    'The call leaves the waiting list; its status stays `missed`. Idempotent: the first resolution stands.',
  request: {
    params: IdParamSchema,
    body: jsonBody(z.object({ outcome: z.enum(['called-back', 'booked', 'not-needed']) })),
  },
  responses: {
    200: {
      description: 'The call with its resolution',
      content: { 'application/json': { schema: CallStorySchema } },
    },
    ...problems(400, 401, 403, 404, 409, 415),
  },
})
