/**
 * The metrics module's reads: every figure the JSON API and the dashboard show comes from here,
 * read from the stored daily aggregates (daily_metrics) and folded by ./aggregate.
 */
import { and, between, eq } from 'drizzle-orm'
import { findClinic } from '../clinic/find'
import type { Db } from '../db/client'
import { dailyMetrics } from '../db/schema'
import type { Bindings } from '../env'
import { notFound } from '../lib/problem'
import { DAY_MS } from '../lib/time'
import {
  type DayAggregate,
  emptyDay,
  type HoldOutSummary,
  holdOutSummary,
  median,
  SHOWN_COUNTS,
  sumDays,
} from './aggregate'
import { addDays, datesBetween, localDateOf } from './local-time'
import { rollUpMetrics } from './rollup'

/** The figures of one day, one month or any range of days (the API's shape). */
export type Figures = Record<(typeof SHOWN_COUNTS)[number], number> & {
  medianCallbackSeconds: number | null
  holdOut: HoldOutSummary
}

/** A clinic's stored days of a range, every local date present (zeros for days with no row). */
export type StoredDays = { timezone: string; days: Map<string, DayAggregate> }

/** The figures of an aggregate (a day, or days summed with `sumDays`). */
export function figuresOf(day: DayAggregate): Figures {
  const counts = Object.fromEntries(SHOWN_COUNTS.map((k) => [k, day[k]])) as Record<
    (typeof SHOWN_COUNTS)[number],
    number
  >
  return {
    ...counts,
    medianCallbackSeconds: median(day.callbackSeconds),
    holdOut: holdOutSummary(day),
  }
}

/** The figures of the local dates [from, to] (inclusive) among loaded days. */
export function figuresBetween(
  days: ReadonlyMap<string, DayAggregate>,
  from: string,
  to: string,
): Figures {
  const inRange = [...days].filter(([date]) => date >= from && date <= to).map(([, d]) => d)
  return figuresOf(sumDays(inRange))
}

/** Every month `YYYY-MM` from `from` to `to` inclusive (at most `cap + 1`, to bound a bad range). */
export function monthsBetween(from: string, to: string, cap = 1200): string[] {
  const out: string[] = []
  let [y, m] = from.split('-').map(Number) as [number, number]
  while (out.length <= cap) {
    const key = `${y}-${String(m).padStart(2, '0')}`
    if (key > to) break
    out.push(key)
    m++
    if (m > 12) {
      m = 1
      y++
    }
  }
  return out
}

/** The last local date of a month `YYYY-MM`. */
export function lastDayOfMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`
  return addDays(`${next}-01`, -1)
}

/**
 * Reads the stored days of [from, to] for a clinic, refreshing the last two local days first
 * (so today's figures are current without waiting for the cron). 404 for an unknown clinic.
 */
export async function loadDays(
  env: Bindings,
  db: Db,
  clinicId: string,
  from: string,
  to: string,
  now: number,
): Promise<StoredDays> {
  const clinic = await findClinic(db, clinicId)
  if (!clinic) throw notFound()
  const today = localDateOf(now, clinic.timezone)
  const yesterday = addDays(today, -1)
  if (from <= today && to >= yesterday) {
    await rollUpMetrics(env, clinicId, Math.max(now - DAY_MS, 0), now)
  }
  const rows = await db
    .select()
    .from(dailyMetrics)
    .where(and(eq(dailyMetrics.clinicId, clinicId), between(dailyMetrics.date, from, to)))
  const days = new Map<string, DayAggregate>(datesBetween(from, to).map((d) => [d, emptyDay()]))
  for (const r of rows) {
    let seconds: number[] = []
    try {
      const parsed: unknown = JSON.parse(r.callbackSecondsJson)
      if (Array.isArray(parsed)) seconds = parsed.filter((n): n is number => typeof n === 'number')
    } catch {
      seconds = []
    }
    days.set(r.date, {
      inboundCalls: r.inboundCalls,
      missedCalls: r.missedCalls,
      answeredCalls: r.answeredCalls,
      voicemails: r.voicemails,
      callbacks: r.callbacks,
      textBacks: r.textBacks,
      callbackSeconds: seconds,
      recoveredAppointments: r.recoveredAppointments,
      recoveredRevenuePence: r.recoveredRevenuePence,
      heldOutMissedCalls: r.heldOutMissedCalls,
      heldOutRecovered: r.heldOutRecovered,
      textBackMissedCalls: r.textBackMissedCalls,
      textBackRecovered: r.textBackRecovered,
    })
  }
  return { timezone: clinic.timezone, days }
}

export type DailyFigures = {
  timezone: string
  days: Array<{ date: string } & Figures>
  /** The whole range's figures (medians pooled, not averaged). */
  total: Figures
  holdOut: HoldOutSummary
}

/** Per-day figures of stored days, with the range's total and hold-out comparison. */
export function dailyFiguresOf(stored: StoredDays): DailyFigures {
  const all = sumDays([...stored.days.values()])
  return {
    timezone: stored.timezone,
    days: [...stored.days].map(([date, day]) => ({ date, ...figuresOf(day) })),
    total: figuresOf(all),
    holdOut: holdOutSummary(all),
  }
}

export type MonthlyFigures = {
  timezone: string
  months: Array<{ month: string } & Figures>
  holdOut: HoldOutSummary
}

/** Per-month figures of the given months from stored days covering them. */
export function monthlyFiguresOf(stored: StoredDays, months: readonly string[]): MonthlyFigures {
  const byMonth = new Map<string, DayAggregate[]>(months.map((m) => [m, []]))
  const counted: DayAggregate[] = []
  for (const [date, day] of stored.days) {
    const bucket = byMonth.get(date.slice(0, 7))
    if (!bucket) continue
    bucket.push(day)
    counted.push(day)
  }
  return {
    timezone: stored.timezone,
    months: months.map((month) => ({ month, ...figuresOf(sumDays(byMonth.get(month) ?? [])) })),
    holdOut: holdOutSummary(sumDays(counted)),
  }
}

/** `/metrics/monthly`: every local month of the given (validated, ascending) months. */
export async function monthlyMetricsOf(
  env: Bindings,
  db: Db,
  clinicId: string,
  months: readonly string[],
  now: number,
): Promise<MonthlyFigures> {
  const first = months[0]
  const last = months[months.length - 1]
  if (!first || !last) throw new Error('monthlyMetricsOf needs at least one month')
  const stored = await loadDays(env, db, clinicId, `${first}-01`, lastDayOfMonth(last), now)
  return monthlyFiguresOf(stored, months)
}
