/** OpenAPI route definitions (zod schemas + createRoute) for clinic settings, numbers and treatments. */

import { z } from '@hono/zod-openapi'
import {
  answers,
  IdParamSchema,
  jsonBody,
  jsonResponse,
  listResponses,
  noContent,
  problems,
} from '../auth/openapi'
import { guardedRoute } from '../auth/route'
import { CursorSchema, LimitSchema } from '../lib/pagination'
import { ClinicPatchSchema, ClinicSchema } from './settings'

const ListQuerySchema = z.object({ limit: LimitSchema, cursor: CursorSchema })

export const getClinicRoute = guardedRoute('clinic:read', 'get /clinic', {
  tags: ['Clinic'],
  summary: "The clinic's settings",
  responses: { 200: jsonResponse(ClinicSchema, 'The clinic'), ...problems(401, 403) },
})

export const patchClinicRoute = guardedRoute('clinic:write', 'patch /clinic', {
  tags: ['Clinic'],
  summary: "Change the clinic's settings (owner, admin)",
  description:
    'Retention can only be shortened: callDays ≤ 90, recordingDays ≤ 365, enquiryDays ≤ 730. holdOutPercent 0–50, ringTimeoutSeconds 5–60. address, openingHours (`{mon: [["09:00","17:30"]], …}` in local time; an absent day is closed) and bookingUrl (http or https) are what the AI receptionist may tell patients; null clears one.',
  request: { body: jsonBody(ClinicPatchSchema) },
  responses: answers(200, ClinicSchema, 'The updated clinic', 400, 401, 403, 415),
})

// --- Tracking numbers -------------------------------------------------------------------------

const PhoneInput = z.string().trim().min(1).max(40)

const TrackingNumberSchema = z
  .object({
    id: z.string().openapi({ example: 'num_01JD3Q8Z5X0000000000000000' }),
    phoneNumber: z.string().openapi({ example: '+441134960000' }),
    forwardTo: z.string().openapi({ example: '+441134960999' }),
    label: z.string().nullable().openapi({ example: 'Main line' }),
    createdAt: z.string(),
  })
  .openapi('TrackingNumber')

export const addNumberRoute = guardedRoute('numbers:write', 'post /numbers', {
  tags: ['Clinic'],
  summary: 'Add a tracking number and the line it forwards to (owner, admin)',
  request: {
    body: jsonBody(
      z.object({
        phoneNumber: PhoneInput.openapi({ example: '0113 496 0000' }),
        forwardTo: PhoneInput.openapi({ example: '+44 113 496 0999' }),
        label: z.string().trim().max(80).nullable().optional(),
      }),
    ),
  },
  responses: answers(201, TrackingNumberSchema, 'Added', 400, 401, 403, 409, 415),
})

export const listNumbersRoute = guardedRoute('numbers:read', 'get /numbers', {
  tags: ['Clinic'],
  summary: "The clinic's tracking numbers",
  request: { query: ListQuerySchema },
  responses: listResponses(TrackingNumberSchema, 'Numbers'),
})

export const patchNumberRoute = guardedRoute('numbers:write', 'patch /numbers/{id}', {
  tags: ['Clinic'],
  summary: 'Change where a number forwards to, or its label (owner, admin)',
  request: {
    params: IdParamSchema,
    body: jsonBody(
      z.object({
        forwardTo: PhoneInput.optional(),
        label: z.string().trim().max(80).nullable().optional(),
      }),
    ),
  },
  responses: answers(200, TrackingNumberSchema, 'Updated', 400, 401, 403, 404, 415),
})

export const deleteNumberRoute = guardedRoute('numbers:write', 'delete /numbers/{id}', {
  tags: ['Clinic'],
  summary: 'Remove a tracking number (owner, admin)',
  request: { params: IdParamSchema },
  responses: noContent('Removed', 401, 403, 404),
})

// --- Treatments -------------------------------------------------------------------------------

const TreatmentSchema = z
  .object({
    id: z.string().openapi({ example: 'trt_01JD3Q8Z5X0000000000000000' }),
    name: z.string().openapi({ example: 'Composite bonding' }),
    valuePence: z.number().int().openapi({ example: 25000 }),
    createdAt: z.string(),
  })
  .openapi('Treatment')

const TreatmentName = z.string().trim().min(1).max(120).openapi({ example: 'Composite bonding' })
const ValuePence = z.number().int().min(0).max(10_000_000).openapi({ example: 25000 })

export const addTreatmentRoute = guardedRoute('treatments:write', 'post /treatments', {
  tags: ['Clinic'],
  summary: 'Add a treatment with its value (owner, admin)',
  request: { body: jsonBody(z.object({ name: TreatmentName, valuePence: ValuePence })) },
  responses: answers(201, TreatmentSchema, 'Added', 400, 401, 403, 415),
})

export const listTreatmentsRoute = guardedRoute('treatments:read', 'get /treatments', {
  tags: ['Clinic'],
  summary: "The clinic's treatments",
  request: { query: ListQuerySchema },
  responses: listResponses(TreatmentSchema, 'Treatments'),
})

export const patchTreatmentRoute = guardedRoute('treatments:write', 'patch /treatments/{id}', {
  tags: ['Clinic'],
  summary: 'Rename or revalue a treatment (owner, admin)',
  request: {
    params: IdParamSchema,
    body: jsonBody(z.object({ name: TreatmentName.optional(), valuePence: ValuePence.optional() })),
  },
  responses: answers(200, TreatmentSchema, 'Updated', 400, 401, 403, 404, 415),
})

export const deleteTreatmentRoute = guardedRoute('treatments:write', 'delete /treatments/{id}', {
  tags: ['Clinic'],
  summary: 'Remove a treatment (owner, admin)',
  request: { params: IdParamSchema },
  responses: noContent('Removed', 401, 403, 404),
})
