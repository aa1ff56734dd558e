/**
 * Rule 4: the outcome is a function of the SET of events. Random histories (a few callers, missed /
 * voicemail / answered calls, callbacks, text-back replies, appointments, random times and
 * window) are delivered in a random order with random duplicates — to the pure rules and to the
 * clinic Durable Object one event per RPC — and must give exactly what a small, separately
 * written reference implementation of DESIGN.md's rules gives.
 */
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type AttributionFact, settle } from '../src/attribution/rules'

const DAY = 86_400_000
const HOUR = 3_600_000
const T0 = Date.UTC(2026, 9, 1)

type Ref = { appointmentId: string; status: string; callId: string | null; path: string | null }

/** The rules as DESIGN.md words them, written naively and independently of src/attribution. */
function reference(facts: readonly AttributionFact[], windowDays: number): Ref[] {
  const calls: Record<string, { h: string; at: number; statuses: Set<string> }> = {}
  const touches: Record<string, { h: string; at: number; path: string }> = {}
  const appts: Record<string, { h: string; at: number }> = {}
  for (const f of facts) {
    if (f.kind === 'inbound-call') {
      calls[f.id] ??= { h: f.callerHash, at: f.at, statuses: new Set() }
      calls[f.id]!.statuses.add(f.status)
    } else if (f.kind === 'appointment') appts[f.id] = { h: f.callerHash, at: f.at }
    else
      touches[`${f.kind}:${f.id}`] = {
        h: f.callerHash,
        at: f.at,
        path: f.kind === 'callback' ? 'callback' : 'text-back',
      }
  }
  const statusOf = (s: Set<string>) =>
    s.has('voicemail') ? 'voicemail' : s.has('missed') ? 'missed' : 'answered'
  for (const [id, c] of Object.entries(calls)) {
    if (statusOf(c.statuses) === 'answered')
      touches[`inbound-call:${id}`] = { h: c.h, at: c.at, path: 'return-call' }
  }
  const order = Object.keys(appts).sort((x, y) => appts[x]!.at - appts[y]!.at || (x < y ? -1 : 1))
  const spent: string[] = []
  return order.map((aid) => {
    const a = appts[aid]!
    const candidates = Object.keys(calls).filter((cid) => {
      const c = calls[cid]!
      const isMissed = statusOf(c.statuses) !== 'answered'
      return (
        isMissed &&
        c.h === a.h &&
        c.at < a.at &&
        a.at <= c.at + windowDays * DAY &&
        !spent.includes(cid)
      )
    })
    if (candidates.length === 0)
      return { appointmentId: aid, status: 'unattributed', callId: null, path: null }
    // Most recent; at the same instant the larger id (deterministic).
    candidates.sort((x, y) => calls[y]!.at - calls[x]!.at || (y < x ? -1 : 1))
    const m = candidates[0]!
    spent.push(m)
    const tm = calls[m]!.at
    const between = Object.keys(touches)
      .filter((k) => touches[k]!.h === a.h && touches[k]!.at > tm && touches[k]!.at < a.at)
      .sort((x, y) => touches[x]!.at - touches[y]!.at || (x < y ? -1 : 1))
    return {
      appointmentId: aid,
      status: 'recovered',
      callId: m,
      path: between.length ? touches[between[0]!]!.path : 'direct',
    }
  })
}

/** A history plus a delivery: the events in a shuffled order, some delivered twice. */
const historyArb = fc
  .record({
    windowDays: fc.integer({ min: 1, max: 5 }),
    events: fc.array(
      fc.record({
        kind: fc.constantFrom(
          'missed',
          'voicemail',
          'answered',
          'callback',
          'text-back-reply',
          'appointment',
        ),
        caller: fc.constantFrom('h1', 'h2', 'h3'),
        // Coarse times on a 6-hour grid over ~8 days, so ties and window edges happen often.
        slot: fc.integer({ min: 0, max: 32 }),
      }),
      { minLength: 1, maxLength: 18 },
    ),
  })
  .map(({ windowDays, events }) => {
    const facts: AttributionFact[] = []
    events.forEach((e, i) => {
      const at = T0 + e.slot * 6 * HOUR
      const id = `${e.kind}-${i}`
      if (e.kind === 'appointment' || e.kind === 'callback' || e.kind === 'text-back-reply') {
        facts.push({ kind: e.kind, id, callerHash: e.caller, at })
      } else if (e.kind === 'voicemail') {
        // A voicemail is first reported missed, then turned into a voicemail by the recording.
        facts.push({ kind: 'inbound-call', id, callerHash: e.caller, at, status: 'missed' })
        facts.push({ kind: 'inbound-call', id, callerHash: e.caller, at, status: 'voicemail' })
      } else {
        facts.push({ kind: 'inbound-call', id, callerHash: e.caller, at, status: e.kind })
      }
    })
    return { windowDays, facts }
  })
  .chain(({ windowDays, facts }) =>
    fc
      .record({
        order: fc.shuffledSubarray(facts, { minLength: facts.length, maxLength: facts.length }),
        duplicates: fc.subarray(facts),
      })
      .chain(({ order, duplicates }) =>
        fc
          .shuffledSubarray([...order, ...duplicates], {
            minLength: order.length + duplicates.length,
            maxLength: order.length + duplicates.length,
          })
          .map((delivery) => ({ windowDays, facts, delivery })),
      ),
  )

const strip = (o: Ref) => ({
  appointmentId: o.appointmentId,
  status: o.status,
  callId: o.callId,
  path: o.path,
})

describe('attribution is a function of the event set', () => {
  it('the pure rules agree with the reference for every order and duplication', () => {
    fc.assert(
      fc.property(historyArb, ({ windowDays, facts, delivery }) => {
        expect(settle(delivery, { windowDays }).map(strip)).toEqual(reference(facts, windowDays))
      }),
      { numRuns: 500 },
    )
  })

  let run = 0
  it('the clinic Durable Object, fed one event at a time in any order, ends where the reference does', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, async ({ windowDays, facts, delivery }) => {
        const stub = env.CLINIC.getByName(`property-${run++}-${crypto.randomUUID()}`)
        for (const fact of delivery) await stub.settleAttribution([fact], windowDays)
        const expected = reference(facts, windowDays)
        const actual = await stub.attributionOutcomes(expected.map((o) => o.appointmentId))
        expect(actual.map(strip)).toEqual(expected)
      }),
      { numRuns: 50 },
    )
  }, 120_000)
})
