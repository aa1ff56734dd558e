/**
 * Pure formatting for the dashboard: money, rates, durations, local dates and the short caller
 * label. No bindings and no clock (callers pass `now`), so every rule here tests in microseconds.
 * Calendar arithmetic comes from the metrics module's local-time helpers (one implementation).
 */
import { addDays, pad, wallClockAt } from '../metrics/local-time'

export { formatPence } from '../lib/money'

/** Axis labels, where pennies are noise: `£950`, `£12.5k`, `£1.2m`. */
export function formatPoundsCompact(pence: number): string {
  const pounds = pence / 100
  const trim = (n: number) => String(Number(n.toFixed(1)))
  if (Math.abs(pounds) >= 1_000_000) return `£${trim(pounds / 1_000_000)}m`
  if (Math.abs(pounds) >= 1_000) return `£${trim(pounds / 1_000)}k`
  return `£${Math.round(pounds)}`
}

/** A ratio as a whole percentage, or an em dash when there is nothing to divide by. */
export function formatRate(numerator: number, denominator: number): string {
  if (denominator <= 0) return '—'
  return `${Math.round((numerator / denominator) * 100)}%`
}

/** Seconds → `45s`, `12m`, `3h 5m`, `2d 4h`; null → em dash. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`
  const d = Math.floor(h / 24)
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`
}

/**
 * A caller shown without their number: the first six characters of the keyed, clinic-scoped hash.
 * Staff can tell repeat callers apart; nobody can read a number from it.
 */
export function callerLabel(callerHash: string | null): string {
  return callerHash ? `Caller ${callerHash.slice(0, 6)}` : 'Withheld number'
}

type LocalParts = { date: string; month: string; time: string }

/** The clinic-local calendar date (`YYYY-MM-DD`), month (`YYYY-MM`) and time (`HH:MM`) of an instant. */
export function localParts(ms: number, timeZone: string): LocalParts {
  const p = wallClockAt(ms, timeZone)
  const date = `${String(p.year).padStart(4, '0')}-${pad(p.month)}-${pad(p.day)}`
  return { date, month: date.slice(0, 7), time: `${pad(p.hour)}:${pad(p.minute)}` }
}

const DATE_ONLY = { day: 'numeric', month: 'short', year: 'numeric' } as const

/** `ms` formatted en-GB in the clinic's time zone, or an em dash for no instant. */
function formatIn(
  ms: number | null,
  timeZone: string,
  options: Intl.DateTimeFormatOptions,
): string {
  if (ms === null) return '—'
  return new Intl.DateTimeFormat('en-GB', { timeZone, ...options }).format(ms)
}

/** `23 Nov 2026, 09:15` in the clinic's time zone. */
export function formatLocal(ms: number | null, timeZone: string): string {
  return formatIn(ms, timeZone, { ...DATE_ONLY, hour: '2-digit', minute: '2-digit' })
}

/** `23 Nov 2026` in the clinic's time zone. */
export function formatLocalDate(ms: number | null, timeZone: string): string {
  return formatIn(ms, timeZone, DATE_ONLY)
}

/** Monday of the ISO week containing `date` (`YYYY-MM-DD`). */
export function startOfWeek(date: string): string {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay() // 0 = Sunday
  return addDays(date, -((day + 6) % 7))
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** `2026-11` → `Nov 2026`; `2026-11-23` → `23 Nov`. */
export function monthLabel(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return `${MONTHS[m - 1]} ${y}`
}

export function dayLabel(date: string): string {
  const [, m, d] = date.split('-').map(Number) as [number, number, number]
  return `${d} ${MONTHS[m - 1]}`
}

/** The text-back template as the sender renders it (one implementation: src/textback). */
export { renderTextBack } from '../textback/request'
