/**
 * Appointments: store a booking from a practice system (hashed caller, never the raw number),
 * settle its attribution in the clinic's Durable Object, and present it. Shared by the JSON API
 * and the CSV import.
 */
import { and, desc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { settleFacts } from '../attribution/notify'
import { writeOutcomes } from '../attribution/outcomes'
import { explainOutcome } from '../attribution/rules'
import type { StoredOutcome } from '../attribution/working-set'
import { emitTrigger } from '../automations/engine'
import { cancelReminders, scheduleReminders } from '../automations/scheduled'
import { findClinicCall } from '../calls/calls.service'
import type { CallRow } from '../calls/store'
import type { ClinicRow } from '../clinic/find'
import type { Db } from '../db/client'
import { olderThan, ownedBy } from '../db/clinic-row'
import { appointments, calls, scheduledMessages, treatments } from '../db/schema'
import { type Bindings, getConfig } from '../env'
import { queueConversion } from '../leads/conversions'
import { bookedLeadStatements } from '../leads/leads.service'
import { newId } from '../lib/ids'
import { badRequest, conflict, notFound } from '../lib/problem'
import { IN_LIST_MAX, slices } from '../lib/slices'
import { MINUTE_MS, toIso, toIsoOrNull } from '../lib/time'
import { clinicKeyring } from '../privacy/crypto'

/** The settings a booking needs (a clinic row from src/clinic/find.ts has them all). */
export type ClinicSettings = Pick<
  ClinicRow,
  | 'id'
  | 'country'
  | 'timezone'
  | 'attributionWindowDays'
  | 'defaultAppointmentValuePence'
  | 'remindersEnabled'
  | 'reminderOffsets'
>

/** A booking ready to store: the caller already hashed and the value already resolved. */
export type NewAppointment = {
  callerHash: string
  externalId: string | null
  createdAt: number
  scheduledFor: number | null
  treatmentId: string | null
  valuePence: number
}

export type AppointmentView = {
  id: string
  externalId: string | null
  callerHash: string | null
  createdAt: string
  scheduledFor: string | null
  treatmentId: string | null
  valuePence: number
  cancelledAt: string | null
  attribution: {
    status: 'recovered' | 'unattributed'
    callId: string | null
    path: 'callback' | 'text-back' | 'return-call' | 'direct' | null
    ruleVersion: number | null
    settledAt: string | null
    explanation: string
  }
}

/**
 * Rule 5's value, resolved once when the booking arrives: explicit, else the treatment's, else
 * the clinic default. Kept on the row so a later price-list change does not rewrite history.
 */
export function resolveValuePence(
  explicit: number | null | undefined,
  treatmentValue: number | null | undefined,
  clinicDefault: number,
): number {
  return explicit ?? treatmentValue ?? clinicDefault
}

/** The clinic's treatments by id (only the clinic's own; others simply are not found). */
export async function treatmentValues(
  db: Db,
  clinicId: string,
  ids: readonly string[],
): Promise<Map<string, number>> {
  const unique = [...new Set(ids)]
  const out = new Map<string, number>()
  for (const some of slices(unique, IN_LIST_MAX)) {
    const rows = await db
      .select({ id: treatments.id, valuePence: treatments.valuePence })
      .from(treatments)
      .where(ownedBy(treatments, clinicId, inArray(treatments.id, some)))
    for (const r of rows) out.set(r.id, r.valuePence)
  }
  return out
}

/** The clinic's treatments by lower-cased name (CSV imports name the treatment). */
export async function treatmentsByName(
  db: Db,
  clinicId: string,
): Promise<Map<string, { id: string; valuePence: number }>> {
  const rows = await db
    .select({ id: treatments.id, name: treatments.name, valuePence: treatments.valuePence })
    .from(treatments)
    .where(eq(treatments.clinicId, clinicId))
  return new Map(
    rows.map((r) => [r.name.trim().toLowerCase(), { id: r.id, valuePence: r.valuePence }]),
  )
}

type AppointmentRow = typeof appointments.$inferSelect

/**
 * Moves or cancels an appointment (the practice changed it): a cancelled one's pending reminders
 * are cancelled, a moved one's are cancelled and scheduled again for the new time (to the number
 * its reminders already had). A cancelled appointment cannot be moved (409). Attribution is
 * unchanged: the booking was made.
 */
export async function changeAppointment(
  env: Bindings,
  db: Db,
  clinic: ClinicSettings,
  id: string,
  change: { scheduledFor: number | undefined; cancelled: boolean },
  now: number,
) {
  const [before] = await loadAppointments(db, clinic.id, [id])
  if (!before) throw notFound('No such appointment.')
  if (before.cancelledAt && change.scheduledFor !== undefined) {
    throw conflict('This appointment was cancelled; book a new one instead.')
  }
  const byAppointment = ownedBy(appointments, clinic.id, eq(appointments.id, id))
  if (change.cancelled) {
    if (!before.cancelledAt) {
      await db.update(appointments).set({ cancelledAt: now }).where(byAppointment)
    }
    await cancelReminders(db, clinic.id, id, 'appointment-cancelled')
  } else if (change.scheduledFor !== undefined && change.scheduledFor !== before.scheduledFor) {
    await db.update(appointments).set({ scheduledFor: change.scheduledFor }).where(byAppointment)
    const [had] = await db
      .select({ toSealed: scheduledMessages.toSealed })
      .from(scheduledMessages)
      .where(ownedBy(scheduledMessages, clinic.id, eq(scheduledMessages.ref, id)))
      .limit(1)
    await scheduleReminders(
      env,
      db,
      clinic,
      { id, callerHash: before.callerHash, scheduledFor: change.scheduledFor },
      { sealed: had?.toSealed ?? null },
      now,
    )
  }
  const [after] = await loadAppointments(db, clinic.id, [id])
  return after!
}

/**
 * What follows new bookings (the API, the pages' Book, a CSV import): their people's leads are
 * booked (and ad conversions queued), their reminders scheduled, and the `appointment-booked`
 * automations triggered — each idempotent.
 */
export async function afterBookings(
  env: Bindings,
  db: Db,
  clinic: ClinicSettings,
  rows: ReadonlyArray<{
    id: string
    callerHash: string | null
    createdAt: number
    scheduledFor: number | null
    valuePence: number | null
    phone?: string | null
  }>,
  now: number,
): Promise<void> {
  await bookLeads(env, db, clinic, rows, now)
  const keyring = rows.some((r) => r.phone)
    ? await clinicKeyring(db, getConfig(env), clinic.id)
    : null
  for (const row of rows) {
    const sealed = row.phone && keyring ? await keyring.seal(row.phone) : null
    await scheduleReminders(env, db, clinic, row, { sealed }, now)
    await emitTrigger(env, db, {
      clinicId: clinic.id,
      trigger: 'appointment-booked',
      key: row.id,
      at: now,
      contactHash: row.callerHash,
      subject: { appointmentId: row.id },
    })
  }
}

/**
 * The leads of these appointments' people become `booked` and linked (one batch per 100
 * statements), and a lead from an ad with ads consent has its booking reported (a conversion
 * queued, once per platform). For single bookings and CSV imports alike.
 */
export async function bookLeads(
  env: Bindings,
  db: Db,
  clinic: Pick<ClinicRow, 'id' | 'defaultAppointmentValuePence'>,
  rows: ReadonlyArray<{
    id: string
    callerHash: string | null
    createdAt: number
    valuePence: number | null
  }>,
  now: number,
): Promise<void> {
  const byId = new Map(rows.map((r) => [r.id, r]))
  const { statements, booked } = await bookedLeadStatements(
    db,
    clinic.id,
    rows.flatMap((r) =>
      r.callerHash ? [{ appointmentId: r.id, phoneHash: r.callerHash, at: r.createdAt }] : [],
    ),
  )
  for (const chunk of slices(statements, 100)) {
    await db.batch(chunk as [(typeof chunk)[number], ...typeof chunk])
  }
  for (const b of booked) {
    await queueConversion(
      env,
      db,
      {
        clinicId: clinic.id,
        phoneHash: b.phoneHash,
        appointmentId: b.appointmentId,
        at: b.at,
        valuePence: byId.get(b.appointmentId)?.valuePence ?? clinic.defaultAppointmentValuePence,
      },
      now,
    )
  }
}

/**
 * Stores bookings (INSERT … ON CONFLICT DO NOTHING on the clinic's externalId, so a repeat is a
 * no-op) and returns, per input, the stored row's id and whether this call created it.
 */
export async function insertAppointments(
  db: Db,
  clinicId: string,
  items: readonly NewAppointment[],
  now: number,
): Promise<Array<{ id: string; created: boolean }>> {
  const rows = items.map((item) => ({
    id: newId('apt', item.createdAt),
    clinicId,
    callerHash: item.callerHash,
    externalId: item.externalId,
    createdAt: item.createdAt,
    scheduledFor: item.scheduledFor,
    treatmentId: item.treatmentId,
    valuePence: item.valuePence,
    receivedAt: now,
  }))
  // 10 bound columns per row (attribution columns take their defaults): 9 rows per statement.
  const inserted = new Set<string>()
  const statements = []
  for (let i = 0; i < rows.length; i += 9) {
    statements.push(
      db
        .insert(appointments)
        .values(rows.slice(i, i + 9))
        .onConflictDoNothing()
        .returning({ id: appointments.id }),
    )
  }
  for (let i = 0; i < statements.length; i += 100) {
    const chunk = statements.slice(i, i + 100)
    const results = (await db.batch(chunk as [(typeof chunk)[number], ...typeof chunk])) as Array<
      Array<{ id: string }>
    >
    for (const result of results) for (const r of result) inserted.add(r.id)
  }
  // Repeats: find the stored appointment for each externalId that was already there.
  const repeatedExternalIds = rows
    .filter((r) => !inserted.has(r.id) && r.externalId !== null)
    .map((r) => r.externalId!)
  const existing = new Map<string, string>()
  for (const some of slices(repeatedExternalIds, IN_LIST_MAX)) {
    const found = await db
      .select({ id: appointments.id, externalId: appointments.externalId })
      .from(appointments)
      .where(ownedBy(appointments, clinicId, inArray(appointments.externalId, some)))
    for (const f of found) existing.set(f.externalId!, f.id)
  }
  return rows.map((r) =>
    inserted.has(r.id)
      ? { id: r.id, created: true }
      : { id: existing.get(r.externalId ?? '') ?? r.id, created: false },
  )
}

/**
 * Settles appointments in the clinic's object and writes the outcomes to D1. Repeats are safe:
 * the object ignores an appointment it already holds, and D1 writes are idempotent.
 */
export async function settleAppointments(
  env: Bindings,
  clinic: ClinicSettings,
  stored: ReadonlyArray<{ id: string; callerHash: string; createdAt: number; created: boolean }>,
): Promise<Map<string, StoredOutcome>> {
  const out = new Map<string, StoredOutcome>()
  for (let i = 0; i < stored.length; i += 500) {
    const facts = stored.slice(i, i + 500).map((s) => ({
      kind: 'appointment' as const,
      id: s.id,
      callerHash: s.callerHash,
      at: s.createdAt,
    }))
    // The object's decision is the answer even if mirroring it to D1 fails this time: the
    // object keeps it unsynced and its alarm writes it.
    const { outcomes } = await settleFacts(env, clinic.id, facts, {
      windowDays: clinic.attributionWindowDays,
      deferFailedWrite: true,
    })
    // Self-healing: re-write the object's current outcome of each repeated booking. If an earlier write to
    // D1 was lost after the object decided (a crash between the two), a repeat POST repairs it;
    // otherwise the settled_at guard makes this a no-op.
    const repeats = new Set(stored.filter((s) => !s.created).map((s) => s.id))
    await writeOutcomes(
      env.DB,
      clinic.id,
      outcomes.flatMap((o) =>
        o.settledAt === null || !repeats.has(o.appointmentId)
          ? []
          : [
              {
                ...o,
                callAt: o.callAt,
                previousCallId: null,
                previousCallAt: null,
                settledAt: o.settledAt,
              },
            ],
      ),
      { repair: true },
    )
    for (const o of outcomes) out.set(o.appointmentId, o)
  }
  return out
}

/** Loads appointments of a clinic by id, with the start time of the call each recovered. */
export async function loadAppointments(
  db: Db,
  clinicId: string,
  ids: readonly string[],
): Promise<Array<AppointmentRow & { missedAt: number | null }>> {
  if (ids.length === 0) return []
  const out: Array<AppointmentRow & { missedAt: number | null }> = []
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await db
      .select({ a: appointments, missedAt: calls.startedAt })
      .from(appointments)
      .leftJoin(
        calls,
        and(eq(calls.id, appointments.attributedCallId), eq(calls.clinicId, appointments.clinicId)),
      )
      .where(
        and(eq(appointments.clinicId, clinicId), inArray(appointments.id, ids.slice(i, i + 90))),
      )
    for (const r of rows) out.push({ ...r.a, missedAt: r.missedAt })
  }
  return out
}

