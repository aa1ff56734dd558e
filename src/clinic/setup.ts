/**
 * Clinic set-up as plain functions (shared by the JSON API and the dashboard): settings, tracking
 * numbers and treatments. Every query is scoped to the caller's clinic; another clinic's id
 * answers 404. Changes are audited with field names and ids only, never values that could be
 * personal.
 */
import { and, eq } from 'drizzle-orm'
import { resettleAttributionWindow } from '../attribution/notify'
import { audit } from '../audit/audit'
import type { Db } from '../db/client'
import { clinicRowsPage } from '../db/clinic-pages'
import { refuseTaken } from '../db/clinic-row'
import { clinics, trackingNumbers, treatments } from '../db/schema'
import type { Bindings } from '../env'
import { actorOf, type Principal } from '../lib/context'
import { newId } from '../lib/ids'
import { logError } from '../lib/logger'
import { badRequest, conflict, notFound, unauthorized } from '../lib/problem'
import { toIso } from '../lib/time'
import { normalisePhone } from '../phone/phone'
import { type ClinicRow, findClinic } from './find'
import { removeOwned, updateOwned } from './owned'
import {
  assertTextBackTemplate,
  type ClinicJson,
  type ClinicPatch,
  clinicJson,
  clinicUpdateFrom,
} from './settings'

type Page = { limit: number; cursor?: string | undefined }

async function clinicRow(db: Db, clinicId: string): Promise<ClinicRow> {
  const row = await findClinic(db, clinicId)
  // The principal's own clinic always exists while its session does; treat a gap as signed out.
  if (!row) throw unauthorized()
  return row
}

/** The caller's clinic with every setting. */
export async function getClinic(db: Db, clinicId: string): Promise<ClinicJson> {
  return clinicJson(await clinicRow(db, clinicId))
}

/** Applies a validated settings patch and audits which fields changed. */
export async function updateClinic(
  db: Db,
  env: Bindings,
  principal: Principal,
  patch: ClinicPatch,
): Promise<ClinicJson> {
  if (typeof patch.textBack?.template === 'string') {
    // The template must name the clinic as it will be called after this patch.
    assertTextBackTemplate(patch, patch.name ?? (await clinicRow(db, principal.clinicId)).name)
  }
  const update = clinicUpdateFrom(patch)
  const fields = Object.keys(update)
  if (fields.length === 0) return getClinic(db, principal.clinicId)
  const [row] = await db
    .update(clinics)
    .set({ ...update, updatedAt: Date.now() })
    .where(eq(clinics.id, principal.clinicId))
    .returning()
  if (!row) throw unauthorized()
  await audit(env, principal.clinicId, {
    actor: actorOf(principal),
    action: 'clinic.settings.change',
    target: `clinic:${principal.clinicId}`,
    details: { fields: fields.sort().join(',') },
  })
  if (update.attributionWindowDays !== undefined) {
    // A new W changes which missed calls the open window's bookings can take.
    try {
      await resettleAttributionWindow(env, principal.clinicId, row.attributionWindowDays)
    } catch (err) {
      logError('attribution window re-settle failed', err, { clinicId: principal.clinicId })
    }
  }
  return clinicJson(row)
}

// --- Shared by numbers and treatments: both are clinic-owned rows keyed by a text id -----------

// --- Tracking numbers -------------------------------------------------------------------------

export type TrackingNumberJson = {
  id: string
  phoneNumber: string
  forwardTo: string
  label: string | null
  createdAt: string
}

function numberJson(row: typeof trackingNumbers.$inferSelect): TrackingNumberJson {
  return {
    id: row.id,
    phoneNumber: row.phoneNumber,
    forwardTo: row.forwardTo,
    label: row.label,
    createdAt: toIso(row.createdAt),
  }
}

function e164(raw: string, country: string, path: string): string {
  const parsed = normalisePhone(raw, country)
  if (!parsed) {
    throw badRequest('The request is not valid.', [{ path, message: 'Not a valid phone number.' }])
  }
  return parsed.e164
}

function isUniqueViolation(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err)
  return /UNIQUE constraint failed/i.test(text)
}

/**
 * Adds a tracking number (the clinic's Twilio number) and the line it forwards to. Both are
 * normalised to E.164 with the clinic's country as the default region. 409 when the number is
 * already any clinic's: one number routes to one clinic.
 */
