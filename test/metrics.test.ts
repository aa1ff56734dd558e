/**
 * The metrics API: every local day of the range (zeros included) in the clinic's time zone,
 * figures kept right when a late event changes an attribution, monthly sums, range caps, and
 * aggregates that outlive the purge of the calls they count.
 */
import { env } from 'cloudflare:workers'
import { and, eq, lt } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { notifyAttribution } from '../src/attribution/notify'
import { createDb } from '../src/db/client'
import { calls, purgeRuns } from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { DAY_MS, toIso } from '../src/lib/time'
import { localDateOf } from '../src/metrics/local-time'
import { rollUpMetrics } from '../src/metrics/rollup'
import { contactHash } from '../src/privacy/crypto'
import { api, createTestClinic, type TestClinic } from './helpers/clinic'

const db = createDb(env.DB)
const config = getConfig(env)

async function inboundCall(
  clinicId: string,
  e164: string,
  at: number,
  status: 'missed' | 'voicemail' | 'answered',
  extra: Partial<typeof calls.$inferInsert> = {},
): Promise<string> {
  const id = newId('call', at)
  const callerHash = await contactHash(config, clinicId, e164)
  await db.insert(calls).values({
    id,
    clinicId,
    callSid: `CA${crypto.randomUUID().replace(/-/g, '')}`,
    direction: 'inbound',
    callerHash,
    callerKind: 'mobile',
    startedAt: at,
    status,
    ...extra,
  })
  await notifyAttribution(env, clinicId, {
    kind: 'inbound-call',
    callId: id,
    callerHash,
    at,
    status,
  })
  return id
}

type Day = { date: string; [k: string]: unknown }

