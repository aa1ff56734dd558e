/**
 * The clinic Durable Object's working set: duplicates change nothing, and closing the window
 * (prune) keeps old bookings' calls spent while dropping what no later booking can see.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { AttributionFact } from '../src/attribution/rules'
import { AttributionWorkingSet } from '../src/attribution/working-set'

const DAY = 86_400_000
const T0 = Date.UTC(2026, 7, 1, 9)

const stubFor = () => env.CLINIC.getByName(`working-set-${crypto.randomUUID()}`)

describe('attribution working set', () => {
  it('reports a change once: the same event again changes nothing', async () => {
    const stub = stubFor()
    const missed: AttributionFact = {
      kind: 'inbound-call',
      id: 'm1',
      callerHash: 'h',
      at: T0,
      status: 'missed',
    }
    const booking: AttributionFact = {
      kind: 'appointment',
      id: 'a1',
      callerHash: 'h',
      at: T0 + DAY,
    }
    await stub.settleAttribution([missed], 14)
    const first = await stub.settleAttribution([booking], 14)
    expect(first.changes).toHaveLength(1)
    expect(first.changes[0]).toMatchObject({
      status: 'recovered',
      callId: 'm1',
      callAt: T0,
      appointmentAt: T0 + DAY,
    })
    const again = await stub.settleAttribution([booking, missed], 14)
    expect(again.changes).toEqual([])
    expect(again.outcomes[0]).toMatchObject({ status: 'recovered', callId: 'm1' })
  })

  it('gives every decision a strictly later settledAt', async () => {
    const stub = stubFor()
    await stub.settleAttribution(
      [{ kind: 'appointment', id: 'a1', callerHash: 'h', at: T0 + DAY }],
      14,
    )
    const [before] = await stub.attributionOutcomes(['a1'])
    await stub.settleAttribution(
      [{ kind: 'inbound-call', id: 'm1', callerHash: 'h', at: T0, status: 'missed' }],
      14,
    )
    const [after] = await stub.attributionOutcomes(['a1'])
    expect(after!.settledAt!).toBeGreaterThan(before!.settledAt!)
  })

  it('keeps a call spent by a booking that left the window, and drops what is too old to matter', async () => {
    const stub = stubFor()
    await stub.settleAttribution(
      [
        { kind: 'inbound-call', id: 'old', callerHash: 'h', at: T0 - 30 * DAY, status: 'missed' },
        { kind: 'appointment', id: 'a-old', callerHash: 'h', at: T0 - 29 * DAY },
        { kind: 'inbound-call', id: 'm1', callerHash: 'h', at: T0 - 3 * DAY, status: 'missed' },
        { kind: 'appointment', id: 'a1', callerHash: 'h', at: T0 - 2 * DAY },
      ],
      14,
    )
    const removed = await stub.pruneAttribution(T0, 14)
    expect(removed).toEqual({ appointments: 2, calls: 1, touches: 0 })
    // a1 has left the window, but m1 stays spent: a new booking cannot take it again.
    const later = await stub.settleAttribution(
      [{ kind: 'appointment', id: 'a2', callerHash: 'h', at: T0 + DAY }],
      14,
    )
    expect(later.outcomes[0]).toMatchObject({ appointmentId: 'a2', status: 'unattributed' })
  })

  it('keeps a decision unsynced until D1 confirms that very decision: an older confirmation never clears a newer one', async () => {
    const stub = stubFor()
    const first = await stub.settleAttribution(
      [
        { kind: 'inbound-call', id: 'm1', callerHash: 'h', at: T0, status: 'missed' },
        { kind: 'appointment', id: 'a1', callerHash: 'h', at: T0 + 2 * DAY },
      ],
      14,
    )
    expect(first.unsynced.map((u) => u.change)).toEqual(first.changes)
    expect(first.unsynced[0]!.instants).toEqual(expect.arrayContaining([T0, T0 + 2 * DAY]))
    // A newer decision for a1 (a later missed call) before D1 confirmed the first one…
    const second = await stub.settleAttribution(
      [{ kind: 'inbound-call', id: 'm2', callerHash: 'h', at: T0 + DAY, status: 'missed' }],
      14,
    )
    expect(second.unsynced).toHaveLength(1)
    expect(second.unsynced[0]!.change).toMatchObject({ callId: 'm2', previousCallId: 'm1' })
    // …keeps every day either decision touched on the list of metrics to refresh.
    expect(second.unsynced[0]!.instants).toEqual(
      expect.arrayContaining([T0, T0 + DAY, T0 + 2 * DAY]),
    )
    const confirm = (u: { change: { appointmentId: string; settledAt: number } }) => [
      { appointmentId: u.change.appointmentId, settledAt: u.change.settledAt },
    ]
    expect(await stub.confirmAttributionSynced(confirm(first.unsynced[0]!))).toBe(0)
    expect(await stub.unsyncedAttributionCount()).toBe(1)
    expect(await stub.confirmAttributionSynced(confirm(second.unsynced[0]!))).toBe(1)
    expect(await stub.unsyncedAttributionCount()).toBe(0)
  })

  it('hands the next event its own decisions plus those whose write failed or was abandoned, not those still in flight', async () => {
    await runInDurableObject(stubFor(), (_i, state) => {
      let now = T0 + 10 * DAY
      const set = new AttributionWorkingSet(state.storage.sql, () => now)
      const booking = (id: string, callerHash: string): AttributionFact[] => [
        { kind: 'inbound-call', id: `m-${id}`, callerHash, at: T0, status: 'missed' },
        { kind: 'appointment', id, callerHash, at: T0 + DAY },
      ]
      const [a] = set.apply(booking('a1', 'h1'), 14)
      set.apply(booking('b1', 'h2'), 14)
      const c = set.apply(booking('c1', 'h3'), 14)
      const handed = () => set.unsyncedFor(c, 10_000, 100).map((u) => u.change.appointmentId)
      // a1 and b1 are still being written by their own Workers.
      expect(handed()).toEqual(['c1'])
      set.writeFailed([{ appointmentId: 'a1', settledAt: a!.settledAt }])
      expect(handed()).toEqual(['c1', 'a1'])
      // Unconfirmed for longer than a write takes: presumed abandoned.
      now += 11_000
      expect(handed()).toEqual(['c1', 'a1', 'b1'])
    })
  })
})
