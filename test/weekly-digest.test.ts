/**
 * The weekly digest (issue 13 item 5): Monday 08:00 in the clinic's time zone, across daylight
 * saving; last week's figures from the metrics, in plain words, to the owners only, through the
 * email queue with one idempotency key per clinic, week and owner; the next Monday registered.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  digestEmail,
  digestWakeId,
  nextDigestAt,
  sendWeeklyDigest,
} from '../src/billing/weekly-digest'
import { dailyMetrics } from '../src/db/schema'
import { getConfig } from '../src/env'
import type { EmailJob } from '../src/jobs/messages'
import { createTestClinic } from './helpers/clinic'
import { captureQueue } from './helpers/queue'
import { db } from './textback-delivery.fixtures'

describe('when the digest goes', () => {
  it('is the next Monday at 08:00 local, daylight saving right', () => {
    // Sunday 25 Oct 2026, the clocks went back that morning: Monday 08:00 GMT.
    expect(nextDigestAt(Date.UTC(2026, 9, 25, 12), 'Europe/London')).toEqual({
      at: Date.UTC(2026, 9, 26, 8),
      date: '2026-10-26',
    })
    // Sunday 28 Mar 2027, the clocks went forward: Monday 08:00 BST = 07:00 UTC.
    expect(nextDigestAt(Date.UTC(2027, 2, 28, 12), 'Europe/London').at).toBe(
      Date.UTC(2027, 2, 29, 7),
    )
    // A Monday before 08:00 is that day; after it, the next week.
    expect(nextDigestAt(Date.UTC(2026, 9, 26, 7, 59), 'Europe/London').date).toBe('2026-10-26')
    expect(nextDigestAt(Date.UTC(2026, 9, 26, 8, 1), 'Europe/London').date).toBe('2026-11-02')
    // New York's Monday 08:00 EST.
    expect(nextDigestAt(Date.UTC(2026, 10, 10), 'America/New_York').at).toBe(
      Date.UTC(2026, 10, 16, 13),
    )
  })
})

describe('the digest', () => {
  it('says last week’s figures in words, with the uplift only when measured', () => {
    const email = digestEmail(
      'Smile Studio',
      { from: '2026-11-23', to: '2026-11-29' },
      {
        missedCalls: 12,
        recovered: 3,
        recoveredRevenuePence: 45_000,
        upliftPercentagePoints: null,
        waiting: 2,
      },
      'https://app.example/',
    )
    expect(email.subject).toBe('Smile Studio: you recovered £450.00 last week')
    expect(email.text).toContain('- Missed calls: 12')
    expect(email.text).toContain('- Recovered: 3 bookings, worth £450.00')
    expect(email.text).not.toContain('hold-out')
    expect(email.text).toContain('https://app.example/')
  })

  it('goes to the owners through the email queue, once per week, and registers the next Monday', async () => {
    const clinic = await createTestClinic()
    await clinic.as('owner')
    await clinic.as('receptionist')
    await db.insert(dailyMetrics).values([
      {
        clinicId: clinic.clinicId,
        date: '2026-11-24',
        missedCalls: 5,
        recoveredAppointments: 2,
        recoveredRevenuePence: 30_000,
      },
      {
        clinicId: clinic.clinicId,
        date: '2026-11-28',
        missedCalls: 3,
        recoveredAppointments: 1,
        recoveredRevenuePence: 15_000,
      },
      // Outside the week: not counted.
      { clinicId: clinic.clinicId, date: '2026-11-30', missedCalls: 9 },
    ])
    const captured = captureQueue()
    const before = await env.CLINIC.getByName(clinic.clinicId).pendingWakes()
    const id = digestWakeId(clinic.clinicId, '2026-11-30')
    const deps = { env: captured.env, db, config: getConfig(env) }
    const monday = Date.UTC(2026, 10, 30, 8, 1)
    expect(await sendWeeklyDigest(deps, id, monday)).toBe(1)
    const emails = captured.sent.filter((j): j is EmailJob => j.type === 'email')
    expect(emails).toHaveLength(1)
    expect(emails[0]!.subject).toMatch(/: you recovered £450\.00 last week$/)
    // Redone: the same idempotency key, so the email outbox sends it once.
    await sendWeeklyDigest(deps, id, monday + 60_000)
    const again = captured.sent.filter((j): j is EmailJob => j.type === 'email')
    expect(new Set(again.map((e) => e.idempotencyKey)).size).toBe(1)
    expect(await env.CLINIC.getByName(clinic.clinicId).pendingWakes()).toBeGreaterThan(before)
  })
})
