/**
 * Appointments API: practice systems (API key) and staff (session) send bookings; each is
 * attributed to the missed call that caused it (rules v1, settled in the clinic's Durable
 * Object). The caller's phone number is normalised and hashed at once and never stored.
 */

import { z } from '@hono/zod-openapi'
import { desc, gte, lte } from 'drizzle-orm'
import { audit } from '../audit/audit'
import {
  answers,
  byId,
  jsonBody,
  jsonResponse,
  listing,
  problem,
  withBody,
  withId,
} from '../auth/openapi'
import { guardedRoutes } from '../auth/route'
import { findClinicCall } from '../calls/calls.service'
import { type ClinicRow, findClinic } from '../clinic/find'
import { findConversation } from '../conversations/store'
import type { Db } from '../db/client'
import { olderThan, ownedBy } from '../db/clinic-row'
import { appointments } from '../db/schema'
import type { Config } from '../env'
import { InstantSchema, parseInstantRange } from '../lib/calendar-date'
import { actorOf } from '../lib/context'
import { createRouter } from '../lib/create-app'
import { CursorSchema, decodeCursor, LimitSchema, paginate } from '../lib/pagination'
import { badRequest, notFound, ProblemError } from '../lib/problem'
import { normalisePhone } from '../phone/phone'
import { contactHash, sha256Hex } from '../privacy/crypto'
import { MAX_IMPORT_ROWS, parseAppointmentCsv } from './csv'
import {
  afterBookings,
  bookAppointment,
  type ClinicSettings,
  changeAppointment,
  insertAppointments,
  loadAppointments,
  type NewAppointment,
  resolveValuePence,
  settleAppointments,
  toView,
  treatmentsByName,
} from './service'

const route = guardedRoutes('Appointments')

const AppointmentSchema = z
  .object({
    id: z.string().openapi({ example: 'apt_01JD2Z8Y3K4M5N6P7Q8R9S0T1V' }),
    externalId: z.string().nullable(),
    callerHash: z
      .string()
      .nullable()
      .openapi({ description: 'Clinic-scoped keyed hash of the patient phone.' }),
    createdAt: z.string().openapi({ example: '2026-11-23T09:15:00Z' }),
    scheduledFor: z.string().nullable(),
    treatmentId: z.string().nullable(),
    valuePence: z.number().int().openapi({ example: 7070 }),
    cancelledAt: z.string().nullable().openapi({ description: '(v1.1) When it was cancelled.' }),
    attribution: z.object({
      status: z.enum(['recovered', 'unattributed']),
      callId: z.string().nullable(),
      path: z.enum(['callback', 'text-back', 'return-call', 'direct']).nullable(),
      ruleVersion: z.number().int().nullable(),
      settledAt: z.string().nullable(),
      explanation: z.string(),
    }),
  })
  .openapi('Appointment')

const CreateAppointmentSchema = z
  .object({
    phone: z.string().min(1).max(40).optional().openapi({
      example: '07700 900123',
      description: 'The patient phone; or give `callId` or `conversationId` instead (exactly one).',
    }),
    callId: z.string().min(1).max(64).optional().openapi({
      description: "One of the clinic's calls: the booking is the caller's.",
    }),
    conversationId: z.string().min(1).max(64).optional().openapi({
      description: "One of the clinic's conversations: the booking is the contact's.",
    }),
    // The one bounded instant type (src/lib/calendar-date.ts): year 9999 or 0042 is a 400.
    createdAt: InstantSchema.optional().openapi({
      description: 'When the booking was made (t_A); default now.',
    }),
    scheduledFor: InstantSchema.optional(),
    treatmentId: z.string().min(1).max(64).optional(),
    valuePence: z.number().int().min(0).max(100_000_000).optional(),
    externalId: z.string().min(1).max(200).optional(),
  })
  .strict()
  .openapi('CreateAppointment')

