/**
 * Local calendar days in a clinic's IANA time zone, daylight saving included, with nothing but
 * Intl.DateTimeFormat (no tz database of our own). Pure functions: metrics bucket by these, and a
 * call at 23:30 UTC during British Summer Time belongs to the next local day.
 */
import { DAY_MS } from '../lib/time'

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone)
    return true
  } catch {
    return false
  }
}

type Parts = {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

function partsAt(ms: number, timeZone: string): Parts {
  const out: Record<string, number> = {}
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value)
  }
  return out as Parts
}

/** The zone's offset from UTC at instant `ms`, in ms (BST → +3,600,000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const p = partsAt(ms, timeZone)
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second)
  return asUtc - Math.floor(ms / 1000) * 1000
}

/** `YYYY-MM-DD` of the local calendar day that contains instant `ms`. */
export function localDateOf(ms: number, timeZone: string): string {
  const p = partsAt(ms, timeZone)
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`
}

/**
 * The UTC instant of a local wall-clock time. In a spring-forward gap the time does not exist and
 * the instant after the gap is used; in an autumn overlap the first (summer-time) instant is used.
 */
export function zonedTimeToUtc(
  local: {
    year: number
    month: number
    day: number
    hour?: number
    minute?: number
    second?: number
  },
  timeZone: string,
): number {
  const wall = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour ?? 0,
    local.minute ?? 0,
    local.second ?? 0,
  )
  // Try the offsets in force a day either side: one of them maps the wall time back onto itself.
  const candidates = [zoneOffsetMs(wall - DAY_MS, timeZone), zoneOffsetMs(wall + DAY_MS, timeZone)]
    .sort((a, b) => b - a)
    .map((offset) => wall - offset)
    .filter((utc) => utc + zoneOffsetMs(utc, timeZone) === wall)
  if (candidates.length > 0) return Math.min(...candidates)
  // Spring-forward gap: the wall time never happened; take the instant the clocks jumped to.
  return wall - zoneOffsetMs(wall - DAY_MS, timeZone)
}

/** The UTC instant local day `date` (`YYYY-MM-DD`) starts. */
export function startOfLocalDay(date: string, timeZone: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  return zonedTimeToUtc({ year, month, day }, timeZone)
}

/** `YYYY-MM-DD` plus `days` calendar days (pure calendar arithmetic, no zone). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10)
}

/** Every date from `from` to `to` inclusive. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = []
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d)
  return out
}

/** Whole calendar days from `from` to `to` (to − from). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS)
}

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false
  const t = Date.parse(`${value}T00:00:00Z`)
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === value
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}
