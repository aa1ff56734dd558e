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
  renderTextBack,
  startOfWeek,
} from '../src/dashboard/format'
import { parsePounds } from '../src/lib/money'
import { safeNextPath as safeNext } from '../src/lib/redirect'
import { aggregateDays, median } from '../src/metrics/aggregate'
import { datesBetween } from '../src/metrics/local-time'
import { monthlyFiguresOf } from '../src/metrics/metrics.service'

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

  it('takes the median of odd and even lists (the metrics module’s, whole seconds)', () => {
    expect(median([])).toBeNull()
    expect(median([3, 1, 2])).toBe(2)
    // The API's definition: the mean of the middle two, rounded to a whole second.
    expect(median([4, 1, 2, 3])).toBe(3)
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

describe('chart buckets', () => {
  it('sums revenue by local month across the clock changes (the metrics module’s fold)', () => {
    const dates = datesBetween('2026-09-01', '2026-11-30')
    const days = aggregateDays(
      dates,
      'Europe/London',
      [],
      [
        // 23:30 UTC on 31 Oct 2026 is still October in London (GMT after 25 Oct).
        { createdAt: Date.UTC(2026, 9, 31, 23, 30), valuePence: 100 },
        // 23:30 UTC on 30 Sep 2026 is 00:30 on 1 Oct in London (BST).
        { createdAt: Date.UTC(2026, 8, 30, 23, 30), valuePence: 5 },
      ],
    )
    const { months } = monthlyFiguresOf({ timezone: 'Europe/London', days }, [
      '2026-09',
      '2026-10',
      '2026-11',
    ])
    expect(months.map((m) => [m.month, m.recoveredRevenuePence])).toEqual([
      ['2026-09', 0],
      ['2026-10', 105],
      ['2026-11', 0],
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
