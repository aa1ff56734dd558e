/**
 * Daily metric aggregates (table daily_metrics): anonymous counts per clinic and local date,
 * recomputed from D1's calls and appointments. They are refreshed when an event or a changed
 * attribution touches a day, at read time for the last two days, and nightly by the cron.
 *
 * Days whose calls a retention purge may already have deleted (days starting before the latest
 * cut-off of the clinic's `calls` purge, from purge_runs: a `calls` receipt, or a run's summary
 * line `all`, whose cut-off is the run's call cut-off) are sealed: once a row
 * exists for such a day it is never recomputed, because recomputing from what is left after the
 * purge would erase the history the aggregates exist to keep. A day with no row yet is computed
 * from what remains (a backfill such as the demo seed, before any purge).
 */
import type { Bindings } from '../env'
import {
  aggregateDays,
  type DayAggregate,
  type MetricAppointment,
  type MetricCall,
} from './aggregate'
import { addDays, datesBetween, localDateOf, startOfLocalDay } from './local-time'

type ClinicForMetrics = {
  id: string
  timezone: string
  defaultAppointmentValuePence: number
}

/** Local dates per range query: two bound parameters each, under D1's 100. */
const DATES_PER_QUERY = 40

async function loadClinic(db: D1Database, clinicId: string): Promise<ClinicForMetrics | null> {
  return db
    .prepare(
      `SELECT id, timezone, default_appointment_value_pence AS defaultAppointmentValuePence
       FROM clinics WHERE id = ?`,
    )
    .bind(clinicId)
    .first<ClinicForMetrics>()
}

/** Recomputes a clinic's daily aggregates for local days overlapping [fromMs, toMs]. */
export async function rollUpMetrics(
  env: Bindings,
  clinicId: string,
  fromMs: number,
  toMs: number,
): Promise<void> {
  const clinic = await loadClinic(env.DB, clinicId)
  if (!clinic || toMs < fromMs) return
  const dates = datesBetween(
    localDateOf(fromMs, clinic.timezone),
    localDateOf(toMs, clinic.timezone),
  )
  await rollUpDates(env.DB, clinic, dates, Date.now())
}

/** Recomputes the local days containing the given instants (an event's day, a booking's day…). */
export async function rollUpInstants(
  env: Bindings,
  clinicId: string,
  instants: readonly number[],
): Promise<void> {
  if (instants.length === 0) return
  const clinic = await loadClinic(env.DB, clinicId)
  if (!clinic) return
  const dates = [...new Set(instants.map((t) => localDateOf(t, clinic.timezone)))].sort()
  await rollUpDates(env.DB, clinic, dates, Date.now())
}

/** Merges sorted dates into contiguous [start, end) instant ranges. */
function toRanges(dates: readonly string[], timeZone: string): Array<[number, number]> {
  const ranges: Array<[string, string]> = []
  for (const date of dates) {
    const last = ranges[ranges.length - 1]
    if (last && addDays(last[1], 1) === date) last[1] = date
    else ranges.push([date, date])
  }
  return ranges.map(([from, to]) => [
    startOfLocalDay(from, timeZone),
    startOfLocalDay(addDays(to, 1), timeZone),
  ])
}

function rangeWhere(column: string, ranges: Array<[number, number]>): string {
  return ranges.map(() => `(${column} >= ? AND ${column} < ?)`).join(' OR ')
}

