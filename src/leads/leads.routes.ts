/** Forms, submissions and leads: zod schemas and OpenAPI route definitions (handlers in leads.index.ts). */
import { createRoute, z } from '@hono/zod-openapi'
import type { SchemaObject } from 'openapi3-ts/oas31'
import {
  answers,
  byId,
  IdParamSchema,
  listing,
  noContent,
  problems,
  withBody,
  withId,
} from '../auth/openapi'
import { guardedRoutes } from '../auth/route'
import { PageQuerySchema } from '../lib/pagination'
import { FORM_KINDS, FormPatchSchema, NewFormSchema } from './forms.service'
import { LEAD_STATUSES, LeadPatchSchema } from './leads.service'

const formsRoute = guardedRoutes('Forms')

const FormSchema = z
  .object({
    id: z.string().openapi({ example: 'frm_01JD3Q8Z5X0000000000000000' }),
    kind: z.enum(FORM_KINDS),
    name: z.string(),
    allowedOrigins: z.array(z.string()).openapi({ example: ['https://www.demo.clinic'] }),
    guideUrl: z.string().nullable(),
    embedSnippet: z.string(),
    hostedUrl: z.string(),
    createdAt: z.string(),
  })
  .openapi('Form')

const AttributionDoc = z
  .object({
    utmSource: z.string(),
    utmMedium: z.string(),
    utmCampaign: z.string(),
    utmTerm: z.string(),
    utmContent: z.string(),
    gclid: z.string(),
    gbraid: z.string(),
    wbraid: z.string(),
    fbclid: z.string(),
    landingPage: z.string(),
    referrer: z.string(),
  })
  .partial()
  .openapi('MarketingAttribution')

const ConsentChoiceDoc = z.object({
  given: z.boolean(),
  wording: z.string(),
  version: z.string(),
  at: z.string(),
})
const ConsentDoc = z
  .object({ service: ConsentChoiceDoc, marketing: ConsentChoiceDoc, ads: ConsentChoiceDoc })
  .openapi('ConsentRecord')

/** JSON Schema, not zod: the handler parses the body itself (JSON or multipart), see below. */
const str: SchemaObject = { type: 'string' }
const SubmissionDoc: SchemaObject = {
  type: 'object',
  required: ['name', 'consent'],
  properties: {
    name: str,
    email: str,
    phone: str,
    message: str,
    treatment: str,
    preferredTime: str,
    answers: {
      type: 'object',
      properties: {
        callsPerWeek: { type: 'integer' },
        answerRatePercent: { type: 'number' },
        averageValuePence: { type: 'integer' },
      },
    },
    consent: {
      type: 'object',
      required: ['marketing', 'ads'],
      properties: { marketing: { type: 'boolean' }, ads: { type: 'boolean' } },
    },
    attribution: { $ref: '#/components/schemas/MarketingAttribution' },
    'cf-turnstile-response': str,
  },
}

const SubmittedSchema = z
  .object({
    id: z.string(),
    leadId: z.string(),
    result: z
      .object({
        missedCallsPerMonth: z.number(),
        lostRevenuePencePerMonth: z.number(),
        recoverableRevenuePencePerMonth: z.number(),
      })
      .optional(),
    chat: z
      .object({
        conversationId: z.string(),
        token: z.string().openapi({
          description:
            'Connect a WebSocket to `/f/{formId}/chat?token=…` with it (valid 12 hours). Frames: see docs/LEADS.md "Web chat".',
        }),
      })
      .optional()
      .openapi({ description: 'A chat form: the conversation its first message opened.' }),
  })
  .openapi('FormSubmitted')

/** What a list shows of a person: initials and masks only. */
const MaskedContact = z.object({
  nameInitials: z.string().nullable(),
  emailMasked: z.string().nullable(),
  phoneMasked: z.string().nullable(),
})

const LeadSummarySchema = z
  .object({
    id: z.string().openapi({ example: 'led_01JD3Q8Z5X0000000000000000' }),
    status: z.enum(LEAD_STATUSES),
    source: z.object({
      kind: z.string(),
      formId: z.string().nullable(),
      channel: z.string().nullable(),
    }),
    attribution: AttributionDoc.nullable(),
    consent: ConsentDoc.nullable(),
    priority: z.object({ score: z.number().int().min(0).max(100), reasons: z.array(z.string()) }),
    assignedTo: z.string().nullable(),
    lastInteractionAt: z.string(),
    createdAt: z.string(),
    contact: MaskedContact,
  })
  .openapi('Lead')

const LeadDetailSchema = LeadSummarySchema.extend({
  contact: MaskedContact.extend({
    name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
  }),
  enquiries: z.array(
    z.object({
      id: z.string(),
      formId: z.string(),
      kind: z.string(),
      message: z.string().nullable(),
      treatment: z.string().nullable(),
      preferredTime: z.string().nullable(),
      scorecard: z.unknown(),
      createdAt: z.string(),
    }),
  ),
  photos: z.array(z.object({ id: z.string(), contentType: z.string(), bytes: z.number() })),
  timeline: z.array(
    z.object({
      kind: z.string(),
      ref: z.string().nullable(),
      at: z.string(),
      details: z.unknown(),
    }),
  ),
  appointmentId: z.string().nullable(),
  lastReplyAt: z.string().nullable(),
  conversations: z
    .array(
      z.object({
        id: z.string(),
        channel: z.string(),
        status: z.string(),
        lastMessageAt: z.string(),
      }),
    )
    .openapi({ description: 'Their conversations in the inbox, where staff reply.' }),
}).openapi('LeadDetail')