/** The API shape of an appointment; `fresh` (the object's outcome) wins over the D1 row. */
export function toView(
  row: AppointmentRow & { missedAt: number | null },
  clinic: Pick<ClinicSettings, 'attributionWindowDays' | 'defaultAppointmentValuePence'>,
  fresh?: StoredOutcome,
): AppointmentView {
  const status = fresh?.status ?? row.attributionStatus
  const path = fresh ? fresh.path : row.attributionPath
  const callId = fresh ? fresh.callId : row.attributedCallId
  const missedAt = fresh ? fresh.callAt : row.missedAt
  const settledAt = fresh ? fresh.settledAt : row.settledAt
  return {
    id: row.id,
    externalId: row.externalId,
    callerHash: row.callerHash,
    createdAt: toIso(row.createdAt),
    scheduledFor: toIsoOrNull(row.scheduledFor),
    treatmentId: row.treatmentId,
    valuePence: row.valuePence ?? clinic.defaultAppointmentValuePence,
    cancelledAt: toIsoOrNull(row.cancelledAt),
    attribution: {
      status,
      callId,
      path: status === 'recovered' ? path : null,
      ruleVersion: fresh?.ruleVersion ?? row.ruleVersion,
      settledAt: toIsoOrNull(settledAt),
      explanation: explainOutcome(
        { status, path },
        { missedAt, appointmentAt: row.createdAt, windowDays: clinic.attributionWindowDays },
      ),
    },
  }
}

