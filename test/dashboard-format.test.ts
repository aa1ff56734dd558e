// Pure rules behind the dashboard: money, rates, caller labels, period folding, charts' axes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canEdit, canView } from '../src/dashboard/access'
import { niceMax } from '../src/dashboard/charts'
import { explainAttribution } from '../src/dashboard/explain'
import {
  callerLabel,
  formatDuration,
  formatPence,
  formatRate,
  median,
  renderTextBack,
  startOfWeek,
} from '../src/dashboard/format'
import {
  bucketOf,
  type CallFact,
  dailySeries,
  holdOutUplift,
  monthlySeries,
  summarisePeriod,
  toCallBackList,
} from '../src/dashboard/queries'
import { parsePounds } from '../src/dashboard/routes'
import { safeNextPath as safeNext } from '../src/lib/redirect'
import { datesBetween, localDateOf } from '../src/metrics/local-time'

describe('formatting', () => {
  it('formats pence as pounds with thousands separators', () => {
    expect(formatPence(123456)).toBe('£1,234.56')
    expect(formatPence(0)).toBe('£0.00')
    expect(formatPence(5)).toBe('£0.05')
  })

  it('round-trips any whole-pence amount through the form parser', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999 }), (pence) => {
        expect(parsePounds(formatPence(pence))).toBe(pence)
      }),
    )
  })

  it('rejects amounts that are not money', () => {
    for (const bad of ['', 'lots', '-5', '1.234', '1e5', '£']) expect(parsePounds(bad)).toBeNull()
  })

  it('shows rates as whole percentages and a dash when nothing to divide by', () => {
    expect(formatRate(2, 3)).toBe('67%')
    expect(formatRate(0, 0)).toBe('—')
  })

  it('formats durations compactly', () => {
    expect(formatDuration(45)).toBe('45s')
    expect(formatDuration(15 * 60)).toBe('15m')
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3h 5m')
    expect(formatDuration(null)).toBe('—')
  })

  it('labels a caller by six characters of their hash, never more', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), (hash) => {
        expect(callerLabel(hash)).toBe(`Caller ${hash.slice(0, 6)}`)
      }),
    )
    expect(callerLabel(null)).toBe('Withheld number')
  })

  it('takes the median of odd and even lists', () => {
    expect(median([])).toBeNull()
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 2, 3])).toBe(2.5)
  })

  it('starts weeks on Monday', () => {
    expect(startOfWeek('2026-11-23')).toBe('2026-11-23') // a Monday
    expect(startOfWeek('2026-11-29')).toBe('2026-11-23') // the Sunday after
  })

  it('renders the text-back template with the clinic name', () => {
    expect(renderTextBack('Hi from {clinic}, {clinic}!', 'Smile Co')).toBe(
      'Hi from Smile Co, Smile Co!',
    )
  })

  it('picks a round axis ceiling at or above the data', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 1e9, noNaN: true }), (v) => {
        expect(niceMax(v)).toBeGreaterThanOrEqual(v)
        expect(niceMax(v)).toBeLessThanOrEqual(v * 10)
      }),
    )
  })
})

describe('overview figures', () => {
  const fact = (over: Partial<CallFact>): CallFact => ({
    startedAt: 1000,
    status: 'missed',
    calledBackAt: null,
    textedBackAt: null,
    textBackStatus: 'none',
    recoveredAppointmentId: null,
    ...over,
  })

  it('counts missed, answered, callbacks and the median callback delay inside the period only', () => {
    const stats = summarisePeriod(
      [
        fact({ status: 'answered' }),
        fact({ calledBackAt: 1000 + 60_000, textedBackAt: 1500 }),
        fact({ status: 'voicemail', calledBackAt: 1000 + 180_000 }),
        fact({ status: 'missed' }),
        fact({ startedAt: 99_999_999 }), // outside
      ],
      [
        { createdAt: 2000, valuePence: 15000 },
        { createdAt: 99_999_999, valuePence: 1 },
      ],
      0,
      10_000,
    )
    expect(stats).toEqual({
      inboundCalls: 4,
      missedCalls: 3,
      answeredCalls: 1,
      callbacks: 2,
      textBacks: 1,
      medianCallbackSeconds: 120,
      recoveredAppointments: 1,
      recoveredRevenuePence: 15000,
    })
  })

  it('measures hold-out uplift as the difference in recovery rates', () => {
    const uplift = holdOutUplift([
      fact({ textBackStatus: 'sent', recoveredAppointmentId: 'a' }),
      fact({ textBackStatus: 'sent' }),
      fact({ textBackStatus: 'held-out' }),
      fact({ textBackStatus: 'held-out' }),
    ])
    expect(uplift.upliftPoints).toBe(50)
    expect(holdOutUplift([fact({ textBackStatus: 'sent' })]).upliftPoints).toBeNull()
  })

  it('lists each waiting caller once, oldest first, skipping withheld numbers', () => {
    const list = toCallBackList(
      [
        { id: 'c3', callerHash: 'bbb', startedAt: 30 },
        { id: 'c1', callerHash: 'aaa', startedAt: 10 },
        { id: 'c2', callerHash: 'aaa', startedAt: 20 },
        { id: 'c4', callerHash: null, startedAt: 5 },
      ],
      10,
    )
    expect(list).toEqual([
      { callId: 'c1', callerHash: 'aaa', firstMissedAt: 10, missedCount: 2 },
      { callId: 'c3', callerHash: 'bbb', firstMissedAt: 30, missedCount: 1 },
    ])
  })
})

