/** OpenAPI route definitions (zod schemas + createRoute) for clinic settings, numbers and treatments. */

import { z } from '@hono/zod-openapi'
import { answers, IdParamSchema, jsonBody, listing, noContent, withBody } from '../auth/openapi'
import type { Action } from '../auth/policy'
import { guardedRoutes } from '../auth/route'
import { ClinicPatchSchema, ClinicSchema } from './settings'

const route = guardedRoutes('Clinic')

export const getClinicRoute = route('clinic:read', 'get /clinic', {
  summary: "The clinic's settings",
  responses: answers(200, ClinicSchema, 'The clinic', 401, 403),
})

export const patchClinicRoute = route('clinic:write', 'patch /clinic', {
  summary: "Change the clinic's settings (owner, admin)",
  description:
    'Retention can only be shortened: callDays ≤ 90, recordingDays ≤ 365, enquiryDays ≤ 730. holdOutPercent 0–50, ringTimeoutSeconds 5–60. address, openingHours (`{mon: [["09:00","17:30"]], …}` in local time; an absent day is closed) and bookingUrl (http or https) are what the AI receptionist may tell patients; null clears one.',
  request: { body: jsonBody(ClinicPatchSchema) },
  responses: answers(200, ClinicSchema, 'The updated clinic', 400, 401, 403, 415),
})

/**
 * The four routes of a clinic-owned collection (tracking numbers, treatments) from one
 * description: add (201, 409 on a clash), list (paged), patch and remove by id.
 */
function collectionRoutes<
  const P extends `/${string}`,
  I extends z.ZodType,
  N extends z.ZodType,
  U extends z.ZodType,
>(c: {
  path: P
  read: Action
  write: Action
  item: I
  create: N
  patch: U
  summaries: { add: string; list: string; patch: string; remove: string }
}) {
  const one = { params: IdParamSchema }
  return {
    add: route(c.write, `post ${c.path}`, {
      summary: c.summaries.add,
      ...withBody(201, c.create, c.item, 'Added', 409),
    }),
    list: route(c.read, `get ${c.path}`, {
      summary: c.summaries.list,
      ...listing(c.item, 'A page'),
    }),
    patch: route(c.write, `patch ${c.path}/{id}`, {
      summary: c.summaries.patch,
      request: { ...one, body: jsonBody(c.patch) },
      responses: answers(200, c.item, 'Updated', 400, 401, 403, 404, 415),
    }),
    remove: route(c.write, `delete ${c.path}/{id}`, {
      summary: c.summaries.remove,
      request: one,
      responses: noContent('Removed', 401, 403, 404),
    }),
  }
}

export type CollectionRoutes<
  P extends `/${string}`,
  I extends z.ZodType,
  N extends z.ZodType,
  U extends z.ZodType,
> = ReturnType<typeof collectionRoutes<P, I, N, U>>

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

const NewNumberSchema = z.object({
  phoneNumber: PhoneInput.openapi({ example: '0113 496 0000' }),
  forwardTo: PhoneInput.openapi({ example: '+44 113 496 0999' }),
  label: z.string().trim().max(80).nullable().optional(),
})

const NumberPatchSchema = z.object({
  forwardTo: PhoneInput.optional(),
  label: z.string().trim().max(80).nullable().optional(),
})

export const numberRoutes = collectionRoutes({
  path: '/numbers',
  read: 'numbers:read',
  write: 'numbers:write',
  item: TrackingNumberSchema,
  create: NewNumberSchema,
  patch: NumberPatchSchema,
  summaries: {
    add: 'Add a tracking number and the line it forwards to (owner, admin); 409 if any clinic has it',
    list: "The clinic's tracking numbers",
    patch: 'Change where a number forwards to, or its label (owner, admin)',
    remove: 'Remove a tracking number (owner, admin)',
  },
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

export const treatmentRoutes = collectionRoutes({
  path: '/treatments',
  read: 'treatments:read',
  write: 'treatments:write',
  item: TreatmentSchema,
  create: z.object({ name: TreatmentName, valuePence: ValuePence }),
  patch: z.object({ name: TreatmentName.optional(), valuePence: ValuePence.optional() }),
  summaries: {
    add: 'Add a treatment with its value (owner, admin)',
    list: "The clinic's treatments",
    patch: 'Rename or revalue a treatment (owner, admin)',
    remove: 'Remove a treatment (owner, admin)',
  },
})