// --- Lists for the dashboard ------------------------------------------------------------------

/** An appointment with its treatment's name and the value rule 5 counts, and where it came from. */
export type CountedAppointment = typeof appointments.$inferSelect & {
  treatmentName: string | null
  countedValuePence: number
  valueSource: 'appointment' | 'treatment' | 'clinic-default'
}

/** The value rule 5 counts: the appointment's own, else its treatment's, else the clinic default (as the metrics roll-up). */
const countedValue = (defaultPence: number) =>
  sql<number>`coalesce(${appointments.valuePence}, ${treatments.valuePence}, ${defaultPence})`

function countedSelect(defaultPence: number) {
  return {
    appointment: appointments,
    treatmentName: treatments.name,
    treatmentValuePence: treatments.valuePence,
    countedValuePence: countedValue(defaultPence),
  }
}

function toCounted(r: {
  appointment: typeof appointments.$inferSelect
  treatmentName: string | null
  treatmentValuePence: number | null
  countedValuePence: number
}): CountedAppointment {
  return {
    ...r.appointment,
    treatmentName: r.treatmentName,
    countedValuePence: Number(r.countedValuePence),
    valueSource:
      r.appointment.valuePence !== null
        ? 'appointment'
        : r.treatmentValuePence !== null
          ? 'treatment'
          : 'clinic-default',
  }
}

