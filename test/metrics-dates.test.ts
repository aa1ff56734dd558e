/**
 * The one calendar-date type: bounded years, real dates, ranges capped, and every string either
 * parsed or refused with a 400 naming the field — never a loop, never a 500.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  addMonths,
  MAX_INSTANT_MS,
  MIN_INSTANT_MS,
  parseCalendarDate,
  parseCalendarMonth,
  parseDateRange,
  parseInstant,
  parseInstantRange,
  parseMonthRange,
} from '../src/lib/calendar-date'
import { ProblemError } from '../src/lib/problem'
import { addDays, datesBetween, daysBetween, startOfLocalDay } from '../src/metrics/local-time'
import { MAX_DAYS, MAX_MONTHS } from '../src/metrics/metrics.index'
import { api, createTestClinic } from './helpers/clinic'

/** Any string, weighted towards date-like ones (digits, dashes, extreme years). */
const dateLike = fc.oneof(
  fc.string(),
  fc
    .tuple(
      fc.integer({ min: -1, max: 10_001 }),
      fc.integer({ min: -1, max: 14 }),
      fc.integer({ min: -1, max: 33 }),
    )
    .map(
      ([y, m, d]) =>
        `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    ),
  fc.constantFrom(
    '9999-12-31',
    '0099-01-01',
    '0000-01-01',
    '1999-12-31',
    '2101-01-01',
    '2100-12-31',
  ),
)
const monthLike = fc.oneof(
  fc.string(),
  fc
    .tuple(fc.integer({ min: -1, max: 10_001 }), fc.integer({ min: -1, max: 14 }))
    .map(([y, m]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`),
  fc.constantFrom('9999-12', '0099-01', '2100-12', '2000-01'),
)

/** Runs `fn`: it returns, or throws a 400 ProblemError naming `from` or `to` — nothing else. */
function returnsOr400(fn: () => unknown): 'ok' | 400 {
  try {
    fn()
    return 'ok'
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError)
    const problem = err as ProblemError
    expect(problem.status).toBe(400)
    expect(problem.errors?.map((e) => e.path).every((p) => p === 'from' || p === 'to')).toBe(true)
    return 400
  }
}

