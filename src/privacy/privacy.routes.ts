/** Route definitions (zod + OpenAPI) for data-subject requests, purge receipts and the audit log. */

import { z } from '@hono/zod-openapi'
import { answers, byId, jsonResponse, listing, problem } from '../auth/openapi'
import { guardedRoutes } from '../auth/route'

const privacyRoute = guardedRoutes('Privacy')
const auditRoute = guardedRoutes('Audit')

export const REQUEST_TYPES = [
  'access',
  'erasure',
  'rectification',
  'restriction',
  'objection',
] as const

const Phone = z.string().trim().min(3).max(40)
const Email = z.string().trim().max(254).pipe(z.email())

export const PrivacyRequestBody = z
  .object({
    type: z.enum(REQUEST_TYPES),
    subject: z
      .object({ phone: Phone.optional(), email: Email.optional() })
      .strict()
      .refine((s) => s.phone !== undefined || s.email !== undefined, {
        message: 'Give the subject’s phone or email (or both).',
      }),
    changes: z.object({ phone: Phone.optional(), email: Email.optional() }).strict().optional(),
  })
  .refine((b) => b.type !== 'rectification' || b.changes?.phone || b.changes?.email, {
    message: 'A rectification needs `changes` (phone and/or email).',
    path: ['changes'],
  })
  .openapi('PrivacyRequestInput')

const PrivacyRequestSchema = z
  .object({
    id: z.string(),
    type: z.enum(REQUEST_TYPES),
    status: z.enum(['received', 'in-progress', 'completed', 'rejected']),
    dueAt: z.string(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    /** What was done, as counts per kind (never personal data). */
    result: z.record(z.string(), z.number()).nullable(),
  })
  .openapi('PrivacyRequest')

// DSRs expose and destroy patients' data: a signed-in owner or admin must run them, so each is
// attributable to a person in the audit log (no API key may carry a privacy or audit scope).

export const createRequestRoute = privacyRoute('privacy:write', 'post /privacy/requests', {
  summary: 'Record and carry out a data-subject request',
  request: {
    body: { content: { 'application/json': { schema: PrivacyRequestBody } }, required: true },
  },
  responses: {
    201: jsonResponse(
      PrivacyRequestSchema,
      'The request, carried out; due 30 days after it was made.',
    ),
    400: problem('Invalid input, or neither phone nor email given'),
    401: problem('Not signed in'),
    403: problem('Not an owner or admin'),
  },
})

export const listRequestsRoute = privacyRoute('privacy:read', 'get /privacy/requests', {
  summary: 'List data-subject requests, newest first',
  ...listing(PrivacyRequestSchema, 'A page of requests'),
})

export const getRequestRoute = privacyRoute('privacy:read', 'get /privacy/requests/{id}', {
  summary: 'One data-subject request',
  ...byId(PrivacyRequestSchema, 'The request'),
})

export const exportRequestRoute = privacyRoute(
  'privacy:read',
  'get /privacy/requests/{id}/export',
  {
    summary: 'Everything held about the request’s subject, as JSON (access and portability)',
    ...byId(z.record(z.string(), z.unknown()), 'The subject’s data'),
  },
)

const PurgeReceiptSchema = z
  .object({
    job: z.string(),
    ranAt: z.string(),
    cutoff: z.string(),
    deleted: z.record(z.string(), z.number()),
    status: z.enum(['running', 'completed']),
  })
  .openapi('PurgeReceipt')

export const listPurgesRoute = privacyRoute('privacy:read', 'get /privacy/purges', {
  summary: 'Receipts of the retention purges run for this clinic, newest first',
  ...listing(PurgeReceiptSchema, 'A page of receipts'),
})

const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string().nullable(),
    hash: z.string(),
    prevHash: z.string(),
  })
  .openapi('AuditEntry')

export const listAuditRoute = auditRoute('audit:read', 'get /audit', {
  summary: 'The clinic’s hash-chained audit log, newest first',
  ...listing(AuditEntrySchema, 'A page of entries'),
})

const AuditVerificationSchema = z.object({
  valid: z.boolean(),
  checked: z.number(),
  firstBrokenId: z.string().nullable(),
})

export const verifyAuditRoute = auditRoute('audit:read', 'get /audit/verify', {
  summary: 'Re-computes the whole chain; names the first entry that does not verify',
  responses: answers(200, AuditVerificationSchema, 'The verification result', 401, 403),
})