type ClinicValues = { id: string; defaultAppointmentValuePence: number }

/** Up to `limit + 1` appointments, newest booking first, keyset-paginated on (createdAt, id). */
export async function listCountedAppointments(
  db: Db,
  clinic: ClinicValues,
  filters: { status?: 'recovered' | 'unattributed' | undefined },
  limit: number,
  cursor: { t: number; id: string } | null,
): Promise<CountedAppointment[]> {
  const where: SQL[] = [eq(appointments.clinicId, clinic.id)]
  if (filters.status) where.push(eq(appointments.attributionStatus, filters.status))
  const older = olderThan(appointments.createdAt, appointments.id, cursor)
  if (older) where.push(older)
  const rows = await db
    .select(countedSelect(clinic.defaultAppointmentValuePence))
    .from(appointments)
    .leftJoin(
      treatments,
      and(eq(treatments.id, appointments.treatmentId), eq(treatments.clinicId, clinic.id)),
    )
    .where(and(...where))
    .orderBy(desc(appointments.createdAt), desc(appointments.id))
    .limit(limit + 1)
  return rows.map(toCounted)
}

/** One appointment with the missed call it was attributed to (if any); null if not the clinic's. */
export async function getCountedAppointment(
  db: Db,
  clinic: ClinicValues,
  id: string,
): Promise<{ appointment: CountedAppointment; call: CallRow | null } | null> {
  const [row] = await db
    .select(countedSelect(clinic.defaultAppointmentValuePence))
    .from(appointments)
    .leftJoin(
      treatments,
      and(eq(treatments.id, appointments.treatmentId), eq(treatments.clinicId, clinic.id)),
    )
    .where(and(eq(appointments.clinicId, clinic.id), eq(appointments.id, id)))
    .limit(1)
  if (!row) return null
  const appointment = toCounted(row)
  const call = appointment.attributedCallId
    ? await findClinicCall(db, clinic.id, appointment.attributedCallId)
    : null
  return { appointment, call }
}