const createAppointmentRoute = route('appointments:write', 'post /appointments', {
  summary: 'Record a booking; it is attributed to the missed call that caused it',
  request: { body: jsonBody(CreateAppointmentSchema) },
  responses: {
    ...answers(201, AppointmentSchema, 'Created', 400, 401, 403, 415),
    200: jsonResponse(
      AppointmentSchema,
      'The same externalId was sent before: the stored appointment',
    ),
  },
})

const getAppointmentRoute = route('appointments:read', 'get /appointments/{id}', {
  summary: 'One appointment with its current attribution',
  ...byId(AppointmentSchema, 'The appointment'),
})

const ChangeAppointmentSchema = z
  .object({
    scheduledFor: InstantSchema.optional().openapi({
      description: 'Moved: its reminders move with it.',
    }),
    cancelled: z.literal(true).optional().openapi({
      description: 'Cancelled: its reminders are cancelled (attribution is unchanged).',
    }),
  })
  .strict()
  .refine((b) => b.scheduledFor !== undefined || b.cancelled !== undefined, {
    message: 'Give scheduledFor or cancelled',
    path: ['scheduledFor'],
  })
  .openapi('ChangeAppointment')

const changeAppointmentRoute = route('appointments:write', 'patch /appointments/{id}', {
  summary: '(v1.1) Move or cancel an appointment; its reminders follow',
  ...withId(
    withBody(200, ChangeAppointmentSchema, AppointmentSchema, 'The appointment as it is now', 409),
  ),
})

const ListAppointmentsQuery = z.object({
  from: InstantSchema.optional(),
  to: InstantSchema.optional(),
  limit: LimitSchema,
  cursor: CursorSchema,
})

const listAppointmentsRoute = route('appointments:read', 'get /appointments', {
  summary: 'Appointments booked in a time range, newest first',
  ...listing(AppointmentSchema, 'A page of appointments', ListAppointmentsQuery),
})

const ImportResultSchema = z
  .object({
    imported: z.number().int(),
    duplicates: z.number().int(),
    errors: z.array(z.object({ row: z.number().int(), message: z.string() })),
  })
  .openapi('AppointmentImportResult')

/** 1 MB: a practice's export of months of bookings, and a bound on the work one request does. */
const MAX_IMPORT_BYTES = 1024 * 1024

/** What practice systems label CSV uploads with. */
const CSV_MEDIA_TYPES = new Set(['text/csv', 'application/csv', 'text/plain'])

const importAppointmentsRoute = route('appointments:write', 'post /appointments/import', {
  summary: 'Import bookings from a practice-management CSV export',
  description: `Columns: phone, created, scheduled (optional), treatment (name) or value (pounds) or valuePence, externalId (optional). At most 1 MB and ${MAX_IMPORT_ROWS} rows. Errors name the row as a spreadsheet numbers it (header = row 1). Re-importing the same file changes nothing.`,
  request: {
    body: { required: true, content: { 'text/csv': { schema: z.string() } } },
  },
  responses: {
    200: {
      description: 'Import summary',
      content: { 'application/json': { schema: ImportResultSchema } },
    },
    400: problem('Not a usable CSV'),
    401: problem('Not signed in'),
    403: problem('Forbidden'),
    413: problem('Larger than 1 MB'),
    415: problem('Not text/csv'),
  },
})

export const appointmentsRouter = createRouter()

async function clinicOf(c: { var: { db: Parameters<typeof findClinic>[0] } }, clinicId: string) {
  const clinic = await findClinic(c.var.db, clinicId)
  if (!clinic) throw notFound()
  return clinic
}

appointmentsRouter.openapi(createAppointmentRoute, async (c) => {
  const body = c.req.valid('json')
  const { db, config, principal } = c.var
  const clinic = await clinicOf(c, principal.clinicId)
  const now = Date.now()
  const { view, created } = await bookAppointment(
    c.env,
    db,
    clinic,
    {
      callerHash: await bookingCallerHash(db, config, clinic, body),
      phone: body.phone ? (normalisePhone(body.phone, clinic.country)?.e164 ?? null) : null,
      externalId: body.externalId ?? null,
      createdAt: body.createdAt ? Date.parse(body.createdAt) : now,
      scheduledFor: body.scheduledFor ? Date.parse(body.scheduledFor) : null,
      treatmentId: body.treatmentId ?? null,
      valuePence: body.valuePence,
    },
    now,
  )
  return c.json(view, created ? 201 : 200)
})

