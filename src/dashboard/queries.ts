/**
 * The dashboard's reads, straight from D1 (every query filtered by the signed-in clinic). The
 * metrics module's JSON API answers the same questions for other clients; here we read the raw
 * rows of the last weeks once and fold them in memory, which for one clinic is a few thousand
 * rows and keeps each page to a handful of queries. The folding is pure (`summarise*`) and tested.
 */
import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import {
  apiKeys,
  appointments,
  calls,
  clinics,
  outboundMessages,
  privacyRequests,
  purgeRuns,
  trackingNumbers,
  treatments,
  users,
} from '../db/schema'
import { DAY_MS } from '../lib/time'
import { addDays, datesBetween, localDateOf, startOfLocalDay } from '../metrics/local-time'
import type { DailyPoint, MonthlyPoint } from './charts'
import { median, monthRange, startOfWeek } from './format'

export type Clinic = typeof clinics.$inferSelect

/** The clinic row; null if it is gone (a session outliving its clinic). */
export async function getClinic(db: Db, clinicId: string): Promise<Clinic | null> {
  const [row] = await db.select().from(clinics).where(eq(clinics.id, clinicId)).limit(1)
  return row ?? null
}

// ---------------------------------------------------------------------------------------------
// Overview

/** The call facts the overview folds (inbound calls only). */
export type CallFact = {
  startedAt: number
  status: 'ringing' | 'answered' | 'missed' | 'voicemail'
  calledBackAt: number | null
  textedBackAt: number | null
  textBackStatus: string
  recoveredAppointmentId: string | null
}

/** A recovered appointment with its counted value (rule 5 of attribution). */
export type RecoveredFact = { createdAt: number; valuePence: number }

export type PeriodStats = {
  inboundCalls: number
  missedCalls: number
  answeredCalls: number
  callbacks: number
  textBacks: number
  medianCallbackSeconds: number | null
  recoveredAppointments: number
  recoveredRevenuePence: number
}

const isMissed = (s: CallFact['status']) => s === 'missed' || s === 'voicemail'

/** Folds calls and recovered appointments in [fromMs, toMs) into the overview's figures. */
export function summarisePeriod(
  callFacts: readonly CallFact[],
  recovered: readonly RecoveredFact[],
  fromMs: number,
  toMs: number,
): PeriodStats {
  let inboundCalls = 0
  let missedCalls = 0
  let answeredCalls = 0
  let callbacks = 0
  let textBacks = 0
  const delays: number[] = []
  for (const c of callFacts) {
    if (c.startedAt < fromMs || c.startedAt >= toMs) continue
    inboundCalls++
    if (c.status === 'answered') answeredCalls++
    if (isMissed(c.status)) {
      missedCalls++
      if (c.calledBackAt !== null) {
        callbacks++
        delays.push((c.calledBackAt - c.startedAt) / 1000)
      }
    }
    if (c.textedBackAt !== null) textBacks++
  }
  let recoveredAppointments = 0
  let recoveredRevenuePence = 0
  for (const a of recovered) {
    if (a.createdAt < fromMs || a.createdAt >= toMs) continue
    recoveredAppointments++
    recoveredRevenuePence += a.valuePence
  }
  return {
    inboundCalls,
    missedCalls,
    answeredCalls,
    callbacks,
    textBacks,
    medianCallbackSeconds: median(delays),
    recoveredAppointments,
    recoveredRevenuePence,
  }
}

/**
 * Index of the bucket holding `t`, given ascending bucket starts and the end of the last bucket;
 * -1 outside. Binary search on precomputed local-midnight instants: far cheaper than asking Intl
 * for the local date of every row (the overview folds a few thousand).
 */
export function bucketOf(starts: readonly number[], end: number, t: number): number {
  if (starts.length === 0 || t < starts[0]! || t >= end) return -1
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= t) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** Missed calls and recovered appointments per local day, zeros included. */
export function dailySeries(
  callFacts: readonly CallFact[],
  recovered: readonly RecoveredFact[],
  dates: readonly string[],
  timeZone: string,
): DailyPoint[] {
  const points = dates.map((date) => ({ date, missed: 0, recovered: 0 }))
  if (dates.length === 0) return points
  const starts = dates.map((d) => startOfLocalDay(d, timeZone))
  const end = startOfLocalDay(addDays(dates[dates.length - 1]!, 1), timeZone)
  for (const c of callFacts) {
    if (!isMissed(c.status)) continue
    const i = bucketOf(starts, end, c.startedAt)
    if (i >= 0) points[i]!.missed++
  }
  for (const a of recovered) {
    const i = bucketOf(starts, end, a.createdAt)
    if (i >= 0) points[i]!.recovered++
  }
  return points
}