describe('calendar dates (property)', () => {
  it('a parsed date is a real date within 2000–2100 that round-trips through Date.UTC', () => {
    fc.assert(
      fc.property(dateLike, (raw) => {
        const parsed = parseCalendarDate(raw)
        if (parsed === null) return
        const year = Number(parsed.slice(0, 4))
        expect(year).toBeGreaterThanOrEqual(2000)
        expect(year).toBeLessThanOrEqual(2100)
        expect(new Date(`${parsed}T00:00:00Z`).toISOString().slice(0, 10)).toBe(parsed)
      }),
    )
  })

  it('refuses the dates the attacker used: far future, years below 1000, impossible days', () => {
    for (const bad of [
      '9999-12-31',
      '0099-01-01',
      '0999-06-15',
      '2026-02-29',
      '2026-13-01',
      ' 2026-01-01',
    ]) {
      expect(parseCalendarDate(bad)).toBeNull()
    }
    expect(parseCalendarDate('2028-02-29')).toBe('2028-02-29')
    expect(parseCalendarMonth('9999-12')).toBeNull()
    expect(parseCalendarMonth('2100-12')).toBe('2100-12')
  })

  it('any pair of strings is a bounded daily range or a 400 naming the field, never anything else', () => {
    fc.assert(
      fc.property(dateLike, dateLike, (from, to) => {
        let range: ReturnType<typeof parseDateRange> | undefined
        const outcome = returnsOr400(() => {
          range = parseDateRange(from, to, MAX_DAYS)
        })
        if (outcome === 'ok' && range) {
          const dates = datesBetween(range.from, range.to)
          expect(dates.length).toBe(range.days)
          expect(dates.length).toBeLessThanOrEqual(MAX_DAYS)
          expect(dates[0]).toBe(range.from)
          expect(dates.at(-1)).toBe(range.to)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('any pair of strings is a bounded monthly range or a 400 naming the field', () => {
    fc.assert(
      fc.property(monthLike, monthLike, (from, to) => {
        let range: ReturnType<typeof parseMonthRange> | undefined
        const outcome = returnsOr400(() => {
          range = parseMonthRange(from, to, MAX_MONTHS)
        })
        if (outcome === 'ok' && range) {
          expect(range.months.length).toBeLessThanOrEqual(MAX_MONTHS)
          expect(range.months[0]).toBe(range.from)
          expect(range.months.at(-1)).toBe(range.to)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('any string is a bounded instant or null, and any instant pair a range or a 400', () => {
    const instantLike = fc.oneof(
      fc.string(),
      fc
        .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.constantFrom('9999-12-31T23:59:59Z', '0099-01-01T00:00:00Z', '2026-02-30T00:00:00Z'),
    )
    fc.assert(
      fc.property(instantLike, instantLike, (from, to) => {
        const ms = parseInstant(from)
        if (ms !== null) {
          expect(ms).toBeGreaterThanOrEqual(MIN_INSTANT_MS)
          expect(ms).toBeLessThan(MAX_INSTANT_MS)
        }
        returnsOr400(() => parseInstantRange(from, to))
      }),
      { numRuns: 500 },
    )
  })

  it('calendar arithmetic is right for every year, including those Date.UTC misreads', () => {
    expect(addDays('0099-12-31', 1)).toBe('0100-01-01')
    expect(daysBetween('0050-01-01', '0050-12-31')).toBe(364)
    // Counted, not compared as strings: ends at the last year JavaScript writes with four digits.
    expect(datesBetween('9999-12-30', '9999-12-31')).toEqual(['9999-12-30', '9999-12-31'])
    expect(() => datesBetween('2000-01-01', '2100-12-31')).toThrow(RangeError)
    expect(addMonths('2026-12', 1)).toBe('2027-01')
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-12-31'), noInvalidDate: true }),
        fc.integer({ min: -400, max: 400 }),
        (d, n) => {
          const date = d.toISOString().slice(0, 10)
          expect(daysBetween(date, addDays(date, n))).toBe(n)
          expect(Number.isFinite(startOfLocalDay(date, 'Europe/London'))).toBe(true)
        },
      ),
    )
  })
})

describe('date ranges over HTTP', () => {
  let headers: Record<string, string>
  beforeAll(async () => {
    const clinic = await createTestClinic()
    headers = (await clinic.as('owner')).headers
  })

  async function problemFields(path: string): Promise<string[]> {
    const res = await api('GET', path, undefined, headers)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const body = (await res.json()) as { errors?: { path: string }[] }
    return (body.errors ?? []).map((e) => e.path)
  }

  it('metrics: a range ending 9999-12-31 and years below 1000 are 400s naming the field', async () => {
    expect(await problemFields('/api/v1/metrics/daily?from=2026-01-01&to=9999-12-31')).toEqual([
      'to',
    ])
    expect(await problemFields('/api/v1/metrics/daily?from=0099-01-01&to=2026-01-01')).toEqual([
      'from',
    ])
    expect(await problemFields('/api/v1/metrics/daily?from=2026-02-01&to=2026-01-01')).toEqual([
      'to',
    ])
    expect(await problemFields('/api/v1/metrics/daily?from=2020-01-01&to=2026-01-01')).toEqual([
      'to',
    ])
    expect(await problemFields('/api/v1/metrics/monthly?from=2026-01&to=9999-12')).toEqual(['to'])
    expect(await problemFields('/api/v1/metrics/monthly?from=0099-01&to=2026-12')).toEqual(['from'])
    const ok = await api(
      'GET',
      '/api/v1/metrics/daily?from=2100-12-01&to=2100-12-31',
      undefined,
      headers,
    )
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { days: unknown[] }).days).toHaveLength(31)
  })

  it('calls and appointments lists: out-of-bounds or reversed ranges are 400s naming the field', async () => {
    expect(await problemFields('/api/v1/calls?to=9999-12-31T00:00:00Z')).toEqual(['to'])
    expect(await problemFields('/api/v1/calls?from=0099-01-01T00:00:00Z')).toEqual(['from'])
    expect(
      await problemFields('/api/v1/calls?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'),
    ).toEqual(['to'])
    expect(await problemFields('/api/v1/appointments?to=9999-12-31T00:00:00Z')).toEqual(['to'])
    expect(
      await problemFields('/api/v1/appointments?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'),
    ).toEqual(['to'])
    const ok = await api(
      'GET',
      '/api/v1/calls?from=2026-01-01T00:00:00Z&to=2100-12-31T23:59:59Z',
      undefined,
      headers,
    )
    expect(ok.status).toBe(200)
  })

  it('a callback logged at an out-of-bounds time is a 400 naming `at`', async () => {
    const res = await api(
      'POST',
      '/api/v1/calls/callbacks',
      { phone: '+447700900123', at: '9999-12-31T00:00:00Z' },
      headers,
    )
    expect(res.status).toBe(400)
    const body = (await res.json()) as { errors?: { path: string }[] }
    expect(body.errors?.map((e) => e.path)).toEqual(['at'])
  })

  it('any query string answers 200 or 400, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(dateLike, dateLike, async (from, to) => {
        const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`
        const res = await api('GET', `/api/v1/metrics/daily?${q}`, undefined, headers)
        expect([200, 400]).toContain(res.status)
        await res.arrayBuffer()
      }),
      { numRuns: 25 },
    )
  })
})

describe('appointment times', () => {
  it('refuses a booking created or scheduled outside the supported years, naming the field', async () => {
    const owner = await (await createTestClinic()).as('owner')
    for (const [field, value] of [
      ['createdAt', '9999-12-31T00:00:00Z'],
      ['scheduledFor', '0042-01-01T09:00:00Z'],
      ['createdAt', '2026-02-30T09:00:00Z'],
    ] as const) {
      const res = await api(
        'POST',
        '/api/v1/appointments',
        { phone: '07700 900123', [field]: value },
        owner.headers,
      )
      expect(res.status, `${field}=${value}`).toBe(400)
      const body = (await res.json()) as { errors: { path: string }[] }
      expect(body.errors.map((e) => e.path)).toContain(field)
    }
  })
})
