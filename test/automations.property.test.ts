/**
 * The automated-message rules hold for every input (src/automations/rules.ts): nothing is sent
 * inside quiet hours (in any zone, across daylight-saving changes), a wait always ends outside
 * them, nothing goes to an opted-out or restricted contact, marketing never goes without consent
 * and always carries its opt-out line, and service versus marketing is decided the same way for
 * every message of a kind.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type AutomatedMessage,
  decideAutomatedSend,
  describeAutomation,
  inQuietHours,
  nextSendableAt,
  purposeOf,
  TRIGGERS,
  withOptOutLine,
} from '../src/automations/rules'

const ZONES = ['Europe/London', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC']
const clock = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`)
// 2026–2028, so every run crosses daylight-saving changes somewhere.
const instant = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2028, 11, 31) })
const quiet = fc.record({ start: clock, end: clock })
const block = fc.constantFrom(null, 'opted-out', 'restricted', 'objected')
const message: fc.Arbitrary<AutomatedMessage> = fc.oneof(
  fc.constant({ kind: 'reminder' as const }),
  fc.constant({ kind: 'no-reply-follow-up' as const }),
  fc.constant({ kind: 'enquiry-follow-up' as const }),
  fc.constantFrom('service' as const, 'marketing' as const).map((declared) => ({
    kind: 'automation' as const,
    declared,
  })),
)

const facts = fc.record({
  message,
  block,
  marketingConsent: fc.boolean(),
  followUpsThisWeek: fc.integer({ min: 0, max: 5 }),
  weeklyCap: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
  now: instant,
  quiet,
  timezone: fc.constantFrom(...ZONES),
})

describe('automated sends (every input)', () => {
  it('never sends inside quiet hours; a wait ends outside them, later, within two days', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const d = decideAutomatedSend({ ...f, purpose: purposeOf(f.message) })
        if (d.action === 'send') expect(inQuietHours(f.now, f.quiet, f.timezone)).toBe(false)
        if (d.action === 'wait') {
          expect(inQuietHours(f.now, f.quiet, f.timezone)).toBe(true)
          expect(d.until).toBeGreaterThan(f.now)
          expect(d.until - f.now).toBeLessThanOrEqual(2 * 86_400_000)
          expect(inQuietHours(d.until, f.quiet, f.timezone)).toBe(false)
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('the first sendable instant is never inside quiet hours, and is the instant itself outside them', () => {
    fc.assert(
      fc.property(instant, quiet, fc.constantFrom(...ZONES), (at, q, tz) => {
        const next = nextSendableAt(at, q, tz)
        expect(inQuietHours(next, q, tz)).toBe(false)
        if (!inQuietHours(at, q, tz)) expect(next).toBe(at)
      }),
      { numRuns: 2000 },
    )
  })

  it('nothing goes to an opted-out, restricted or objecting contact, whatever else holds', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const d = decideAutomatedSend({ ...f, purpose: purposeOf(f.message) })
        if (f.block) expect(d).toEqual({ action: 'skip', reason: f.block })
      }),
    )
  })

  it('marketing needs consent; the cap stops follow-ups; a blocked or capped message never waits', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const purpose = purposeOf(f.message)
        const d = decideAutomatedSend({ ...f, purpose })
        if (!f.block && purpose === 'marketing' && !f.marketingConsent) {
          expect(d).toEqual({ action: 'skip', reason: 'no-marketing-consent' })
        }
        if (d.action !== 'skip') {
          expect(f.block).toBe(null)
          if (f.weeklyCap !== null) expect(f.followUpsThisWeek).toBeLessThan(f.weeklyCap)
        }
      }),
    )
  })

  it('service or marketing: reminders and no-reply follow-ups are service, enquiry follow-ups marketing, declared marketing stays marketing', () => {
    fc.assert(
      fc.property(message, (m) => {
        const p = purposeOf(m)
        if (m.kind === 'reminder' || m.kind === 'no-reply-follow-up') expect(p).toBe('service')
        if (m.kind === 'enquiry-follow-up') expect(p).toBe('marketing')
        if (m.kind === 'automation') expect(p).toBe(m.declared)
      }),
    )
  })

  it('every marketing message carries an opt-out line; service words are sent as written', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('service', 'marketing'),
        (body, purpose) => {
          const out = withOptOutLine(body, purpose as 'service' | 'marketing')
          if (purpose === 'marketing') expect(out).toMatch(/\bSTOP\b/)
          else expect(out).toBe(body)
          // Idempotent: adding the line twice adds it once.
          expect(withOptOutLine(out, purpose as 'service' | 'marketing')).toBe(out)
        },
      ),
    )
  })
})

describe('quiet hours across daylight saving (examples)', () => {
  const q = { start: '20:00', end: '08:00' }
  it('London: the wait ends at 08:00 local on either side of a clock change', () => {
    // 25 Oct 2026: clocks go back (BST → GMT). 06:30 GMT that morning → 08:00 GMT.
    expect(nextSendableAt(Date.UTC(2026, 9, 25, 6, 30), q, 'Europe/London')).toBe(
      Date.UTC(2026, 9, 25, 8, 0),
    )
    // The day before (BST): 05:30 UTC is 06:30 local → 08:00 BST = 07:00 UTC.
    expect(nextSendableAt(Date.UTC(2026, 9, 24, 5, 30), q, 'Europe/London')).toBe(
      Date.UTC(2026, 9, 24, 7, 0),
    )
    // 28 Mar 2027: clocks go forward. 21:00 GMT the evening before → 08:00 BST = 07:00 UTC.
    expect(nextSendableAt(Date.UTC(2027, 2, 27, 21, 0), q, 'Europe/London')).toBe(
      Date.UTC(2027, 2, 28, 7, 0),
    )
  })
})

describe('automations in words', () => {
  it('reads as the issue asks', () => {
    expect(
      describeAutomation({
        trigger: 'missed-call',
        delayMinutes: 5,
        conditions: [{ type: 'opening-hours', open: true }],
        actions: [{ type: 'notify-staff' }],
      }),
    ).toBe(
      'When a missed call comes in during opening hours, wait 5 minutes, then notify reception.',
    )
  })

  it('names every trigger and never says nothing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TRIGGERS),
        fc.integer({ min: 0, max: 43_200 }),
        (trigger, delay) => {
          const words = describeAutomation({
            trigger,
            delayMinutes: delay,
            conditions: [],
            actions: [{ type: 'notify-staff' }],
          })
          expect(words).toMatch(/^When .+, then notify reception\.$/)
          if (delay > 0) expect(words).toContain('wait ')
        },
      ),
    )
  })
})
