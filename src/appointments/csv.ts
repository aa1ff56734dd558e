/**
 * Parsing a practice-management export (CSV) into bookings, as a pure function: the clinic's
 * phone normaliser and treatment list are passed in. Each bad row yields an error naming its row
 * number as a spreadsheet shows it (the header is row 1, the first booking row 2) and never
 * echoes the row's content, which holds a patient's phone number.
 *
 * Columns (header names are matched case-insensitively, ignoring spaces, `_` and `-`):
 * - `phone` (required): any common UK or E.164 form.
 * - `created` / `createdAt` / `booked` / `bookedAt` (required): when the booking was made.
 * - `scheduled` / `scheduledFor` / `appointmentAt` (optional): when the visit is.
 * - `treatment` (optional): a treatment name of the clinic; its value is used.
 * - `value` (optional, pounds: `70.70`, `£2,400`) or `valuePence` (optional, integer pence).
 * - `externalId` / `id` / `reference` (optional): the practice system's id; without one, a key
 *   derived from the row makes re-importing the same file a no-op.
 * Times: ISO 8601 with an offset or `Z`, or local clinic time as `YYYY-MM-DD HH:MM[:SS]`,
 * `DD/MM/YYYY HH:MM[:SS]` or a bare date (local midnight).
 */
import Papa from 'papaparse'
import { parsePounds } from '../lib/money'
import { zonedTimeToUtc } from '../metrics/local-time'

export type CsvBooking = {
  row: number
  e164: string
  createdAt: number
  scheduledFor: number | null
  treatmentId: string | null
  /** Explicit value, else the named treatment's, else null (the clinic default applies). */
  valuePence: number | null
  externalId: string | null
}

export type CsvRowError = { row: number; message: string }

/** The most rows one import takes (D1 allows 1,000 queries per Worker invocation). */
export const MAX_IMPORT_ROWS = 5000

const ALIASES: Record<string, string> = {
  phone: 'phone',
  phonenumber: 'phone',
  mobile: 'phone',
  created: 'created',
  createdat: 'created',
  booked: 'created',
  bookedat: 'created',
  scheduled: 'scheduled',
  scheduledfor: 'scheduled',
  appointmentat: 'scheduled',
  treatment: 'treatment',
  value: 'value',
  valuepence: 'valuePence',
  externalid: 'externalId',
  id: 'externalId',
  reference: 'externalId',
}

const canonicalHeader = (h: string) =>
  ALIASES[
    h
      .trim()
      .toLowerCase()
      .replace(/[\s_-]/g, '')
  ] ?? h

/** Parses a time cell: an instant with an offset, or a local wall-clock time in `timeZone`. */
export function parseCsvTime(cell: string, timeZone: string): number | null {
  const value = cell.trim()
  if (value === '') return null
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(value)) {
    const t = Date.parse(value)
    return Number.isFinite(t) ? t : null
  }
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(value)
  let parts: number[] | null = null
  if (m) parts = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0))
  else {
    m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(value)
    if (m) parts = [m[3], m[2], m[1], m[4], m[5], m[6]].map((x) => Number(x ?? 0))
  }
  if (!parts) return null
  const [year, month, day, hour, minute, second] = parts as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const probe = new Date(Date.UTC(year, month - 1, day))
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null
  if (hour > 23 || minute > 59 || second > 59) return null
  return zonedTimeToUtc({ year, month, day, hour, minute, second }, timeZone)
}

export function parseAppointmentCsv(
  text: string,
  options: {
    timeZone: string
    normalise: (phone: string) => string | null
    treatment: (name: string) => { id: string; valuePence: number } | null
  },
): { bookings: CsvBooking[]; errors: CsvRowError[]; tooManyRows: boolean } {
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: canonicalHeader,
  })
  const errors: CsvRowError[] = []
  const bookings: CsvBooking[] = []
  const fields = parsed.meta.fields ?? []
  if (!fields.includes('phone') || !fields.includes('created')) {
    return {
      bookings,
      errors: [{ row: 1, message: 'The header row must name the columns phone and created.' }],
      tooManyRows: false,
    }
  }
  if (parsed.data.length > MAX_IMPORT_ROWS) return { bookings, errors, tooManyRows: true }
  // Papa reports malformed rows (e.g. an unclosed quote) with their 0-based data index.
  const broken = new Set<number>()
  for (const e of parsed.errors) {
    if (typeof e.row === 'number') {
      broken.add(e.row)
      errors.push({ row: e.row + 2, message: 'The row is not valid CSV.' })
    }
  }
  for (const [index, record] of parsed.data.entries()) {
    if (broken.has(index)) continue
    const row = index + 2
    const fail = (message: string): void => {
      errors.push({ row, message })
    }
    const e164 = options.normalise(record.phone ?? '')
    if (!e164) {
      fail('phone: not a valid phone number.')
      continue
    }
    const createdAt = parseCsvTime(record.created ?? '', options.timeZone)
    if (createdAt === null) {
      fail('created: not a date and time this import understands.')
      continue
    }
    let scheduledFor: number | null = null
    if ((record.scheduled ?? '').trim() !== '') {
      scheduledFor = parseCsvTime(record.scheduled!, options.timeZone)
      if (scheduledFor === null) {
        fail('scheduled: not a date and time this import understands.')
        continue
      }
    }
    let treatment: { id: string; valuePence: number } | null = null
    if ((record.treatment ?? '').trim() !== '') {
      treatment = options.treatment(record.treatment!)
      if (!treatment) {
        fail('treatment: no treatment of this clinic has that name.')
        continue
      }
    }
    let valuePence: number | null = null
    if ((record.valuePence ?? '').trim() !== '') {
      const v = record.valuePence!.trim()
      if (!/^\d{1,9}$/.test(v)) {
        fail('valuePence: must be a whole number of pence.')
        continue
      }
      valuePence = Number(v)
    } else if ((record.value ?? '').trim() !== '') {
      valuePence = parsePounds(record.value!)
      if (valuePence === null) {
        fail('value: must be an amount in pounds, e.g. 70.70.')
        continue
      }
    }
    const externalId = (record.externalId ?? '').trim()
    if (externalId.length > 200) {
      fail('externalId: at most 200 characters.')
      continue
    }
    bookings.push({
      row,
      e164,
      createdAt,
      scheduledFor,
      treatmentId: treatment?.id ?? null,
      valuePence: valuePence ?? treatment?.valuePence ?? null,
      externalId: externalId === '' ? null : externalId,
    })
  }
  errors.sort((a, b) => a.row - b.row)
  return { bookings, errors, tooManyRows: false }
}
