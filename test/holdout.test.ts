/**
 * Hold-out measurement: missed calls held out of text-backs against those that got one, so the
 * clinic sees the uplift it actually gets. Cohorts are the missed calls of each local day; a call
 * counts as recovered once an appointment is attributed to it.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { notifyAttribution } from '../src/attribution/notify'
import { createDb } from '../src/db/client'
import { calls } from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { HOUR_MS, toIso } from '../src/lib/time'
import { contactHash } from '../src/privacy/crypto'
import { api, createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)
const config = getConfig(env)

describe('hold-out metrics', () => {
  it('reports recovery with and without a text-back and the uplift in percentage points', async () => {
    const clinic = await createTestClinic({ timezone: 'Europe/London', holdOutPercent: 50 })
    const owner = await clinic.as('owner')
    const day = Date.UTC(2026, 10, 10, 10)
    // 4 texted-back missed calls (2 recover) and 4 held-out missed calls (1 recovers).
    const plan = [
      ['sent', true],
      ['sent', true],
      ['sent', false],
      ['sent', false],
      ['held-out', true],
      ['held-out', false],
      ['held-out', false],
      ['held-out', false],
    ] as const
    for (const [i, [textBackStatus, books]] of plan.entries()) {
      const e164 = `+4477009006${String(i).padStart(2, '0')}`
      const callerHash = await contactHash(config, clinic.clinicId, e164)
      const at = day + i * 60_000
      const id = newId('call', at)
      await db.insert(calls).values({
        id,
        clinicId: clinic.clinicId,
        callSid: `CA-holdout-${i}`,
        direction: 'inbound',
        callerHash,
        callerKind: 'mobile',
        startedAt: at,
        status: 'missed',
        textBackStatus,
        textedBackAt: textBackStatus === 'sent' ? at + 30_000 : null,
      })
      await notifyAttribution(env, clinic.clinicId, {
        kind: 'inbound-call',
        callId: id,
        callerHash,
        at,
        status: 'missed',
      })
      if (books) {
        const res = await api(
          'POST',
          '/api/v1/appointments',
          { phone: e164, createdAt: toIso(at + 2 * HOUR_MS) },
          owner.headers,
        )
        expect(((await res.json()) as { attribution: { status: string } }).attribution.status).toBe(
          'recovered',
        )
      }
    }
    const res = await api(
      'GET',
      '/api/v1/metrics/daily?from=2026-11-10&to=2026-11-10',
      undefined,
      owner.headers,
    )
    const body = (await res.json()) as {
      days: Array<Record<string, unknown>>
      holdOut: Record<string, unknown>
    }
    const expected = {
      textBackMissedCalls: 4,
      textBackRecovered: 2,
      heldOutMissedCalls: 4,
      heldOutRecovered: 1,
      textBackRecoveryRate: 0.5,
      heldOutRecoveryRate: 0.25,
      upliftPercentagePoints: 25,
    }
    expect(body.days[0]).toMatchObject({
      missedCalls: 8,
      textBacks: 4,
      recoveredAppointments: 3,
      holdOut: expected,
    })
    expect(body.holdOut).toEqual(expected)
    const monthly = (await (
      await api('GET', '/api/v1/metrics/monthly?from=2026-11&to=2026-11', undefined, owner.headers)
    ).json()) as {
      months: Array<Record<string, unknown>>
    }
    expect(monthly.months[0]).toMatchObject({ month: '2026-11', holdOut: expected })
  })
})
