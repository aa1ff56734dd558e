/**
 * The waiting list ("To call back", src/calls/calls.service.ts) for every mix of calls: one row
 * per caller (their latest missed call), newest first, never a caller whose latest missed call
 * was called back, resolved or recovered, and paging neither skips nor repeats anyone.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { countWaitingCallers, listWaitingCallers, resolveCall } from '../src/calls/calls.service'
import { calls } from '../src/db/schema'
import { newId } from '../src/lib/ids'
import { paginate } from '../src/lib/pagination'
import { db } from './helpers/voice'

const CALLERS = ['a', 'b', 'c', 'd', null] as const
const NOW = Date.parse('2026-11-20T12:00:00Z')

const callArb = fc.record({
  caller: fc.constantFrom(...CALLERS),
  minutesAgo: fc.integer({ min: 0, max: 30 }),
  direction: fc.constantFrom('inbound', 'inbound', 'outbound') as fc.Arbitrary<
    'inbound' | 'outbound'
  >,
  status: fc.constantFrom('missed', 'voicemail', 'answered') as fc.Arbitrary<
    'missed' | 'voicemail' | 'answered'
  >,
  calledBack: fc.boolean(),
  resolved: fc.boolean(),
  recovered: fc.boolean(),
})

type Seeded = {
  id: string
  caller: string | null
  startedAt: number
  missed: boolean
  handled: boolean
}

/** The rule, stated plainly: each caller's latest missed inbound call, kept when not handled. */
function expected(rows: Seeded[]): string[] {
  const latest = new Map<string, Seeded>()
  for (const r of rows) {
    if (!r.caller || !r.missed) continue
    const seen = latest.get(r.caller)
    if (!seen || r.startedAt > seen.startedAt || (r.startedAt === seen.startedAt && r.id > seen.id))
      latest.set(r.caller, r)
  }
  return [...latest.values()]
    .filter((r) => !r.handled)
    .sort((x, y) => y.startedAt - x.startedAt || (y.id > x.id ? 1 : -1))
    .map((r) => r.id)
}

describe('listWaitingCallers', () => {
  it('lists each waiting caller once, by their latest missed call, newest first, across pages', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(callArb, { maxLength: 14 }),
        fc.integer({ min: 1, max: 4 }),
        async (specs, pageSize) => {
          const clinicId = newId('cln')
          const seeded: Seeded[] = []
          for (const s of specs) {
            const startedAt = NOW - s.minutesAgo * 60_000
            const id = newId('call', startedAt)
            const hash = s.caller ? s.caller.repeat(64) : null
            await db.insert(calls).values({
              id,
              clinicId,
              callSid: `CA${id}`,
              direction: s.direction,
              callerHash: hash,
              callerKind: hash ? 'mobile' : 'withheld',
              startedAt,
              status: s.status,
              calledBackAt: s.calledBack ? startedAt + 1 : null,
              resolutionOutcome: s.resolved ? 'not-needed' : null,
              resolvedAt: s.resolved ? startedAt + 1 : null,
              recoveredAppointmentId: s.recovered ? 'apt_x' : null,
            })
            seeded.push({
              id,
              caller: hash,
              startedAt,
              missed: s.direction === 'inbound' && s.status !== 'answered',
              handled: s.calledBack || s.resolved || s.recovered,
            })
          }
          const listed: string[] = []
          let cursor: { t: number; id: string } | null = null
          for (let guard = 0; guard < 20; guard++) {
            const rows = await listWaitingCallers(db, clinicId, {
              limit: pageSize,
              cursor,
              now: NOW,
            })
            const page = paginate(rows, pageSize, (r) => ({ t: r.lastMissedAt, id: r.callId }))
            for (const r of page.items) {
              listed.push(r.callId)
              expect(r.waitedMs).toBe(NOW - r.lastMissedAt)
            }
            if (!page.nextCursor) break
            const last = page.items[page.items.length - 1]!
            cursor = { t: last.lastMissedAt, id: last.callId }
          }
          expect(listed).toEqual(expected(seeded))
          const callers = listed.map((id) => seeded.find((s) => s.id === id)!.caller)
          expect(new Set(callers).size).toBe(callers.length)
          expect(await countWaitingCallers(db, clinicId)).toBe(listed.length)
        },
      ),
      { numRuns: 30 },
    )
  })

  it('drops a caller once their latest missed call is resolved, and keeps the status missed', async () => {
    const clinicId = newId('cln')
    const id = newId('call', NOW)
    await db.insert(calls).values({
      id,
      clinicId,
      callSid: `CA${id}`,
      direction: 'inbound',
      callerHash: 'e'.repeat(64),
      callerKind: 'mobile',
      startedAt: NOW - 60_000,
      status: 'missed',
    })
    expect(await countWaitingCallers(db, clinicId)).toBe(1)
    const first = await resolveCall(db, clinicId, id, {
      outcome: 'called-back',
      by: 'user:u1',
      now: NOW,
    })
    const again = await resolveCall(db, clinicId, id, {
      outcome: 'booked',
      by: 'user:u2',
      now: NOW + 5,
    })
    expect(first?.status).toBe('missed')
    expect(again).toEqual(first)
    expect(await countWaitingCallers(db, clinicId)).toBe(0)
    expect(await listWaitingCallers(db, clinicId, { limit: 10, cursor: null, now: NOW })).toEqual(
      [],
    )
    // Another clinic cannot resolve it.
    expect(
      await resolveCall(db, newId('cln'), id, { outcome: 'booked', by: 'x', now: NOW }),
    ).toBeNull()
  })
})