/**
 * Who booked: the phone number hashed at once, or the caller of one of the clinic's calls or
 * conversations (their hash is already stored). Exactly one of the three must be given.
 */
async function bookingCallerHash(
  db: Db,
  config: Config,
  clinic: ClinicRow,
  body: {
    phone?: string | undefined
    callId?: string | undefined
    conversationId?: string | undefined
  },
): Promise<string> {
  const given = [body.phone, body.callId, body.conversationId].filter((v) => v !== undefined)
  if (given.length !== 1) {
    throw badRequest('The request is not valid.', [
      { path: 'phone', message: 'Give exactly one of phone, callId or conversationId' },
    ])
  }
  if (body.callId !== undefined) {
    const call = await findClinicCall(db, clinic.id, body.callId)
    if (!call)
      throw badRequest('The request is not valid.', [{ path: 'callId', message: 'No such call' }])
    if (!call.callerHash) {
      throw badRequest('The request is not valid.', [
        { path: 'callId', message: 'The caller withheld their number' },
      ])
    }
    return call.callerHash
  }
  if (body.conversationId !== undefined) {
    const conversation = await findConversation(db, clinic.id, body.conversationId)
    if (!conversation) {
      throw badRequest('The request is not valid.', [
        { path: 'conversationId', message: 'No such conversation' },
      ])
    }
    return conversation.contactHash
  }
  const number = normalisePhone(body.phone ?? '', clinic.country)
  if (!number)
    throw badRequest('The request is not valid.', [
      { path: 'phone', message: 'Not a valid phone number' },
    ])
  return contactHash(config, clinic.id, number.e164)
}

appointmentsRouter.openapi(listAppointmentsRoute, async (c) => {
  const { from, to, limit, cursor } = c.req.valid('query')
  const { fromMs, toMs } = parseInstantRange(from, to)
  const after = decodeCursor(cursor)
  const { db, principal } = c.var
  const clinic = await clinicOf(c, principal.clinicId)
  const rows = await db
    .select({ id: appointments.id, createdAt: appointments.createdAt })
    .from(appointments)
    .where(
      ownedBy(
        appointments,
        clinic.id,
        fromMs !== undefined ? gte(appointments.createdAt, fromMs) : undefined,
        toMs !== undefined ? lte(appointments.createdAt, toMs) : undefined,
        olderThan(appointments.createdAt, appointments.id, after),
      ),
    )
    .orderBy(desc(appointments.createdAt), desc(appointments.id))
    .limit(limit + 1)
  const page = paginate(rows, limit, (r) => ({ t: r.createdAt, id: r.id }))
  const full = new Map(
    (
      await loadAppointments(
        db,
        clinic.id,
        page.items.map((r) => r.id),
      )
    ).map((r) => [r.id, r]),
  )
  const items = page.items.flatMap((r) => {
    const row = full.get(r.id)
    return row ? [toView(row, clinic)] : []
  })
  return c.json({ items, nextCursor: page.nextCursor }, 200)
})

appointmentsRouter.openapi(getAppointmentRoute, async (c) => {
  const { id } = c.req.valid('param')
  const { db, principal } = c.var
  const clinic = await clinicOf(c, principal.clinicId)
  const [row] = await loadAppointments(db, clinic.id, [id])
  if (!row) throw notFound('No such appointment.')
  return c.json(toView(row, clinic), 200)
})

appointmentsRouter.openapi(changeAppointmentRoute, async (c) => {
  const { id } = c.req.valid('param')
  const body = c.req.valid('json')
  const { db, principal } = c.var
  const clinic = await clinicOf(c, principal.clinicId)
  const row = await changeAppointment(
    c.env,
    db,
    clinic,
    id,
    {
      scheduledFor: body.scheduledFor ? Date.parse(body.scheduledFor) : undefined,
      cancelled: body.cancelled === true,
    },
    Date.now(),
  )
  return c.json(toView(row, clinic), 200)
})

