/**
 * The one calendar-date, month and instant types for input, with real bounds: years 2000–2100.
 * Every range a request names (metrics days and months, calls and appointments lists, dashboard
 * filters) goes through here, so no input can reach year 9999 (string comparisons and loops past
 * `+010000`) or years below 1000 (`Date.UTC` reads 0–99 as 1900–1999) and every bad value is a 400
 * naming its field.
 */
import { z } from '@hono/zod-openapi'
import { badRequest, type ProblemFieldError } from './problem'
import { DAY_MS } from './time'

/** Inclusive bounds of every date the API accepts. A clinic's history fits well inside. */
export const MIN_YEAR = 2000
export const MAX_YEAR = 2100
/** The instants of those bounds: 2000-01-01T00:00Z inclusive to 2101-01-01T00:00Z exclusive. */
export const MIN_INSTANT_MS = Date.UTC(MIN_YEAR, 0, 1)
export const MAX_INSTANT_MS = Date.UTC(MAX_YEAR + 1, 0, 1)

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const MONTH = /^(\d{4})-(\d{2})$/
const BOUNDS = `between ${MIN_YEAR} and ${MAX_YEAR}`

/** `YYYY-MM-DD` when `raw` is a real calendar date within the bounds, else null. */
export function parseCalendarDate(raw: unknown): string | null {
  if (typeof raw !== 'string') return null
  const m = DATE.exec(raw)
  if (!m) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (y < MIN_YEAR || y > MAX_YEAR) return null
  // Round trip: 2026-02-30 becomes March 2nd and is refused.
  const t = new Date(Date.UTC(y, mo - 1, d))
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d ? raw : null
}

/** `YYYY-MM` when `raw` is a month within the bounds, else null. */
export function parseCalendarMonth(raw: unknown): string | null {
  if (typeof raw !== 'string') return null
  const m = MONTH.exec(raw)
  if (!m) return null
  const [y, mo] = [Number(m[1]), Number(m[2])]
  return y >= MIN_YEAR && y <= MAX_YEAR && mo >= 1 && mo <= 12 ? raw : null
}

/**
 * Epoch ms of an ISO-8601 date-time with a zone (`2026-11-23T09:15:00Z`, `…+01:00`) whose date
 * is a real calendar date and whose instant lies within the bounds, else null.
 */
export function parseInstant(raw: unknown): number | null {
  if (typeof raw !== 'string' || raw.length > 40) return null
  if (!z.iso.datetime({ offset: true }).safeParse(raw).success) return null
  if (parseCalendarDate(raw.slice(0, 10)) === null) return null
  const ms = Date.parse(raw)
  return Number.isFinite(ms) && ms >= MIN_INSTANT_MS && ms < MAX_INSTANT_MS ? ms : null
}

/** Whole days from `from` to `to` (both valid calendar dates). */
export function calendarDaysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS)
}

/** Whole months from `from` to `to` (both valid `YYYY-MM`). */
export function calendarMonthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number) as [number, number]
  const [ty, tm] = to.split('-').map(Number) as [number, number]
  return (ty - fy) * 12 + (tm - fm)
}

/** `YYYY-MM` plus `months` (pure arithmetic; callers keep results inside the bounds). */
export function addMonths(month: string, months: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  const index = y * 12 + (m - 1) + months
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`
}

export const CalendarDateSchema = z
  .string()
  .refine((v) => parseCalendarDate(v) !== null, `Must be a date YYYY-MM-DD ${BOUNDS}`)
  .openapi({ example: '2026-11-01', format: 'date' })

export const CalendarMonthSchema = z
  .string()
  .refine((v) => parseCalendarMonth(v) !== null, `Must be a month YYYY-MM ${BOUNDS}`)
  .openapi({ example: '2026-11' })

/** An ISO-8601 date-time with a zone, within the bounds (see `parseInstant`). */
export const InstantSchema = z
  .string()
  .refine(
    (v) => parseInstant(v) !== null,
    `Must be a date-time such as 2026-11-23T09:15:00Z, ${BOUNDS}`,
  )
  .openapi({ example: '2026-11-23T09:15:00Z', format: 'date-time' })

function invalid(errors: ProblemFieldError[]): never {
  throw badRequest('The request is not valid.', errors)
}

/**
 * Validates a `from`–`to` range of calendar dates (inclusive, at most `maxDays` days) or throws a
 * problem+json 400 naming the field at fault.
 */
export function parseDateRange(
  rawFrom: unknown,
  rawTo: unknown,
  maxDays: number,
): { from: string; to: string; days: number } {
  const from = parseCalendarDate(rawFrom)
  const to = parseCalendarDate(rawTo)
  const errors: ProblemFieldError[] = []
  if (!from) errors.push({ path: 'from', message: `Must be a date YYYY-MM-DD ${BOUNDS}` })
  if (!to) errors.push({ path: 'to', message: `Must be a date YYYY-MM-DD ${BOUNDS}` })
  if (!from || !to) return invalid(errors)
  const days = calendarDaysBetween(from, to) + 1
  if (days < 1) invalid([{ path: 'to', message: 'Must not be before from' }])
  if (days > maxDays) invalid([{ path: 'to', message: `At most ${maxDays} days per request` }])
  return { from, to, days }
}

/** As `parseDateRange`, for months (`YYYY-MM`, inclusive, at most `maxMonths`). */
export function parseMonthRange(
  rawFrom: unknown,
  rawTo: unknown,
  maxMonths: number,
): { from: string; to: string; months: string[] } {
  const from = parseCalendarMonth(rawFrom)
  const to = parseCalendarMonth(rawTo)
  const errors: ProblemFieldError[] = []
  if (!from) errors.push({ path: 'from', message: `Must be a month YYYY-MM ${BOUNDS}` })
  if (!to) errors.push({ path: 'to', message: `Must be a month YYYY-MM ${BOUNDS}` })
  if (!from || !to) return invalid(errors)
  const count = calendarMonthsBetween(from, to) + 1
  if (count < 1) invalid([{ path: 'to', message: 'Must not be before from' }])
  if (count > maxMonths) {
    invalid([{ path: 'to', message: `At most ${maxMonths} months per request` }])
  }
  return { from, to, months: Array.from({ length: count }, (_, i) => addMonths(from, i)) }
}

/**
 * Validates an optional `from`/`to` pair of instants (`to` not before `from`) or throws a 400
 * naming the field; returns epoch ms.
 */
export function parseInstantRange(
  rawFrom: string | undefined,
  rawTo: string | undefined,
): { fromMs: number | undefined; toMs: number | undefined } {
  const fromMs = rawFrom === undefined ? undefined : parseInstant(rawFrom)
  const toMs = rawTo === undefined ? undefined : parseInstant(rawTo)
  const errors: ProblemFieldError[] = []
  const message = `Must be a date-time such as 2026-11-23T09:15:00Z, ${BOUNDS}`
  if (fromMs === null) errors.push({ path: 'from', message })
  if (toMs === null) errors.push({ path: 'to', message })
  if (errors.length > 0) invalid(errors)
  if (fromMs != null && toMs != null && toMs < fromMs) {
    invalid([{ path: 'to', message: 'Must not be before from' }])
  }
  return { fromMs: fromMs ?? undefined, toMs: toMs ?? undefined }
}
