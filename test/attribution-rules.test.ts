/**
 * Rules v1 (DESIGN.md "Attribution rules (v1)") on hand-written histories: one example per rule.
 */
import { describe, expect, it } from 'vitest'
import {
  type AttributionFact,
  explainOutcome,
  RULE_VERSION,
  settle,
} from '../src/attribution/rules'
import { DAY_MS, HOUR_MS } from '../src/lib/time'

const H = 'caller-h'
const OTHER = 'caller-other'
const T0 = Date.UTC(2026, 10, 2, 9, 0)
const W = { windowDays: 14 }

const missed = (id: string, at: number, callerHash = H): AttributionFact => ({
  kind: 'inbound-call',
  id,
  callerHash,
  at,
  status: 'missed',
})
const appointment = (id: string, at: number, callerHash = H): AttributionFact => ({
  kind: 'appointment',
  id,
  callerHash,
  at,
})

describe('attribution rules v1', () => {
  it('recovers an appointment booked within the window after a missed call, path direct without touches', () => {
    const [outcome] = settle([missed('m1', T0), appointment('a1', T0 + DAY_MS)], W)
    expect(outcome).toEqual({
      appointmentId: 'a1',
      status: 'recovered',
      callId: 'm1',
      path: 'direct',
      ruleVersion: RULE_VERSION,
    })
  })

  it('counts a voicemail as a missed call', () => {
    const facts: AttributionFact[] = [
      { kind: 'inbound-call', id: 'v1', callerHash: H, at: T0, status: 'voicemail' },
      appointment('a1', T0 + HOUR_MS),
    ]
    expect(settle(facts, W)[0]).toMatchObject({ status: 'recovered', callId: 'v1' })
  })

  it('includes t_A = t_M + W and excludes anything later or not after the call', () => {
    expect(settle([missed('m1', T0), appointment('a1', T0 + 14 * DAY_MS)], W)[0]?.status).toBe(
      'recovered',
    )
    expect(settle([missed('m1', T0), appointment('a1', T0 + 14 * DAY_MS + 1)], W)[0]?.status).toBe(
      'unattributed',
    )
    expect(settle([missed('m1', T0), appointment('a1', T0)], W)[0]?.status).toBe('unattributed')
    expect(settle([missed('m1', T0), appointment('a1', T0 - 1)], W)[0]?.status).toBe('unattributed')
  })

  it('uses the clinic window', () => {
    const facts = [missed('m1', T0), appointment('a1', T0 + 5 * DAY_MS)]
    expect(settle(facts, { windowDays: 3 })[0]?.status).toBe('unattributed')
    expect(settle(facts, { windowDays: 7 })[0]?.status).toBe('recovered')
  })

  it('never links different callers', () => {
    expect(settle([missed('m1', T0, OTHER), appointment('a1', T0 + HOUR_MS)], W)[0]?.status).toBe(
      'unattributed',
    )
  })

  it('ignores answered calls as candidates', () => {
    const facts: AttributionFact[] = [
      { kind: 'inbound-call', id: 'c1', callerHash: H, at: T0, status: 'answered' },
      appointment('a1', T0 + HOUR_MS),
    ]
    expect(settle(facts, W)[0]?.status).toBe('unattributed')
  })

  it('takes the most recent candidate and spends it: a second booking takes the older call', () => {
    const outcomes = settle(
      [
        missed('m1', T0),
        missed('m2', T0 + DAY_MS),
        appointment('a1', T0 + 2 * DAY_MS),
        appointment('a2', T0 + 3 * DAY_MS),
      ],
      W,
    )
    expect(outcomes.map((o) => [o.appointmentId, o.callId])).toEqual([
      ['a1', 'm2'],
      ['a2', 'm1'],
    ])
  })

  it('settles in order of t_A, then id, whatever order the facts come in', () => {
    const facts = [appointment('a2', T0 + DAY_MS), appointment('a1', T0 + DAY_MS), missed('m1', T0)]
    expect(settle(facts, W).map((o) => [o.appointmentId, o.status])).toEqual([
      ['a1', 'recovered'],
      ['a2', 'unattributed'],
    ])
  })

  it('names the first recovery touch between the missed call and the booking as the path', () => {
    const base = [missed('m1', T0), appointment('a1', T0 + 10 * HOUR_MS)]
    const callback: AttributionFact = {
      kind: 'callback',
      id: 'o1',
      callerHash: H,
      at: T0 + 2 * HOUR_MS,
    }
    const reply: AttributionFact = {
      kind: 'text-back-reply',
      id: 'r1',
      callerHash: H,
      at: T0 + HOUR_MS,
    }
    const returnCall: AttributionFact = {
      kind: 'inbound-call',
      id: 'c2',
      callerHash: H,
      at: T0 + 3 * HOUR_MS,
      status: 'answered',
    }
    expect(settle([...base, callback], W)[0]?.path).toBe('callback')
    expect(settle([...base, returnCall], W)[0]?.path).toBe('return-call')
    expect(settle([...base, callback, reply, returnCall], W)[0]?.path).toBe('text-back')
  })

  it('ignores touches before the missed call, after the booking, or for another caller', () => {
    const facts: AttributionFact[] = [
      missed('m1', T0),
      appointment('a1', T0 + 10 * HOUR_MS),
      { kind: 'callback', id: 'o0', callerHash: H, at: T0 - HOUR_MS },
      { kind: 'callback', id: 'o1', callerHash: H, at: T0 + 11 * HOUR_MS },
      { kind: 'text-back-reply', id: 'r1', callerHash: OTHER, at: T0 + HOUR_MS },
    ]
    expect(settle(facts, W)[0]?.path).toBe('direct')
  })

  it('measures the path from the call actually recovered (M*), not an older one', () => {
    const facts: AttributionFact[] = [
      missed('m1', T0),
      { kind: 'callback', id: 'o1', callerHash: H, at: T0 + HOUR_MS },
      missed('m2', T0 + 2 * HOUR_MS),
      appointment('a1', T0 + 3 * HOUR_MS),
    ]
    expect(settle(facts, W)[0]).toMatchObject({ callId: 'm2', path: 'direct' })
  })

  it('collapses duplicates and keeps a call’s most advanced status in any order', () => {
    const asMissed = missed('m1', T0)
    const asVoicemail: AttributionFact = { ...asMissed, status: 'voicemail' } as AttributionFact
    const a = appointment('a1', T0 + HOUR_MS)
    expect(settle([asVoicemail, asMissed, a, a, asMissed], W)).toEqual(settle([asMissed, a], W))
  })

  it('explains an outcome without personal data', () => {
    expect(
      explainOutcome(
        { status: 'recovered', path: 'callback' },
        { missedAt: T0, appointmentAt: T0 + 3 * HOUR_MS, windowDays: 14 },
      ),
    ).toBe(
      'Recovered: booked 3 hours after a missed call, after the clinic called them back (rules v1).',
    )
    expect(
      explainOutcome({ status: 'unattributed', path: null }, { appointmentAt: T0, windowDays: 14 }),
    ).toMatch(/^Not recovered/)
    // A recovered booking whose missed call was purged stays recovered in its explanation too.
    expect(
      explainOutcome(
        { status: 'recovered', path: 'direct' },
        { missedAt: null, appointmentAt: T0, windowDays: 14 },
      ),
    ).toMatch(/^Recovered: booked after a missed call \(since deleted/)
  })
})
