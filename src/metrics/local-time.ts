/**
 * Local calendar days in a clinic's IANA time zone, daylight saving included, with nothing but
 * Intl.DateTimeFormat (no tz database of our own). Pure functions: metrics bucket by these, and a
 * call at 23:30 UTC during British Summer Time belongs to the next local day.
 */
import { parseCalendarDate } from '../lib/calendar-date'
import { DAY_MS } from '../lib/time'

/**
 * `Date.UTC` for every year: `Date.UTC` itself reads years 0–99 as 1900–1999, which turned
 * `0099-01-01` into a 1999 day. Input dates are bounded (src/lib/calendar-date.ts); this keeps the
 * arithmetic right whatever a caller passes.
 */
function utcMs(year: number, month0: number, day: number, h = 0, mi = 0, s = 0): number {
  const d = new Date(0)
  d.setUTCFullYear(year, month0, day)
  d.setUTCHours(h, mi, s, 0)
  return d.getTime()
}

/** `YYYY-MM-DD` of a UTC instant, years padded to four digits (no `+010000` forms). */
function utcDateString(ms: number): string {
  const d = new Date(ms)
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

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

/** A local wall-clock reading, as numbers (month 1–12, hour 0–23). */
export type LocalWallClock = {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

/** The wall-clock reading in `timeZone` at instant `ms`. */
export function wallClockAt(ms: number, timeZone: string): LocalWallClock {
  const out: Record<string, number> = {}
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value)
  }
  return out as LocalWallClock
}

/** The zone's offset from UTC at instant `ms`, in ms (BST → +3,600,000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const p = wallClockAt(ms, timeZone)
  const asUtc = utcMs(p.year, p.month - 1, p.day, p.hour, p.minute, p.second)
  return asUtc - Math.floor(ms / 1000) * 1000
}

/** `YYYY-MM-DD` of the local calendar day that contains instant `ms`. */
export function localDateOf(ms: number, timeZone: string): string {
  const p = wallClockAt(ms, timeZone)
  return `${String(p.year).padStart(4, '0')}-${pad(p.month)}-${pad(p.day)}`
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
  const wall = utcMs(
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
  return utcDateString(utcMs(y, m - 1, d + days))
}

/** The longest run `datesBetween` will list: a bound on the work, whatever the caller checked. */
const MAX_DATES = 10_000

/**
 * Every date from `from` to `to` inclusive. Counted, not compared as strings, so it ends whatever
 * the years; more than MAX_DATES days is a programming error, not a long loop.
 */
export function datesBetween(from: string, to: string): string[] {
  const count = daysBetween(from, to) + 1
  if (!Number.isFinite(count) || count <= 0) return []
  if (count > MAX_DATES) throw new RangeError('date range too long')
  return Array.from({ length: count }, (_, i) => addDays(from, i))
}

/** Whole calendar days from `from` to `to` (to − from). */
export function daysBetween(from: string, to: string): number {
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number]
  const [ty, tm, td] = to.split('-').map(Number) as [number, number, number]
  return Math.round((utcMs(ty, tm - 1, td) - utcMs(fy, fm - 1, fd)) / DAY_MS)
}

/** True for a real calendar date written `YYYY-MM-DD` within the bounds of src/lib/calendar-date.ts. */
export function isCalendarDate(value: string): boolean {
  return parseCalendarDate(value) !== null
}

export function pad(n: number): string {
  return String(n).padStart(2, '0')
}