export async function addTrackingNumber(
  db: Db,
  env: Bindings,
  principal: Principal,
  input: { phoneNumber: string; forwardTo: string; label?: string | null | undefined },
): Promise<TrackingNumberJson> {
  const clinic = await clinicRow(db, principal.clinicId)
  const phoneNumber = e164(input.phoneNumber, clinic.country, 'phoneNumber')
  const forwardTo = e164(input.forwardTo, clinic.country, 'forwardTo')
  if (phoneNumber === forwardTo) {
    throw badRequest('The request is not valid.', [
      { path: 'forwardTo', message: 'A number cannot forward to itself.' },
    ])
  }
  const inUse = 'This number is already in use.'
  await refuseTaken(db, trackingNumbers, trackingNumbers.phoneNumber, phoneNumber, inUse)
  const id = newId('num')
  let row: typeof trackingNumbers.$inferSelect | undefined
  try {
    ;[row] = await db
      .insert(trackingNumbers)
      .values({
        id,
        clinicId: principal.clinicId,
        phoneNumber,
        forwardTo,
        label: input.label ?? null,
      })
      .returning()
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(inUse)
    throw err
  }
  if (!row) throw conflict(inUse)
  await audit(env, principal.clinicId, {
    actor: actorOf(principal),
    action: 'number.add',
    target: `number:${id}`,
  })
  return numberJson(row)
}

/** Changes where a number forwards to, or its label. */
export async function updateTrackingNumber(
  db: Db,
  env: Bindings,
  principal: Principal,
  id: string,
  input: { forwardTo?: string | undefined; label?: string | null | undefined },
): Promise<TrackingNumberJson> {
  const clinic = await clinicRow(db, principal.clinicId)
  const [current] = await db
    .select()
    .from(trackingNumbers)
    .where(and(eq(trackingNumbers.id, id), eq(trackingNumbers.clinicId, principal.clinicId)))
  if (!current) throw notFound()
  const set: Partial<typeof trackingNumbers.$inferInsert> = {}
  if (input.forwardTo !== undefined) {
    set.forwardTo = e164(input.forwardTo, clinic.country, 'forwardTo')
    if (set.forwardTo === current.phoneNumber) {
      throw badRequest('The request is not valid.', [
        { path: 'forwardTo', message: 'A number cannot forward to itself.' },
      ])
    }
  }
  if (input.label !== undefined) set.label = input.label
  const row = await updateOwned(db, env, principal, trackingNumbers, id, set, {
    action: 'number.change',
    target: `number:${id}`,
  })
  return numberJson(row)
}

export async function listTrackingNumbers(
  db: Db,
  clinicId: string,
  page: Page,
): Promise<{ items: TrackingNumberJson[]; nextCursor: string | null }> {
  const { items, nextCursor } = await clinicRowsPage(db, trackingNumbers, clinicId, page)
  return { items: items.map(numberJson), nextCursor }
}

/** Removes a number: calls to it are rejected from then on; its past calls stay. */
export async function removeTrackingNumber(
  db: Db,
  env: Bindings,
  principal: Principal,
  id: string,
): Promise<void> {
  await removeOwned(db, env, principal, trackingNumbers, id, {
    action: 'number.remove',
    target: `number:${id}`,
  })
}

// --- Treatments -------------------------------------------------------------------------------

export type TreatmentJson = { id: string; name: string; valuePence: number; createdAt: string }

function treatmentJson(row: typeof treatments.$inferSelect): TreatmentJson {
  return { id: row.id, name: row.name, valuePence: row.valuePence, createdAt: toIso(row.createdAt) }
}

export async function addTreatment(
  db: Db,
  env: Bindings,
  principal: Principal,
  input: { name: string; valuePence: number },
): Promise<TreatmentJson> {
  const id = newId('trt')
  const [row] = await db
    .insert(treatments)
    .values({ id, clinicId: principal.clinicId, name: input.name, valuePence: input.valuePence })
    .returning()
  if (!row) throw new Error('Treatment insert returned nothing')
  await audit(env, principal.clinicId, {
    actor: actorOf(principal),
    action: 'treatment.add',
    target: `treatment:${id}`,
  })
  return treatmentJson(row)
}

export async function updateTreatment(
  db: Db,
  env: Bindings,
  principal: Principal,
  id: string,
  input: { name?: string | undefined; valuePence?: number | undefined },
): Promise<TreatmentJson> {
  const set: Partial<typeof treatments.$inferInsert> = {}
  if (input.name !== undefined) set.name = input.name
  if (input.valuePence !== undefined) set.valuePence = input.valuePence
  const row = await updateOwned(db, env, principal, treatments, id, set, {
    action: 'treatment.change',
    target: `treatment:${id}`,
  })
  return treatmentJson(row)
}

export async function listTreatments(
  db: Db,
  clinicId: string,
  page: Page,
): Promise<{ items: TreatmentJson[]; nextCursor: string | null }> {
  const { items, nextCursor } = await clinicRowsPage(db, treatments, clinicId, page)
  return { items: items.map(treatmentJson), nextCursor }
}

/** Removes a treatment. Appointments that named it keep their own value or fall back to the default. */
export async function removeTreatment(
  db: Db,
  env: Bindings,
  principal: Principal,
  id: string,
): Promise<void> {
  await removeOwned(db, env, principal, treatments, id, {
    action: 'treatment.remove',
    target: `treatment:${id}`,
  })
}
