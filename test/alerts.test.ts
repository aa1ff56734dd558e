/**
 * Staff alerts: batched into one digest email per clinic and window, each thing once, only to
 * the members who get alerts, missed calls only in opening hours, and no patient data in them.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { alertMissedCall, raiseStaffAlert } from '../src/alerts/alerts'
import { outboundMessages, staffAlerts, users } from '../src/db/schema'
import { getConfig } from '../src/env'
import { clinicKeyring } from '../src/privacy/crypto'
import { api, createTestClinic, type TestClinic } from './helpers/clinic'
import { captureQueue } from './helpers/queue'
import { db } from './textback-delivery.fixtures'

const T0 = Date.UTC(2026, 10, 23, 10, 0) // a Monday, 10:00 in London

/** The alert emails the clinic's outbox holds, opened. */
async function alertEmails(clinic: TestClinic) {
  const rows = await db
    .select()
    .from(outboundMessages)
    .where(and(eq(outboundMessages.clinicId, clinic.clinicId), eq(outboundMessages.kind, 'email')))
  const keyring = await clinicKeyring(db, getConfig(env), clinic.clinicId)
  return Promise.all(
    rows.map(async (r) => ({ to: r.toMasked, body: await keyring.open(r.bodySealed) })),
  )
}

describe('staff alerts', () => {
  it('gathers thirty alerts into one email per chosen member, and a later window into a second', async () => {
    const clinic = await createTestClinic()
    await clinic.as('owner')
    await clinic.as('admin')
    await clinic.as('receptionist') // off by default
    const queue = captureQueue()
    for (let i = 0; i < 30; i++) {
      await raiseStaffAlert(queue.env, {
        clinicId: clinic.clinicId,
        kind: i % 2 ? 'needs-human' : 'missed-call',
        ref: `ref_${i}`,
        at: T0 + i,
      })
    }
    // Raising one again while it is pending changes nothing.
    await raiseStaffAlert(queue.env, {
      clinicId: clinic.clinicId,
      kind: 'needs-human',
      ref: 'ref_1',
      at: T0 + 99,
    })
    expect(queue.pending.filter((j) => j.type === 'staff-alert-digest')).toHaveLength(30)
    // Every digest job runs (duplicates included): the first sends, the rest find nothing.
    await queue.drain()
    let emails = await alertEmails(clinic)
    expect(emails).toHaveLength(2)
    expect(emails[0]!.body).toContain('15 conversations need a person')
    expect(emails[0]!.body).toContain('15 missed calls to call back')
    expect(emails[0]!.body.match(/https:\/\/ringback\.test\/(inbox|calls)\/ref_/g)).toHaveLength(30)
    // A redelivered digest sends nothing twice.
    queue.pending.push({ type: 'staff-alert-digest', clinicId: clinic.clinicId })
    await queue.drain()
    expect(await alertEmails(clinic)).toHaveLength(2)
    // The same conversation needing a person again, later: a new email.
    await raiseStaffAlert(queue.env, {
      clinicId: clinic.clinicId,
      kind: 'needs-human',
      ref: 'ref_1',
      at: T0 + 600_000,
    })
    await queue.drain()
    emails = await alertEmails(clinic)
    expect(emails).toHaveLength(4)
    expect(emails.some((e) => e.body.includes('1 conversation needs a person:'))).toBe(true)
  })

  it('emails whoever chose to get alerts, through the team API', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const receptionist = await clinic.as('receptionist')
    const on = await api(
      'PATCH',
      `/api/v1/users/${receptionist.userId}`,
      { alerts: true },
      owner.headers,
    )
    expect(on.status).toBe(200)
    expect(await on.json()).toMatchObject({ alerts: true, role: 'receptionist' })
    const off = await api(
      'PATCH',
      `/api/v1/users/${owner.userId}`,
      { alerts: false },
      owner.headers,
    )
    expect(await off.json()).toMatchObject({ alerts: false })
    expect((await api('PATCH', `/api/v1/users/${owner.userId}`, {}, owner.headers)).status).toBe(
      400,
    )
    const queue = captureQueue()
    await raiseStaffAlert(queue.env, {
      clinicId: clinic.clinicId,
      kind: 'needs-human',
      ref: 'c1',
      at: T0,
    })
    await queue.drain()
    const emails = await alertEmails(clinic)
    expect(emails).toHaveLength(1)
    const [row] = await db.select().from(users).where(eq(users.id, receptionist.userId))
    expect(row!.alertsEmail).toBe(true)
  })

  it('tells staff of a missed call only in opening hours, and never of a withheld one', async () => {
    const hours = JSON.stringify({ mon: [['09:00', '17:30']] })
    const clinic = { id: 'cln_x', openingHours: hours, timezone: 'Europe/London' }
    const created = await createTestClinic({ openingHours: hours })
    const queue = captureQueue()
    const at = (h: number) => Date.UTC(2026, 10, 23, h, 0)
    const ids = { ...clinic, id: created.clinicId }
    expect(
      await alertMissedCall(queue.env, ids, {
        id: 'call_open',
        callerHash: 'h1',
        startedAt: at(10),
      }),
    ).toBe(true)
    expect(
      await alertMissedCall(queue.env, ids, {
        id: 'call_late',
        callerHash: 'h2',
        startedAt: at(19),
      }),
    ).toBe(false)
    expect(
      await alertMissedCall(queue.env, ids, {
        id: 'call_anon',
        callerHash: null,
        startedAt: at(10),
      }),
    ).toBe(false)
    const stored = await db
      .select()
      .from(staffAlerts)
      .where(eq(staffAlerts.clinicId, created.clinicId))
    expect(stored.map((a) => a.ref)).toEqual(['call_open'])
    // Ids only: nothing in the row could identify a patient.
    expect(Object.keys(stored[0]!).sort()).toEqual([
      'clinicId',
      'createdAt',
      'id',
      'kind',
      'ref',
      'sentAt',
    ])
  })
})
