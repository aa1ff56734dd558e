/**
 * Purging calls never un-recovers a booking: in the clinic's Durable Object, a booking whose
 * recovering call is purged becomes final (kept as it is, out of the working set, remembered by
 * id only), nothing older than the cut-off is taken in again, and a reload of the clinic from D1
 * skips bookings whose call D1 no longer holds.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { resettleClinic } from '../src/attribution/notify'
import type { AttributionFact } from '../src/attribution/rules'
import { createDb } from '../src/db/client'
import { appointments, calls } from '../src/db/schema'
import { DAY_MS, HOUR_MS } from '../src/lib/time'
import { purgeClinic } from '../src/privacy/purge'
import { createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)
const CUT = Date.UTC(2026, 7, 1, 3)

describe('call purge in the clinic object', () => {
  it('keeps a booking recovered by a purged call recovered, whatever arrives afterwards', async () => {
    const stub = env.CLINIC.getByName(`purge-${crypto.randomUUID()}`)
    const old: AttributionFact = {
      kind: 'inbound-call',
      id: 'old',
      callerHash: 'h',
      at: CUT - HOUR_MS,
      status: 'missed',
    }
    const booking: AttributionFact = {
      kind: 'appointment',
      id: 'a1',
      callerHash: 'h',
      at: CUT + HOUR_MS,
    }
    await stub.settleAttribution([old, booking], 14)
    const [before] = await stub.attributionOutcomes(['a1'])
    expect(before).toMatchObject({ status: 'recovered', callId: 'old' })

    expect(await stub.purgeSubjectRowsBefore(CUT)).toBe(2) // the call, and a1 leaving as final
    // A later event for the caller, a repeat of the booking, a late copy of the purged call and
    // a full re-settlement change nothing.
    const later = await stub.settleAttribution(
      [{ kind: 'callback', id: 'cb', callerHash: 'h', at: CUT + 2 * HOUR_MS }, booking, old],
      14,
    )
    expect(later.changes).toEqual([])
    expect(await stub.resettleAttribution(14)).toEqual([])
    // The purged call is not back as a candidate for a new booking either.
    const next = await stub.settleAttribution(
      [{ kind: 'appointment', id: 'a2', callerHash: 'h', at: CUT + DAY_MS }],
      14,
    )
    expect(next.outcomes[0]).toMatchObject({ appointmentId: 'a2', status: 'unattributed' })
    // What the object remembers of the final booking holds no personal data.
    const columns = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql
        .exec('PRAGMA table_info(attr_final)')
        .toArray()
        .map((r) => String(r.name)),
    )
    expect(columns).toEqual(['id', 'at'])
  })

  it('a reload from D1 by an object that lost its memory skips bookings whose call was purged', async () => {
    const NOW = Date.UTC(2026, 10, 23, 3)
    const clinic = await createTestClinic({ retentionCallDays: 30 })
    const cutoff = NOW - 30 * DAY_MS
    const hash = 'e'.repeat(64)
    await db.insert(calls).values({
      id: 'call_purged_reload',
      clinicId: clinic.clinicId,
      callSid: 'CA-purged-reload',
      direction: 'inbound',
      callerHash: hash,
      callerKind: 'mobile',
      startedAt: cutoff - HOUR_MS,
      status: 'missed',
    })
    await db.insert(appointments).values({
      id: 'apt_purged_reload',
      clinicId: clinic.clinicId,
      callerHash: hash,
      createdAt: cutoff + HOUR_MS,
      receivedAt: cutoff + HOUR_MS,
    })
    await resettleClinic(env, clinic.clinicId)
    const read = async () =>
      (await db.select().from(appointments).where(eq(appointments.id, 'apt_purged_reload')))[0]
    const before = await read()
    expect(before).toMatchObject({
      attributionStatus: 'recovered',
      attributedCallId: 'call_purged_reload',
    })
    await purgeClinic(env, clinic.clinicId, NOW)
    await env.CLINIC.getByName(clinic.clinicId).destroyStorage()
    await resettleClinic(env, clinic.clinicId)
    expect(await read()).toEqual(before)
  })
})
