/**
 * The clinic's own facts — the only ground the AI receptionist may speak from — and opening-hours
 * maths (is the clinic open at an instant, in its own time zone, daylight saving included).
 */
import { z } from '@hono/zod-openapi'
import { asc, eq } from 'drizzle-orm'
import { findClinic } from '../clinic/find'
import type { Db } from '../db/client'
import { treatments } from '../db/schema'
import { logWarn } from '../lib/logger'
import { notFound } from '../lib/problem'
import { wallClockAt } from '../metrics/local-time'

/** Days as `opening_hours` keys them, Monday first (the order prompts and pages list them). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]

/** The weekday names prompts and forms show. */
export const WEEKDAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
}

/** `HH:MM` on a 24-hour clock; `24:00` closes at midnight. */
const ClockTime = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'Must be a time HH:MM (00:00–24:00)')
  .openapi({ example: '09:00' })

/** One opening interval `[opens, closes]`, closing after it opens (no overnight intervals). */
const Interval = z
  .tuple([ClockTime, ClockTime])
  .refine(([opens, closes]) => opens < closes, 'Must close after it opens')

/** A day's intervals: at most four, in order, not overlapping (lunch breaks are two intervals). */
const DayHours = z
  .array(Interval)
  .max(4)
  .refine(
    (intervals) => intervals.every((cur, i) => i === 0 || (intervals[i - 1]?.[1] ?? '') <= cur[0]),
    'Intervals must be in order and must not overlap',
  )

/**
 * Opening hours in the clinic's local time: `{mon: [["09:00","17:30"]], …}`; an absent day (or an
 * empty list) is closed.
 */
export const OpeningHoursSchema = z
  .strictObject(
    Object.fromEntries(WEEKDAYS.map((d) => [d, DayHours.optional()])) as {
      [D in Weekday]: z.ZodOptional<typeof DayHours>
    },
  )
  .openapi('OpeningHours', {
    example: { mon: [['09:00', '17:30']], sat: [['09:00', '13:00']] },
  })
export type OpeningHours = z.infer<typeof OpeningHoursSchema>

/** Everything the assistant may say about the clinic; nothing else reaches its prompt. */
export type ClinicFacts = {
  clinicName: string
  timezone: string
  address: string | null
  openingHours: OpeningHours | null
  bookingUrl: string | null
  treatments: { name: string; valuePence: number }[]
}

/** A prompt never lists more treatments than this (the price check still knows every one). */
const MAX_TREATMENTS = 200

/**
 * The stored `opening_hours` JSON as OpeningHours, or null when absent or unreadable (a bad value
 * written outside the API must not stop replies: the assistant then says it does not know).
 */
export function parseOpeningHours(stored: string | null): OpeningHours | null {
  if (stored === null) return null
  try {
    const parsed = OpeningHoursSchema.safeParse(JSON.parse(stored))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** Loads the clinic's facts (settings and treatments); 404 when the clinic is gone. */
export async function loadClinicFacts(db: Db, clinicId: string): Promise<ClinicFacts> {
  const [clinic, rows] = await Promise.all([
    findClinic(db, clinicId),
    db
      .select({ name: treatments.name, valuePence: treatments.valuePence })
      .from(treatments)
      .where(eq(treatments.clinicId, clinicId))
      .orderBy(asc(treatments.name))
      .limit(MAX_TREATMENTS),
  ])
  if (!clinic) throw notFound()
  const openingHours = parseOpeningHours(clinic.openingHours)
  if (clinic.openingHours !== null && openingHours === null) {
    logWarn('clinic opening hours unreadable', { clinicId })
  }
  return {
    clinicName: clinic.name,
    timezone: clinic.timezone,
    address: clinic.address,
    openingHours,
    bookingUrl: clinic.bookingUrl,
    treatments: rows,
  }
}

/** Minutes since local midnight of `HH:MM`. */
function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))
}

/**
 * True when `instantMs` falls inside one of the day's opening intervals in the clinic's time zone
 * (opening minute included, closing minute excluded). No hours known → false: "open" must be
 * stated by the clinic, never assumed.
 * @example isOpenAt({mon: [['09:00', '17:30']]}, 'Europe/London', Date.parse('2026-07-06T08:30:00Z')) // true (09:30 BST)
 */
export function isOpenAt(hours: OpeningHours | null, timezone: string, instantMs: number): boolean {
  if (!hours) return false
  const wall = wallClockAt(instantMs, timezone)
  // getUTCDay of the local calendar date: 0 = Sunday.
  const weekday =
    WEEKDAYS[(new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay() + 6) % 7]
  const minute = wall.hour * 60 + wall.minute
  return (hours[weekday as Weekday] ?? []).some(
    ([opens, closes]) => minutesOf(opens) <= minute && minute < minutesOf(closes),
  )
}

/**
 * The week in words for a prompt or a reply, one day per line: `Monday: 09:00–17:30`,
 * `Sunday: closed`; null when the clinic has not said.
 */
export function describeHours(hours: OpeningHours | null): string | null {
  if (!hours) return null
  return WEEKDAYS.map((day) => {
    const intervals = hours[day] ?? []
    const text =
      intervals.length === 0
        ? 'closed'
        : intervals.map(([opens, closes]) => `${opens}–${closes}`).join(', ')
    return `${WEEKDAY_NAMES[day]}: ${text}`
  }).join('\n')
}

/** One day's hours as a person types them: `09:00-13:00, 14:00-17:30`; empty = closed. */
export function formatDayHours(intervals: readonly (readonly [string, string])[] | undefined) {
  return (intervals ?? []).map(([open, close]) => `${open}-${close}`).join(', ')
}

/**
 * Opening hours from one typed line per day (`formatDayHours`' form; `9:00–17:30` and spaces are
 * fine). Returns the hours, or the days whose line is unreadable or breaks the schema's rules.
 */
export function parseWeekHours(
  lines: Partial<Record<Weekday, string>>,
): { hours: OpeningHours | null } | { errors: Partial<Record<Weekday, string>> } {
  const hours: Partial<Record<Weekday, [string, string][]>> = {}
  const errors: Partial<Record<Weekday, string>> = {}
  for (const day of WEEKDAYS) {
    const text = (lines[day] ?? '').trim()
    if (text === '' || /^closed$/i.test(text)) continue
    const intervals = text.split(/\s*,\s*/).map((part) => {
      const m = /^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/.exec(part)
      return m
        ? ([`${m[1]!.padStart(2, '0')}:${m[2]}`, `${m[3]!.padStart(2, '0')}:${m[4]}`] as [
            string,
            string,
          ])
        : null
    })
    if (intervals.some((i) => i === null)) {
      errors[day] =
        'Write times like 09:00-17:30 (or 09:00-13:00, 14:00-17:30); leave empty if closed.'
      continue
    }
    hours[day] = intervals as [string, string][]
  }
  if (Object.keys(errors).length > 0) return { errors }
  const parsed = OpeningHoursSchema.safeParse(hours)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const day = issue.path[0] as Weekday
      errors[day] ??= 'Use real times, each closing after it opens, in order.'
    }
    return { errors }
  }
  return { hours: Object.keys(parsed.data).length > 0 ? parsed.data : null }
}