appointmentsRouter.openapi(importAppointmentsRoute, async (c) => {
  const { db, config, principal } = c.var
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!CSV_MEDIA_TYPES.has(mediaType)) {
    throw new ProblemError(415, 'Send the export as text/csv.')
  }
  const declared = Number(c.req.header('content-length') ?? '0')
  if (declared > MAX_IMPORT_BYTES) throw new ProblemError(413, 'The CSV is larger than 1 MB.')
  const buffer = await c.req.arrayBuffer()
  if (buffer.byteLength > MAX_IMPORT_BYTES)
    throw new ProblemError(413, 'The CSV is larger than 1 MB.')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buffer)
  } catch {
    throw badRequest('The CSV must be UTF-8 text.')
  }
  const clinic = await clinicOf(c, principal.clinicId)
  const byName = await treatmentsByName(db, clinic.id)
  const parsed = parseAppointmentCsv(text, {
    timeZone: clinic.timezone,
    normalise: (phone) => normalisePhone(phone, clinic.country)?.e164 ?? null,
    treatment: (name) => byName.get(name.trim().toLowerCase()) ?? null,
  })
  if (parsed.tooManyRows) {
    throw badRequest(`The CSV has more than ${MAX_IMPORT_ROWS} rows; split it into smaller files.`)
  }
  if (parsed.bookings.length === 0 && parsed.errors.some((e) => e.row === 1)) {
    throw badRequest('The CSV cannot be imported.', [
      { path: 'header', message: parsed.errors[0]!.message },
    ])
  }
  const bookings = await Promise.all(
    parsed.bookings.map((b) => toNewAppointment(b, clinic, config)),
  )
  const stored = await insertAppointments(db, clinic.id, bookings, Date.now())
  const toSettle = new Map<
    string,
    { id: string; callerHash: string; createdAt: number; created: boolean }
  >()
  stored.forEach((s, i) => {
    toSettle.set(s.id, {
      id: s.id,
      callerHash: bookings[i]!.callerHash,
      createdAt: bookings[i]!.createdAt,
      created: s.created,
    })
  })
  await settleAppointments(c.env, clinic, [...toSettle.values()])
  // Imported bookings book their people's leads and report ad conversions, as a single booking does.
  const fresh = stored.flatMap((s, i) =>
    s.created
      ? [
          {
            ...bookings[i]!,
            id: s.id,
            valuePence: bookings[i]!.valuePence ?? null,
            phone: parsed.bookings[i]!.e164,
          },
        ]
      : [],
  )
  await afterBookings(c.env, db, clinic, fresh, Date.now())
  const imported = stored.filter((s) => s.created).length
  const result = { imported, duplicates: stored.length - imported, errors: parsed.errors }
  await audit(c.env, clinic.id, {
    actor: actorOf(principal),
    action: 'appointments.import',
    target: 'appointments',
    details: { imported, duplicates: result.duplicates, errors: result.errors.length },
  })
  return c.json(result, 200)
})

async function toNewAppointment(
  booking: ReturnType<typeof parseAppointmentCsv>['bookings'][number],
  clinic: ClinicSettings,
  config: Parameters<typeof contactHash>[0],
): Promise<NewAppointment> {
  const callerHash = await contactHash(config, clinic.id, booking.e164)
  // Without the practice system's id, a key derived from the row (never the raw number) makes a
  // re-import of the same file a no-op.
  const externalId =
    booking.externalId ??
    `csv:${(
      await sha256Hex(
        [
          callerHash,
          booking.createdAt,
          booking.scheduledFor,
          booking.treatmentId,
          booking.valuePence,
        ].join('|'),
      )
    ).slice(0, 32)}`
  return {
    callerHash,
    externalId,
    createdAt: booking.createdAt,
    scheduledFor: booking.scheduledFor,
    treatmentId: booking.treatmentId,
    valuePence: resolveValuePence(
      booking.valuePence,
      undefined,
      clinic.defaultAppointmentValuePence,
    ),
  }
}
