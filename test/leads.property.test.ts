/**
 * Rules that must hold for every input: what /embed.js and the hosted form capture from a landing
 * page's query, and the lead priority's bounds and monotonicity.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ATTRIBUTION_PARAMS,
  AttributionSchema,
  attributionFromQuery,
  compactAttribution,
} from '../src/leads/attribution'
import { leadPriority } from '../src/leads/priority'
import { estimateMissedCallRevenue } from '../src/leads/scorecard'

const param = fc.constantFrom(...Object.keys(ATTRIBUTION_PARAMS))
const value = fc.string({ minLength: 1, maxLength: 700 })

describe('attribution capture', () => {
  it('keeps exactly the known parameters, trimmed and bounded, and the result always validates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(param, fc.string({ maxLength: 20 })), value), { maxLength: 20 }),
        (pairs) => {
          const query = new URLSearchParams(pairs).toString()
          const captured = attributionFromQuery(`?${query}`)
          const params = new URLSearchParams(query)
          for (const [p, field] of Object.entries(ATTRIBUTION_PARAMS)) {
            const raw = params.get(p)?.trim()
            const got = (captured as Record<string, string | undefined>)[field]
            if (raw) expect(got).toBe(raw.slice(0, 500))
            else expect(got).toBeUndefined()
          }
          const fields = new Set<string>(Object.values(ATTRIBUTION_PARAMS))
          for (const k of Object.keys(captured)) expect(fields.has(k)).toBe(true)
          expect(AttributionSchema.safeParse(captured).success).toBe(true)
        },
      ),
    )
  })

  it('stores nothing for nothing: blank values vanish, and a page URL must be http(s)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (page) => {
        const parsed = AttributionSchema.parse({ utmSource: '  ', landingPage: page })
        const stored = compactAttribution(parsed)
        if (/^https?:\/\//i.test(page.trim())) expect(stored?.landingPage).toBe(page.trim())
        else expect(stored).toBeNull()
      }),
    )
  })
})

const signals = fc.record({
  status: fc.constantFrom('new', 'contacted', 'booked', 'lost') as fc.Arbitrary<
    'new' | 'contacted' | 'booked' | 'lost'
  >,
  lastKind: fc.constantFrom('book-call', 'call', 'sms', 'enquiry', 'scorecard', 'guide', 'x'),
  treatmentValuePence: fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: null }),
  lastInteractionAt: fc.integer({ min: 0, max: 2_000_000_000_000 }),
  lastReplyAt: fc.option(fc.integer({ min: 0, max: 2_000_000_000_000 }), { nil: null }),
  hasPhone: fc.boolean(),
  now: fc.integer({ min: 0, max: 2_000_000_000_000 }),
})

describe('lead priority', () => {
  it('is a whole score from 0 to 100 with a reason for every point; booked and lost score 0', () => {
    fc.assert(
      fc.property(signals, (s) => {
        const p = leadPriority(s)
        expect(Number.isInteger(p.score)).toBe(true)
        expect(p.score).toBeGreaterThanOrEqual(0)
        expect(p.score).toBeLessThanOrEqual(100)
        if (s.status === 'booked' || s.status === 'lost')
          expect(p).toEqual({ score: 0, reasons: [s.status] })
        else if (p.score > 0) expect(p.reasons.length).toBeGreaterThan(0)
      }),
    )
  })

  it('never drops when the same lead is more recent or its treatment worth more', () => {
    fc.assert(
      fc.property(signals, fc.integer({ min: 0, max: 1_000_000_000 }), (s, d) => {
        const open = { ...s, status: 'new' as const, lastReplyAt: null }
        const older = leadPriority({ ...open, lastInteractionAt: open.now - d - 1 })
        const newer = leadPriority({ ...open, lastInteractionAt: open.now - 1 })
        expect(newer.score).toBeGreaterThanOrEqual(older.score)
        const cheap = leadPriority({ ...open, treatmentValuePence: 0 })
        const dear = leadPriority({ ...open, treatmentValuePence: 500_000 })
        expect(dear.score).toBeGreaterThanOrEqual(cheap.score)
      }),
    )
  })
})

describe('missed-call scorecard', () => {
  it('loses more with more calls or a lower answer rate, and recovers a share of what is lost', () => {
    const answers = fc.record({
      callsPerWeek: fc.integer({ min: 0, max: 5000 }),
      answerRatePercent: fc.integer({ min: 0, max: 100 }),
      averageValuePence: fc.integer({ min: 0, max: 1_000_000 }),
    })
    fc.assert(
      fc.property(answers, fc.integer({ min: 1, max: 100 }), (a, more) => {
        const r = estimateMissedCallRevenue(a)
        expect(r.recoverableRevenuePencePerMonth).toBeLessThanOrEqual(r.lostRevenuePencePerMonth)
        expect(r.lostRevenuePencePerMonth).toBeGreaterThanOrEqual(0)
        const busier = estimateMissedCallRevenue({ ...a, callsPerWeek: a.callsPerWeek + more })
        expect(busier.lostRevenuePencePerMonth).toBeGreaterThanOrEqual(r.lostRevenuePencePerMonth)
        if (a.answerRatePercent > 0) {
          const worse = estimateMissedCallRevenue({
            ...a,
            answerRatePercent: a.answerRatePercent - 1,
          })
          expect(worse.lostRevenuePencePerMonth).toBeGreaterThanOrEqual(r.lostRevenuePencePerMonth)
        }
        if (a.answerRatePercent === 100) expect(r.missedCallsPerMonth).toBe(0)
      }),
    )
  })
})
