/**
 * Local days in the clinic's time zone, daylight saving included, and the pure metrics maths.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  aggregateDays,
  holdOutSummary,
  type MetricCall,
  median,
  sumDays,
} from '../src/metrics/aggregate'
import {
  addDays,
  datesBetween,
  localDateOf,
  startOfLocalDay,
  zonedTimeToUtc,
} from '../src/metrics/local-time'

const LONDON = 'Europe/London'
const HOUR = 3_600_000

const missedCall = (startedAt: number, extra: Partial<MetricCall> = {}): MetricCall => ({
  startedAt,
  status: 'missed',
  calledBackAt: null,
  textBackStatus: 'none',
  textedBackAt: null,
  recoveredAppointmentId: null,
  ...extra,
})

describe('local days', () => {
  it('puts a call at 23:30 UTC during British Summer Time on the next local day', () => {
    expect(localDateOf(Date.UTC(2026, 6, 14, 23, 30), LONDON)).toBe('2026-07-15')
    expect(localDateOf(Date.UTC(2026, 11, 14, 23, 30), LONDON)).toBe('2026-12-14')
  })

  it('makes the spring-forward day 23 hours long and the autumn day 25 hours long', () => {
    const length = (d: string) =>
      (startOfLocalDay(addDays(d, 1), LONDON) - startOfLocalDay(d, LONDON)) / HOUR
    expect(length('2026-03-29')).toBe(23)
    expect(length('2026-10-25')).toBe(25)
    expect(length('2026-06-01')).toBe(24)
    expect(startOfLocalDay('2026-07-15', LONDON)).toBe(Date.UTC(2026, 6, 14, 23))
  })

  it('resolves wall times in the autumn overlap to the first instant and in the spring gap to after it', () => {
    expect(zonedTimeToUtc({ year: 2026, month: 10, day: 25, hour: 1, minute: 30 }, LONDON)).toBe(
      Date.UTC(2026, 9, 25, 0, 30),
    )
    expect(zonedTimeToUtc({ year: 2026, month: 3, day: 29, hour: 1, minute: 30 }, LONDON)).toBe(
      Date.UTC(2026, 2, 29, 1, 30),
    )
  })

  it('brackets every instant of a local day between its start and the next day’s start, in any zone', () => {
    const zones = ['Europe/London', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC']
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        (zone, instant) => {
          const date = localDateOf(instant, zone)
          expect(startOfLocalDay(date, zone)).toBeLessThanOrEqual(instant)
          expect(startOfLocalDay(addDays(date, 1), zone)).toBeGreaterThan(instant)
          expect(localDateOf(startOfLocalDay(date, zone), zone)).toBe(date)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('lists every date of a range, month ends and leap days included', () => {
    expect(datesBetween('2028-02-27', '2028-03-01')).toEqual([
      '2028-02-27',
      '2028-02-28',
      '2028-02-29',
      '2028-03-01',
    ])
  })
})

describe('metrics maths', () => {
  it('buckets calls by the local day they rang and recovered revenue by the local booking day', () => {
    const dates = ['2026-07-14', '2026-07-15']
    const days = aggregateDays(
      dates,
      LONDON,
      [
        missedCall(Date.UTC(2026, 6, 14, 23, 30), { calledBackAt: Date.UTC(2026, 6, 14, 23, 40) }),
        missedCall(Date.UTC(2026, 6, 14, 12), { status: 'voicemail' }),
        { ...missedCall(Date.UTC(2026, 6, 14, 13)), status: 'answered' },
      ],
      [{ createdAt: Date.UTC(2026, 6, 14, 23, 59), valuePence: 7070 }],
    )
    expect(days.get('2026-07-14')).toMatchObject({
      inboundCalls: 2,
      missedCalls: 1,
      voicemails: 1,
      answeredCalls: 1,
      recoveredAppointments: 0,
    })
    expect(days.get('2026-07-15')).toMatchObject({
      inboundCalls: 1,
      missedCalls: 1,
      callbacks: 1,
      callbackSeconds: [600],
      recoveredAppointments: 1,
      recoveredRevenuePence: 7070,
    })
  })

  it('takes medians over missed calls that got a callback only, pooled across days', () => {
    expect(median([])).toBeNull()
    expect(median([30, 10, 20])).toBe(20)
    expect(median([10, 20])).toBe(15)
    const days = aggregateDays(
      ['2026-01-05'],
      LONDON,
      [
        missedCall(Date.UTC(2026, 0, 5, 9), { calledBackAt: Date.UTC(2026, 0, 5, 9, 1) }),
        missedCall(Date.UTC(2026, 0, 5, 10)),
      ],
      [],
    )
    expect(median(sumDays([...days.values()]).callbackSeconds)).toBe(60)
  })

  it('compares recovery with and without a text-back', () => {
    const t = Date.UTC(2026, 0, 5, 9)
    const calls = [
      missedCall(t, { textBackStatus: 'sent', textedBackAt: t, recoveredAppointmentId: 'a1' }),
      missedCall(t, { textBackStatus: 'sent', textedBackAt: t }),
      missedCall(t, { textBackStatus: 'held-out' }),
      missedCall(t, { textBackStatus: 'held-out' }),
      missedCall(t, { textBackStatus: 'held-out' }),
      missedCall(t, { textBackStatus: 'held-out', recoveredAppointmentId: 'a2' }),
      missedCall(t, { textBackStatus: 'suppressed' }),
    ]
    const day = aggregateDays(['2026-01-05'], LONDON, calls, []).get('2026-01-05')!
    expect(holdOutSummary(day)).toEqual({
      textBackMissedCalls: 2,
      textBackRecovered: 1,
      heldOutMissedCalls: 4,
      heldOutRecovered: 1,
      textBackRecoveryRate: 0.5,
      heldOutRecoveryRate: 0.25,
      upliftPercentagePoints: 25,
    })
  })
})