describe('GET /api/v1/metrics/daily', () => {
  let clinic: TestClinic
  let headers: Record<string, string>

  beforeAll(async () => {
    clinic = await createTestClinic({
      timezone: 'Europe/London',
      defaultAppointmentValuePence: 5000,
    })
    headers = (await clinic.as('analyst')).headers
  })

  it('answers every local day of the range, zeros included, with the clinic time zone', async () => {
    const res = await api(
      'GET',
      '/api/v1/metrics/daily?from=2026-10-01&to=2026-10-31',
      undefined,
      headers,
    )
    expect(res.status).toBe(200)
    const body = (await res.json()) as { timezone: string; days: Day[] }
    expect(body.timezone).toBe('Europe/London')
    expect(body.days).toHaveLength(31)
    expect(body.days[0]).toEqual({
      date: '2026-10-01',
      inboundCalls: 0,
      missedCalls: 0,
      answeredCalls: 0,
      voicemails: 0,
      callbacks: 0,
      textBacks: 0,
      medianCallbackSeconds: null,
      recoveredAppointments: 0,
      recoveredRevenuePence: 0,
      holdOut: expect.objectContaining({ heldOutMissedCalls: 0, upliftPercentagePoints: null }),
    })
  })

  it('counts a call at 23:30 UTC in British Summer Time on the next local day', async () => {
    await inboundCall(clinic.clinicId, '+447700900301', Date.UTC(2026, 9, 20, 23, 30), 'missed', {
      calledBackAt: Date.UTC(2026, 9, 20, 23, 45),
    })
    await rollUpMetrics(env, clinic.clinicId, Date.UTC(2026, 9, 20), Date.UTC(2026, 9, 22))
    const body = (await (
      await api('GET', '/api/v1/metrics/daily?from=2026-10-20&to=2026-10-21', undefined, headers)
    ).json()) as {
      days: Day[]
    }
    expect(body.days[0]).toMatchObject({ date: '2026-10-20', inboundCalls: 0 })
    expect(body.days[1]).toMatchObject({
      date: '2026-10-21',
      inboundCalls: 1,
      missedCalls: 1,
      callbacks: 1,
      medianCallbackSeconds: 900,
    })
  })

  it('updates recovered figures on the booking day when a late missed call changes the attribution', async () => {
    const owner = await clinic.as('owner')
    const bookedAt = Date.UTC(2026, 9, 27, 12)
    await api(
      'POST',
      '/api/v1/appointments',
      { phone: '07700900302', createdAt: toIso(bookedAt), valuePence: 240000 },
      owner.headers,
    )
    const before = (await (
      await api('GET', '/api/v1/metrics/daily?from=2026-10-27&to=2026-10-27', undefined, headers)
    ).json()) as {
      days: Day[]
    }
    expect(before.days[0]).toMatchObject({ recoveredAppointments: 0, recoveredRevenuePence: 0 })
    await inboundCall(clinic.clinicId, '+447700900302', bookedAt - 2 * DAY_MS, 'voicemail')
    const after = (await (
      await api('GET', '/api/v1/metrics/daily?from=2026-10-25&to=2026-10-27', undefined, headers)
    ).json()) as {
      days: Day[]
    }
    expect(after.days[2]).toMatchObject({
      date: '2026-10-27',
      recoveredAppointments: 1,
      recoveredRevenuePence: 240000,
    })
    expect(after.days[0]).toMatchObject({ date: '2026-10-25', missedCalls: 1, voicemails: 1 })
  })

  it('refuses bad dates, reversed ranges and more than 400 days with problem+json 400', async () => {
    for (const q of [
      'from=2026-02-30&to=2026-03-01',
      'from=2026-10-02&to=2026-10-01',
      'from=2025-01-01&to=2026-12-31',
      'to=2026-01-01',
    ]) {
      const res = await api('GET', `/api/v1/metrics/daily?${q}`, undefined, headers)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
  })

  it('needs a signed-in member', async () => {
    expect((await api('GET', '/api/v1/metrics/daily?from=2026-10-01&to=2026-10-02')).status).toBe(
      401,
    )
  })
})

describe('GET /api/v1/metrics/monthly', () => {
  it('sums local days into months and pools callback delays for the median', async () => {
    const clinic = await createTestClinic({ timezone: 'Europe/London' })
    const headers = (await clinic.as('owner')).headers
    // 31 Oct 2026 00:30 local (GMT) is in October; 30 Sep 23:30 UTC (BST) is 1 Oct local.
    await inboundCall(clinic.clinicId, '+447700900401', Date.UTC(2026, 8, 30, 23, 30), 'missed', {
      calledBackAt: Date.UTC(2026, 8, 30, 23, 31),
    })
    await inboundCall(clinic.clinicId, '+447700900402', Date.UTC(2026, 9, 31, 0, 30), 'missed', {
      calledBackAt: Date.UTC(2026, 9, 31, 0, 33),
    })
    await inboundCall(clinic.clinicId, '+447700900403', Date.UTC(2026, 10, 2, 9), 'answered')
    await rollUpMetrics(env, clinic.clinicId, Date.UTC(2026, 8, 29), Date.UTC(2026, 10, 3))
    const res = await api(
      'GET',
      '/api/v1/metrics/monthly?from=2026-09&to=2026-11',
      undefined,
      headers,
    )
    expect(res.status).toBe(200)
    const body = (await res.json()) as { months: Array<Record<string, unknown>> }
    expect(
      body.months.map((m) => [m.month, m.inboundCalls, m.missedCalls, m.medianCallbackSeconds]),
    ).toEqual([
      ['2026-09', 0, 0, null],
      ['2026-10', 2, 2, 120],
      ['2026-11', 1, 0, null],
    ])
    const tooLong = await api(
      'GET',
      '/api/v1/metrics/monthly?from=2023-01&to=2026-12',
      undefined,
      headers,
    )
    expect(tooLong.status).toBe(400)
    expect(
      (await api('GET', '/api/v1/metrics/monthly?from=2026-13&to=2026-12', undefined, headers))
        .status,
    ).toBe(400)
  })
})

describe('aggregates outlive the purge', () => {
  it('keeps a purged day’s figures when the roll-up runs again after its calls are deleted', async () => {
    const clinic = await createTestClinic({ timezone: 'Europe/London', retentionCallDays: 7 })
    const headers = (await clinic.as('owner')).headers
    const old = Date.now() - 20 * DAY_MS
    await inboundCall(clinic.clinicId, '+447700900501', old, 'missed')
    await inboundCall(clinic.clinicId, '+447700900502', old + 60_000, 'answered')
    await rollUpMetrics(env, clinic.clinicId, old, old)
    // The retention purge records its receipt, then deletes the calls…
    const cutoff = Date.now() - 7 * DAY_MS
    await db.insert(purgeRuns).values({
      id: newId('prg'),
      clinicId: clinic.clinicId,
      job: 'calls',
      ranAt: Date.now(),
      cutoff,
      deletedJson: '{}',
      status: 'completed',
    })
    await db
      .delete(calls)
      .where(and(eq(calls.clinicId, clinic.clinicId), lt(calls.startedAt, cutoff)))
    // …and a later roll-up over the same days must not erase what they counted.
    await rollUpMetrics(env, clinic.clinicId, old - DAY_MS, Date.now())
    const date = localDateOf(old, 'Europe/London')
    const body = (await (
      await api('GET', `/api/v1/metrics/daily?from=${date}&to=${date}`, undefined, headers)
    ).json()) as {
      days: Day[]
    }
    expect(body.days[0]).toMatchObject({ inboundCalls: 2, missedCalls: 1, answeredCalls: 1 })
  })
})