async function rollUpDates(
  db: D1Database,
  clinic: ClinicForMetrics,
  allDates: readonly string[],
  now: number,
): Promise<void> {
  const tz = clinic.timezone
  const lastPurge = await db
    .prepare(
      `SELECT max(cutoff) AS cutoff FROM purge_runs WHERE clinic_id = ? AND job IN ('calls', 'all')`,
    )
    .bind(clinic.id)
    .first<{ cutoff: number | null }>()
  const purgedBefore = lastPurge?.cutoff ?? Number.NEGATIVE_INFINITY
  for (let i = 0; i < allDates.length; i += DATES_PER_QUERY) {
    let dates = allDates.slice(i, i + DATES_PER_QUERY)
    const sealedCandidates = dates.filter((d) => startOfLocalDay(d, tz) < purgedBefore)
    if (sealedCandidates.length > 0) {
      const existing = await db
        .prepare(
          `SELECT date FROM daily_metrics WHERE clinic_id = ? AND date IN (${sealedCandidates.map(() => '?').join(',')})`,
        )
        .bind(clinic.id, ...sealedCandidates)
        .all<{ date: string }>()
      const sealed = new Set(existing.results.map((r) => r.date))
      dates = dates.filter((d) => !sealed.has(d))
    }
    if (dates.length === 0) continue
    const ranges = toRanges(dates, tz)
    const flat = ranges.flat()
    const [calls, recovered] = await db.batch<MetricCall | MetricAppointment>([
      db
        .prepare(
          `SELECT started_at AS startedAt, status, called_back_at AS calledBackAt,
                  text_back_status AS textBackStatus, texted_back_at AS textedBackAt,
                  recovered_appointment_id AS recoveredAppointmentId
           FROM calls WHERE clinic_id = ? AND direction = 'inbound' AND (${rangeWhere('started_at', ranges)})`,
        )
        .bind(clinic.id, ...flat),
      // Rule 5: the appointment's value, else its treatment's, else the clinic default.
      db
        .prepare(
          `SELECT a.created_at AS createdAt,
                  COALESCE(a.value_pence, t.value_pence, ?) AS valuePence
           FROM appointments a
           LEFT JOIN treatments t ON t.id = a.treatment_id AND t.clinic_id = a.clinic_id
           WHERE a.clinic_id = ? AND a.attribution_status = 'recovered'
             AND (${rangeWhere('a.created_at', ranges)})`,
        )
        .bind(clinic.defaultAppointmentValuePence, clinic.id, ...flat),
    ])
    const days = aggregateDays(
      dates,
      tz,
      (calls?.results ?? []) as MetricCall[],
      (recovered?.results ?? []) as MetricAppointment[],
    )
    await db.batch([...days].map(([date, day]) => upsertDay(db, clinic.id, date, day, now)))
  }
}

function upsertDay(
  db: D1Database,
  clinicId: string,
  date: string,
  d: DayAggregate,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO daily_metrics (clinic_id, date, inbound_calls, missed_calls, answered_calls,
         voicemails, callbacks, text_backs, callback_seconds_json, recovered_appointments,
         recovered_revenue_pence, held_out_missed_calls, held_out_recovered,
         text_back_missed_calls, text_back_recovered, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (clinic_id, date) DO UPDATE SET
         inbound_calls = excluded.inbound_calls, missed_calls = excluded.missed_calls,
         answered_calls = excluded.answered_calls, voicemails = excluded.voicemails,
         callbacks = excluded.callbacks, text_backs = excluded.text_backs,
         callback_seconds_json = excluded.callback_seconds_json,
         recovered_appointments = excluded.recovered_appointments,
         recovered_revenue_pence = excluded.recovered_revenue_pence,
         held_out_missed_calls = excluded.held_out_missed_calls,
         held_out_recovered = excluded.held_out_recovered,
         text_back_missed_calls = excluded.text_back_missed_calls,
         text_back_recovered = excluded.text_back_recovered,
         updated_at = excluded.updated_at`,
    )
    .bind(
      clinicId,
      date,
      d.inboundCalls,
      d.missedCalls,
      d.answeredCalls,
      d.voicemails,
      d.callbacks,
      d.textBacks,
      JSON.stringify(d.callbackSeconds),
      d.recoveredAppointments,
      d.recoveredRevenuePence,
      d.heldOutMissedCalls,
      d.heldOutRecovered,
      d.textBackMissedCalls,
      d.textBackRecovered,
      now,
    )
}