const ListLeadsQuery = PageQuerySchema.extend({
  status: z.enum(LEAD_STATUSES).optional(),
  kind: z.string().max(20).optional(),
})

/** A clinic's forms: managed by owners and admins, submitted to by anyone on an allowed site. */
export const formRoutes = {
  list: formsRoute('forms:read', 'get /forms', {
    summary: "The clinic's forms",
    ...listing(FormSchema, 'A page of forms'),
  }),
  create: formsRoute('forms:write', 'post /forms', {
    summary: 'Create an embeddable form (owner, admin)',
    description:
      '`allowedOrigins`: the sites that may embed it and post to it (the hosted page always may). `guideUrl`: for a guide form, the link emailed to whoever asks for the guide.',
    ...withBody(201, NewFormSchema, FormSchema, 'Created, with the snippet to paste'),
  }),
  patch: formsRoute('forms:write', 'patch /forms/{id}', {
    summary: 'Rename a form, or change where it may be embedded (owner, admin)',
    ...withId(withBody(200, FormPatchSchema, FormSchema, 'Updated')),
  }),
  /**
   * Public: anyone on an allowed origin may submit. The body is parsed by the handler (JSON, or
   * multipart with a `data` part and `photos` parts), so the route documents it without validating.
   */
  submit: createRoute({
    method: 'post',
    path: '/forms/{id}/submissions',
    tags: ['Forms'],
    summary: 'Submit a form (public; CORS limited to the form’s allowed origins)',
    description:
      'JSON, or multipart/form-data with the JSON fields in a part named `data` and up to 5 photos (JPEG, PNG, WebP or HEIC, ≤ 10 MB each, enquiry forms only) in parts named `photos`. Photos are checked by their bytes and stripped of location before they are stored. Outside sandbox mode the body carries a Turnstile token in `cf-turnstile-response`. One email or phone is required; a scorecard needs `answers` (its `result` comes back at once), a book-call form a `preferredTime` and a phone, a guide form an email, a chat form its first `message` (the answer carries the chat session).',
    request: {
      params: z.object({ id: z.string().min(1).max(64) }),
      body: {
        required: true,
        content: {
          'application/json': { schema: SubmissionDoc },
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: {
                data: { type: 'string', description: 'The JSON fields' },
                photos: { type: 'array', items: { type: 'string', format: 'binary' } },
              },
            },
          },
        },
      },
    },
    responses: answers(201, SubmittedSchema, 'Stored', 400, 403, 404, 413, 415, 429),
  }),
  guide: formsRoute('forms:write', 'put /forms/{id}/guide', {
    summary: 'Upload the guide file a guide form emails (PDF, up to 20 MB; owner, admin)',
    description:
      'Stored in R2; whoever submits the guide form gets an email with a link valid for 7 days. Without a file, the link leads to the form’s guideUrl.',
    request: {
      params: IdParamSchema,
      body: {
        required: true,
        content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
      },
    },
    responses: noContent('Stored', 400, 401, 403, 404, 413, 415),
  }),
}

const ConversionSchema = z
  .object({
    id: z.string().openapi({ description: 'Also the event id the platform de-duplicates on.' }),
    leadId: z.string(),
    appointmentId: z.string(),
    platform: z.enum(['google', 'meta']),
    status: z.enum(['queued', 'sent', 'failed', 'not-sendable', 'sandboxed']),
    reason: z.string().nullable(),
    sentAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Conversion')

const leadsRoute = guardedRoutes('Leads')

/** Leads: read and worked by the front desk. */
export const leadRoutes = {
  list: leadsRoute('leads:read', 'get /leads', {
    summary: 'Leads, most recent first, with their priority (0–100) and its reasons',
    ...listing(LeadSummarySchema, 'A page of leads', ListLeadsQuery),
  }),
  get: leadsRoute('leads:read', 'get /leads/{id}', {
    summary: 'One lead with its contact details, enquiries and timeline (an audited read)',
    ...byId(LeadDetailSchema, 'The lead'),
  }),
  photo: leadsRoute('leads:read', 'get /leads/{id}/photos/{photoId}', {
    summary: 'A photo sent with an enquiry (an audited read)',
    request: {
      params: z.object({ id: z.string().min(1).max(64), photoId: z.string().min(1).max(64) }),
    },
    responses: {
      200: {
        description: 'The photo, location removed',
        content: { 'image/*': { schema: z.string().openapi({ format: 'binary' }) } },
      },
      ...problems(401, 403, 404),
    },
  }),
  patch: leadsRoute('leads:write', 'patch /leads/{id}', {
    summary: 'Change a lead’s status or who is working it',
    ...withId(withBody(200, LeadPatchSchema, LeadSummarySchema, 'The lead')),
  }),
  conversions: leadsRoute('leads:read', 'get /conversions', {
    summary: 'Bookings reported to Google or Meta, newest first, with each upload’s status',
    ...listing(ConversionSchema, 'A page of conversion uploads'),
  }),
}