/** Recovered revenue per local month, zeros included. */
export function monthlySeries(
  recovered: readonly RecoveredFact[],
  months: readonly string[],
  timeZone: string,
): MonthlyPoint[] {
  const points = months.map((month) => ({ month, revenuePence: 0 }))
  if (months.length === 0) return points
  const starts = months.map((m) => startOfLocalDay(`${m}-01`, timeZone))
  const [y, m] = months[months.length - 1]!.split('-').map(Number) as [number, number]
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`
  const end = startOfLocalDay(`${next}-01`, timeZone)
  for (const a of recovered) {
    const i = bucketOf(starts, end, a.createdAt)
    if (i >= 0) points[i]!.revenuePence += a.valuePence
  }
  return points
}

/**
 * Hold-out uplift: the recovery rate of missed calls that got a text-back minus that of the
 * randomly held-out ones (percentage points). Null when either group is empty.
 */
export function holdOutUplift(callFacts: readonly CallFact[]): {
  textBackCalls: number
  textBackRecovered: number
  heldOutCalls: number
  heldOutRecovered: number
  upliftPoints: number | null
} {
  let textBackCalls = 0
  let textBackRecovered = 0
  let heldOutCalls = 0
  let heldOutRecovered = 0
  for (const c of callFacts) {
    if (!isMissed(c.status)) continue
    if (c.textBackStatus === 'held-out') {
      heldOutCalls++
      if (c.recoveredAppointmentId) heldOutRecovered++
    } else if (c.textBackStatus === 'sent' || c.textBackStatus === 'queued') {
      textBackCalls++
      if (c.recoveredAppointmentId) textBackRecovered++
    }
  }
  const upliftPoints =
    textBackCalls > 0 && heldOutCalls > 0
      ? Math.round(
          ((textBackRecovered / textBackCalls) * 100 - (heldOutRecovered / heldOutCalls) * 100) *
            10,
        ) / 10
      : null
  return { textBackCalls, textBackRecovered, heldOutCalls, heldOutRecovered, upliftPoints }
}

export type ToCallBack = {
  callId: string
  callerHash: string
  firstMissedAt: number
  missedCount: number
}

/**
 * Callers still waiting for a callback, oldest first: one line per caller (their oldest missed
 * call in the window and how many times they rang), skipping withheld numbers (nobody to call).
 */
export function toCallBackList(
  rows: readonly { id: string; callerHash: string | null; startedAt: number }[],
  limit: number,
): ToCallBack[] {
  const byCaller = new Map<string, ToCallBack>()
  for (const r of [...rows].sort((a, b) => a.startedAt - b.startedAt)) {
    if (!r.callerHash) continue
    const seen = byCaller.get(r.callerHash)
    if (seen) seen.missedCount++
    else
      byCaller.set(r.callerHash, {
        callId: r.id,
        callerHash: r.callerHash,
        firstMissedAt: r.startedAt,
        missedCount: 1,
      })
  }
  return [...byCaller.values()].slice(0, limit)
}

/** The value rule 5 counts: the appointment's own, else its treatment's, else the clinic default. */
const countedValue = (defaultPence: number) =>
  sql<number>`coalesce(${appointments.valuePence}, ${treatments.valuePence}, ${defaultPence})`

export type Overview = {
  timezone: string
  week: PeriodStats
  month: PeriodStats
  daily: DailyPoint[]
  monthly: MonthlyPoint[]
  holdOut: ReturnType<typeof holdOutUplift> | null
  holdOutPercent: number
  toCallBack: ToCallBack[]
}

/** Everything the overview page shows, in four queries. */
export async function loadOverview(db: Db, clinic: Clinic, now: number): Promise<Overview> {
  const tz = clinic.timezone
  const today = localDateOf(now, tz)
  const weekStart = startOfWeek(today)
  const monthStart = `${today.slice(0, 7)}-01`
  const chartFrom = addDays(today, -29)
  const earliest = weekStart < chartFrom ? weekStart : chartFrom
  const from = startOfLocalDay(earliest < monthStart ? earliest : monthStart, tz)
  const sixMonthsAgo = monthRange(
    `${addDays(monthStart, -160).slice(0, 7)}`,
    today.slice(0, 7),
  ).slice(-6)
  const revenueFrom = startOfLocalDay(`${sixMonthsAgo[0]}-01`, tz)
  const windowFrom = now - clinic.attributionWindowDays * DAY_MS

  const [callRows, recoveredRows, pending] = await db.batch([
    db
      .select({
        startedAt: calls.startedAt,
        status: calls.status,
        calledBackAt: calls.calledBackAt,
        textedBackAt: calls.textedBackAt,
        textBackStatus: calls.textBackStatus,
        recoveredAppointmentId: calls.recoveredAppointmentId,
      })
      .from(calls)
      .where(
        and(
          eq(calls.clinicId, clinic.id),
          eq(calls.direction, 'inbound'),
          gte(calls.startedAt, from),
        ),
      ),
    db
      .select({
        createdAt: appointments.createdAt,
        valuePence: countedValue(clinic.defaultAppointmentValuePence),
      })
      .from(appointments)
      .leftJoin(
        treatments,
        and(eq(treatments.id, appointments.treatmentId), eq(treatments.clinicId, clinic.id)),
      )
      .where(
        and(
          eq(appointments.clinicId, clinic.id),
          eq(appointments.attributionStatus, 'recovered'),
          gte(appointments.createdAt, revenueFrom),
        ),
      ),
    db
      .select({ id: calls.id, callerHash: calls.callerHash, startedAt: calls.startedAt })
      .from(calls)
      .where(
        and(
          eq(calls.clinicId, clinic.id),
          eq(calls.direction, 'inbound'),
          inArray(calls.status, ['missed', 'voicemail']),
          isNull(calls.calledBackAt),
          isNull(calls.recoveredAppointmentId),
          isNotNull(calls.callerHash),
          gte(calls.startedAt, windowFrom),
        ),
      )
      .orderBy(calls.startedAt)
      .limit(500),
  ])
  const callFacts = callRows as CallFact[]
  const recovered = recoveredRows.map((r) => ({
    createdAt: r.createdAt,
    valuePence: Number(r.valuePence),
  }))
  const end = startOfLocalDay(addDays(today, 1), tz)
  const monthStartMs = startOfLocalDay(monthStart, tz)
  return {
    timezone: tz,
    week: summarisePeriod(callFacts, recovered, startOfLocalDay(weekStart, tz), end),
    month: summarisePeriod(callFacts, recovered, monthStartMs, end),
    daily: dailySeries(callFacts, recovered, datesBetween(chartFrom, today), tz),
    monthly: monthlySeries(recovered, sixMonthsAgo, tz),
    holdOut:
      clinic.holdOutPercent > 0
        ? holdOutUplift(callFacts.filter((c) => c.startedAt >= monthStartMs - 60 * DAY_MS))
        : null,
    holdOutPercent: clinic.holdOutPercent,
    toCallBack: toCallBackList(pending, 15),
  }
}

// ---------------------------------------------------------------------------------------------
// Calls

export type CallFilters = {
  status?: 'missed' | 'answered' | 'voicemail' | 'ringing'
  direction?: 'inbound' | 'outbound'
  callback?: 'waiting' | 'called-back'
  fromMs?: number
  toMs?: number
  /** The first characters of a caller hash (the label staff see). */
  callerPrefix?: string
}

export type CallRow = typeof calls.$inferSelect

/** A page of calls, newest first, keyset-paginated on (startedAt, id). */
export async function listCalls(
  db: Db,
  clinicId: string,
  filters: CallFilters,
  limit: number,
  cursor: { t: number; id: string } | null,
): Promise<CallRow[]> {
  const where = [eq(calls.clinicId, clinicId)]
  if (filters.status) where.push(eq(calls.status, filters.status))
  if (filters.direction) where.push(eq(calls.direction, filters.direction))
  if (filters.callback === 'waiting') {
    where.push(inArray(calls.status, ['missed', 'voicemail']), isNull(calls.calledBackAt))
  }
  if (filters.callback === 'called-back') where.push(isNotNull(calls.calledBackAt))
  if (filters.fromMs !== undefined) where.push(gte(calls.startedAt, filters.fromMs))
  if (filters.toMs !== undefined) where.push(lt(calls.startedAt, filters.toMs))
  if (filters.callerPrefix) {
    // A range instead of LIKE, so the (clinic_id, caller_hash) index serves it.
    where.push(
      gte(calls.callerHash, filters.callerPrefix),
      lt(calls.callerHash, `${filters.callerPrefix}~`),
    )
  }
  if (cursor) {
    where.push(
      or(
        lt(calls.startedAt, cursor.t),
        and(eq(calls.startedAt, cursor.t), lt(calls.id, cursor.id)),
      )!,
    )
  }
  return db
    .select()
    .from(calls)
    .where(and(...where))
    .orderBy(desc(calls.startedAt), desc(calls.id))
    .limit(limit + 1)
}

// ---------------------------------------------------------------------------------------------
// Appointments

export type AppointmentRow = typeof appointments.$inferSelect & {
  treatmentName: string | null
  countedValuePence: number
  valueSource: 'appointment' | 'treatment' | 'clinic-default'
}

function appointmentSelect(defaultPence: number) {
  return {
    appointment: appointments,
    treatmentName: treatments.name,
    treatmentValuePence: treatments.valuePence,
    countedValuePence: countedValue(defaultPence),
  }
}

function toAppointmentRow(r: {
  appointment: typeof appointments.$inferSelect
  treatmentName: string | null
  treatmentValuePence: number | null
  countedValuePence: number
}): AppointmentRow {
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

/** A page of appointments, newest booking first. */
export async function listAppointments(
  db: Db,
  clinic: Clinic,
  filters: { status?: 'recovered' | 'unattributed' },
  limit: number,
  cursor: { t: number; id: string } | null,
): Promise<AppointmentRow[]> {
  const where = [eq(appointments.clinicId, clinic.id)]
  if (filters.status) where.push(eq(appointments.attributionStatus, filters.status))
  if (cursor) {
    where.push(
      or(
        lt(appointments.createdAt, cursor.t),
        and(eq(appointments.createdAt, cursor.t), lt(appointments.id, cursor.id)),
      )!,
    )
  }
  const rows = await db
    .select(appointmentSelect(clinic.defaultAppointmentValuePence))
    .from(appointments)
    .leftJoin(
      treatments,
      and(eq(treatments.id, appointments.treatmentId), eq(treatments.clinicId, clinic.id)),
    )
    .where(and(...where))
    .orderBy(desc(appointments.createdAt), desc(appointments.id))
    .limit(limit + 1)
  return rows.map(toAppointmentRow)
}

/** One appointment with the missed call it was attributed to (if any) and that call's callback. */
export async function getAppointment(
  db: Db,
  clinic: Clinic,
  id: string,
): Promise<{ appointment: AppointmentRow; call: CallRow | null } | null> {
  const [row] = await db
    .select(appointmentSelect(clinic.defaultAppointmentValuePence))
    .from(appointments)
    .leftJoin(
      treatments,
      and(eq(treatments.id, appointments.treatmentId), eq(treatments.clinicId, clinic.id)),
    )
    .where(and(eq(appointments.clinicId, clinic.id), eq(appointments.id, id)))
    .limit(1)
  if (!row) return null
  const appointment = toAppointmentRow(row)
  let call: CallRow | null = null
  if (appointment.attributedCallId) {
    const [c] = await db
      .select()
      .from(calls)
      .where(and(eq(calls.clinicId, clinic.id), eq(calls.id, appointment.attributedCallId)))
      .limit(1)
    call = c ?? null
  }
  return { appointment, call }
}

// ---------------------------------------------------------------------------------------------
// Set-up pages

export function listTreatments(db: Db, clinicId: string) {
  return db
    .select()
    .from(treatments)
    .where(eq(treatments.clinicId, clinicId))
    .orderBy(treatments.name)
}

export function listNumbers(db: Db, clinicId: string) {
  return db
    .select()
    .from(trackingNumbers)
    .where(eq(trackingNumbers.clinicId, clinicId))
    .orderBy(trackingNumbers.createdAt)
}

export function listTeam(db: Db, clinicId: string) {
  return db
    .select({
      id: users.id,
      emailSealed: users.emailSealed,
      role: users.role,
      status: users.status,
      createdAt: users.createdAt,
      lastLoginAt: users.lastLoginAt,
    })
    .from(users)
    .where(eq(users.clinicId, clinicId))
    .orderBy(users.createdAt)
}

export function listApiKeys(db: Db, clinicId: string) {
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.clinicId, clinicId))
    .orderBy(desc(apiKeys.createdAt))
}

export function listOutbox(db: Db, clinicId: string, limit: number) {
  return db
    .select({
      id: outboundMessages.id,
      kind: outboundMessages.kind,
      channel: outboundMessages.channel,
      toMasked: outboundMessages.toMasked,
      bodySealed: outboundMessages.bodySealed,
      status: outboundMessages.status,
      createdAt: outboundMessages.createdAt,
    })
    .from(outboundMessages)
    .where(eq(outboundMessages.clinicId, clinicId))
    .orderBy(desc(outboundMessages.createdAt), desc(outboundMessages.id))
    .limit(limit)
}

export function listPrivacyRequests(db: Db, clinicId: string, limit: number) {
  return db
    .select({
      id: privacyRequests.id,
      type: privacyRequests.type,
      status: privacyRequests.status,
      createdAt: privacyRequests.createdAt,
      dueAt: privacyRequests.dueAt,
      completedAt: privacyRequests.completedAt,
    })
    .from(privacyRequests)
    .where(eq(privacyRequests.clinicId, clinicId))
    .orderBy(desc(privacyRequests.createdAt))
    .limit(limit)
}

/** Purge receipts for this clinic (and platform-wide runs, which carry no clinic). */
export function listPurges(db: Db, clinicId: string, limit: number) {
  return db
    .select()
    .from(purgeRuns)
    .where(or(eq(purgeRuns.clinicId, clinicId), isNull(purgeRuns.clinicId)))
    .orderBy(desc(purgeRuns.ranAt))
    .limit(limit)
}