// --- One booking (the API's POST and the dashboard's Book form) -------------------------------

/** A booking as staff or a practice system give it; the caller is already hashed. */
export type BookingInput = {
  callerHash: string
  /** The booking's own number (E.164, in memory), sealed for its reminders; else one the clinic has. */
  phone?: string | null
  createdAt: number
  scheduledFor: number | null
  treatmentId: string | null
  valuePence: number | undefined
  externalId: string | null
}

/**
 * Validates, stores and settles one booking, and returns its view (with the attribution just
 * decided) and whether it was created (false: the same externalId was sent before). Throws a
 * 400 problem for a future `createdAt` or an unknown treatment.
 */
export async function bookAppointment(
  env: Bindings,
  db: Db,
  clinic: ClinicSettings,
  input: BookingInput,
  now: number,
): Promise<{ view: AppointmentView; created: boolean }> {
  // A booking cannot have been made in the future (a few minutes of clock skew are tolerated).
  if (input.createdAt > now + 5 * MINUTE_MS) {
    throw badRequest('The request is not valid.', [
      { path: 'createdAt', message: 'Must not be in the future' },
    ])
  }
  let treatmentValue: number | undefined
  if (input.treatmentId) {
    treatmentValue = (await treatmentValues(db, clinic.id, [input.treatmentId])).get(
      input.treatmentId,
    )
    if (treatmentValue === undefined) {
      throw badRequest('The request is not valid.', [
        { path: 'treatmentId', message: 'No such treatment' },
      ])
    }
  }
  const booking: NewAppointment = {
    callerHash: input.callerHash,
    externalId: input.externalId,
    createdAt: input.createdAt,
    scheduledFor: input.scheduledFor,
    treatmentId: input.treatmentId,
    valuePence: resolveValuePence(
      input.valuePence,
      treatmentValue,
      clinic.defaultAppointmentValuePence,
    ),
  }
  const [stored] = await insertAppointments(db, clinic.id, [booking], now)
  const [row] = await loadAppointments(db, clinic.id, [stored!.id])
  if (!row) throw notFound()
  // The person's lead (if a form or a call made one) is booked and linked, reminders are
  // scheduled, automations hear of it. Idempotent, so a repeat of the same booking repairs what an
  // earlier attempt failed to write.
  await afterBookings(
    env,
    db,
    clinic,
    [{ ...row, callerHash: row.callerHash ?? booking.callerHash, phone: input.phone ?? null }],
    now,
  )
  // Settle even a repeat: the object ignores a known appointment, and this returns its outcome.
  const outcomes = await settleAppointments(env, clinic, [
    {
      id: row.id,
      callerHash: row.callerHash ?? booking.callerHash,
      createdAt: row.createdAt,
      created: stored!.created,
    },
  ])
  return { view: toView(row, clinic, outcomes.get(row.id)), created: stored!.created }
}