describe('chart buckets', () => {
  it('puts every instant in the local day Intl says it falls on, across the clock changes', () => {
    const dates = datesBetween('2026-03-20', '2026-11-05')
    const tz = 'Europe/London'
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2026, 2, 20), max: Date.UTC(2026, 10, 4) }), (t) => {
        const points = dailySeries(
          [
            {
              startedAt: t,
              status: 'missed',
              calledBackAt: null,
              textedBackAt: null,
              textBackStatus: 'none',
              recoveredAppointmentId: null,
            },
          ],
          [],
          dates,
          tz,
        )
        expect(points.find((p) => p.missed === 1)?.date).toBe(localDateOf(t, tz))
      }),
    )
  })

  it('leaves instants outside the range out, and sums revenue by local month', () => {
    expect(bucketOf([10, 20], 30, 5)).toBe(-1)
    expect(bucketOf([10, 20], 30, 30)).toBe(-1)
    expect(bucketOf([10, 20], 30, 20)).toBe(1)
    const months = monthlySeries(
      [
        // 23:30 UTC on 31 Oct 2026 is still October in London (GMT after 25 Oct).
        { createdAt: Date.UTC(2026, 9, 31, 23, 30), valuePence: 100 },
        // 23:30 UTC on 30 Sep 2026 is 00:30 on 1 Oct in London (BST).
        { createdAt: Date.UTC(2026, 8, 30, 23, 30), valuePence: 5 },
      ],
      ['2026-09', '2026-10', '2026-11'],
      'Europe/London',
    )
    expect(months).toEqual([
      { month: '2026-09', revenuePence: 0 },
      { month: '2026-10', revenuePence: 105 },
      { month: '2026-11', revenuePence: 0 },
    ])
  })
})

describe('attribution explained', () => {
  it('names the missed call, the rule version, the path and where the value came from', () => {
    const text = explainAttribution({
      appointment: {
        createdAt: Date.UTC(2026, 10, 20, 10),
        callerHash: 'abcdef99',
        attributionStatus: 'recovered',
        attributionPath: 'text-back',
        ruleVersion: 1,
        countedValuePence: 45000,
        valueSource: 'treatment',
        treatmentName: 'Implant',
      },
      call: { id: 'c', startedAt: Date.UTC(2026, 10, 18, 9), status: 'missed', calledBackAt: null },
      windowDays: 14,
      timeZone: 'Europe/London',
    }).join(' ')
    expect(text).toContain('Caller abcdef')
    expect(text).toContain('18 Nov 2026, 09:00')
    expect(text).toContain('version 1')
    expect(text).toContain('within 14 days')
    expect(text).toContain('Path: text-back')
    expect(text).toContain('£450.00')
    expect(text).toContain('treatment (Implant)')
  })

  it('explains an unattributed booking without a phone number', () => {
    const text = explainAttribution({
      appointment: {
        createdAt: 0,
        callerHash: null,
        attributionStatus: 'unattributed',
        attributionPath: null,
        ruleVersion: 1,
        countedValuePence: 0,
        valueSource: 'clinic-default',
        treatmentName: null,
      },
      call: null,
      windowDays: 14,
      timeZone: 'Europe/London',
    }).join(' ')
    expect(text).toContain('Not attributed.')
    expect(text).toContain('without a phone number')
  })
})

describe('roles and redirects', () => {
  it('gives receptionists no settings, team or privacy, and analysts no writes anywhere', () => {
    for (const page of ['settings', 'team', 'privacy', 'api-keys', 'outbox'] as const) {
      expect(canView('receptionist', page)).toBe(false)
    }
    for (const page of ['overview', 'settings', 'team', 'treatments', 'numbers'] as const) {
      expect(canEdit('analyst', page)).toBe(false)
    }
    expect(canEdit('owner', 'settings')).toBe(true)
  })

  it('follows only same-site relative paths after sign-in', () => {
    expect(safeNext('/calls?x=1')).toBe('/calls?x=1')
    for (const bad of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      '',
      undefined,
    ]) {
      expect(safeNext(bad)).toBe('/')
    }
  })
})
