/**
 * Reminders, follow-ups and automations (CONTRACT "Reminders, follow-ups and automations") in
 * workerd with real D1 and the clinic's Durable Object: the clock is moved through days (and a
 * daylight-saving change) by handing each due item its `now`; Twilio is a local fake.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { deliverScheduled } from '../src/automations/deliver'
import { emitTrigger, runAutomation } from '../src/automations/engine'
import { noReplyCheckRow, schedule } from '../src/automations/scheduled'
import {
  automationRuns,
  automations,
  calls,
  clinics,
  conversations,
  inboundMessages,
  optOuts,
  outboundMessages,
  scheduledMessages,
  staffAlerts,
} from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { clinicKeyring, contactHash } from '../src/privacy/crypto'
import { api, createTestClinic, type TestClinic } from './helpers/clinic'
import { patientWrites } from './helpers/conversations'
import { newForm, submit } from './helpers/leads'
import { db, fakeTwilio, liveConfig } from './textback-delivery.fixtures'

const PATIENT = '+447700900555'
const DAY = 86_400_000
const HOUR = 3_600_000

async function reminderClinic(over: Partial<typeof clinics.$inferInsert> = {}) {
  const clinic = await createTestClinic({ remindersEnabled: true, ...over })
  return { clinic, owner: await clinic.as('owner') }
}

/** Books through the API; returns the appointment id. */
async function book(clinic: TestClinic, scheduledFor: number, phone = PATIENT) {
  const staff = await clinic.as('receptionist')
  const res = await api(
    'POST',
    '/api/v1/appointments',
    {
      phone,
      createdAt: new Date().toISOString(),
      scheduledFor: new Date(scheduledFor).toISOString(),
    },
    staff.headers,
  )
  expect(res.status).toBe(201)
  return ((await res.json()) as { id: string }).id
}

function rows(clinicId: string) {
  return db
    .select()
    .from(scheduledMessages)
    .where(eq(scheduledMessages.clinicId, clinicId))
    .orderBy(scheduledMessages.dueAt)
}

/** Runs one scheduled item at `now` against a fake Twilio. */
function deliverAt(clinicId: string, id: string, now: number, twilio = fakeTwilio()) {
  return deliverScheduled(
    { db, config: liveConfig(), env, fetch: twilio.fetch, now: () => now },
    clinicId,
    id,
  )
}

/** A future Tuesday 10:00 UTC, a few weeks ahead (outside any quiet hours in London). */
function futureDay(daysAhead = 20) {
  const d = new Date(Date.now() + daysAhead * DAY)
  d.setUTCHours(10, 0, 0, 0)
  return d.getTime()
}

describe('clinic settings for reminders, follow-ups and quiet hours', () => {
  it('reads the defaults, takes a patch, and refuses bad values naming the field', async () => {
    const { owner } = await reminderClinic({ remindersEnabled: false })
    const got = (await (await api('GET', '/api/v1/clinic', undefined, owner.headers)).json()) as {
      reminders: { enabled: boolean; offsetsMinutes: number[] }
      followUps: { noReplyHours: number }
      quietHours: { start: string; end: string }
    }
    expect(got.reminders).toMatchObject({ enabled: false, offsetsMinutes: [10080, 2880, 120] })
    expect(got.followUps.noReplyHours).toBe(4)
    expect(got.quietHours).toEqual({ start: '20:00', end: '08:00' })
    const patched = await api(
      'PATCH',
      '/api/v1/clinic',
      {
        reminders: { enabled: true, offsetsMinutes: [60, 1440] },
        followUps: { noReplyHours: 0 },
        quietHours: { start: '21:30', end: '07:00' },
      },
      owner.headers,
    )
    expect(patched.status).toBe(200)
    expect(await patched.json()).toMatchObject({
      reminders: { enabled: true, offsetsMinutes: [1440, 60] },
      followUps: { noReplyHours: 0 },
      quietHours: { start: '21:30', end: '07:00' },
    })
    for (const [body, path] of [
      [{ reminders: { offsetsMinutes: [5] } }, 'reminders.offsetsMinutes.0'],
      [{ reminders: { template: 'See you soon at {clinic}' } }, 'reminders.template'],
      [{ quietHours: { start: '25:00', end: '07:00' } }, 'quietHours.start'],
      [{ followUps: { noReplyHours: -1 } }, 'followUps.noReplyHours'],
    ] as const) {
      const res = await api('PATCH', '/api/v1/clinic', body, owner.headers)
      expect(res.status).toBe(400)
      const problem = (await res.json()) as { errors: { path: string }[] }
      expect(problem.errors.map((e) => e.path)).toContain(path)
    }
  })
})

describe('reminders', () => {
  it('are scheduled at the offsets, sent once each at their time with the local time, and not after a cancellation', async () => {
    const { clinic } = await reminderClinic()
    const at = futureDay()
    const appointmentId = await book(clinic, at)
    const scheduled = await rows(clinic.clinicId)
    expect(scheduled.map((r) => [r.kind, r.dueAt, r.status])).toEqual([
      ['reminder', at - 7 * DAY, 'pending'],
      ['reminder', at - 2 * DAY, 'pending'],
      ['reminder', at - 2 * HOUR, 'pending'],
    ])
    expect(scheduled[0]!.toSealed).not.toContain('7700')
    expect(await env.CLINIC.getByName(clinic.clinicId).pendingWakes()).toBeGreaterThanOrEqual(3)

    // A week before: the first goes, once, with the time in the clinic's zone.
    const twilio = fakeTwilio()
    expect(await deliverAt(clinic.clinicId, scheduled[0]!.id, at - 7 * DAY, twilio)).toBe('sent')
    expect(await deliverAt(clinic.clinicId, scheduled[0]!.id, at - 7 * DAY + 1000, twilio)).toBe(
      'already-done',
    )
    expect(twilio.requests).toHaveLength(1)
    const sent = twilio.requests[0]!.form
    expect(sent.get('To')).toBe(PATIENT)
    expect(sent.get('From')).toBe(clinic.trackingNumber)
    expect(sent.get('Body')).toContain('Reminder from Test Clinic')
    expect(sent.get('Body')).toMatch(/\d{2}:\d{2}/)
    // Woken early (a moved time): it waits for its own.
    expect(await deliverAt(clinic.clinicId, scheduled[1]!.id, at - 3 * DAY)).toBe('waiting')

    // Cancelled: what is left is cancelled and never sent.
    const staff = await clinic.as('receptionist')
    const cancel = await api(
      'PATCH',
      `/api/v1/appointments/${appointmentId}`,
      { cancelled: true },
      staff.headers,
    )
    expect(cancel.status).toBe(200)
    expect(((await cancel.json()) as { cancelledAt: string | null }).cancelledAt).not.toBe(null)
    const after = await rows(clinic.clinicId)
    expect(after.map((r) => r.status)).toEqual(['sent', 'cancelled', 'cancelled'])
    const late = fakeTwilio()
    expect(await deliverAt(clinic.clinicId, scheduled[1]!.id, at - 2 * DAY, late)).toBe(
      'already-done',
    )
    expect(late.requests).toHaveLength(0)
    const moveCancelled = await api(
      'PATCH',
      `/api/v1/appointments/${appointmentId}`,
      { scheduledFor: new Date(at + DAY).toISOString() },
      staff.headers,
    )
    expect(moveCancelled.status).toBe(409)
  })

  it('move with their appointment: the old ones are cancelled, new ones go at the new time', async () => {
    const { clinic } = await reminderClinic()
    const at = futureDay()
    const id = await book(clinic, at)
    const staff = await clinic.as('receptionist')
    const moved = at + 3 * DAY
    const res = await api(
      'PATCH',
      `/api/v1/appointments/${id}`,
      { scheduledFor: new Date(moved).toISOString() },
      staff.headers,
    )
    expect(res.status).toBe(200)
    const all = await rows(clinic.clinicId)
    expect(all.filter((r) => r.status === 'cancelled').map((r) => r.reason)).toEqual([
      'moved',
      'moved',
      'moved',
    ])
    const pending = all.filter((r) => r.status === 'pending')
    expect(pending.map((r) => r.dueAt)).toEqual([
      moved - 7 * DAY,
      moved - 2 * DAY,
      moved - 2 * HOUR,
    ])
    // The old time's reminder, woken anyway, sends nothing.
    const twilio = fakeTwilio()
    const old = all.find((r) => r.status === 'cancelled')!
    expect(await deliverAt(clinic.clinicId, old.id, old.dueAt, twilio)).toBe('already-done')
    expect(await deliverAt(clinic.clinicId, pending[0]!.id, pending[0]!.dueAt, twilio)).toBe('sent')
    expect(twilio.requests).toHaveLength(1)
    // Bad input changes nothing.
    const bad = await api('PATCH', `/api/v1/appointments/${id}`, {}, staff.headers)
    expect(bad.status).toBe(400)
    const missing = await api(
      'PATCH',
      '/api/v1/appointments/apt_nope',
      { cancelled: true },
      staff.headers,
    )
    expect(missing.status).toBe(404)
  })

  it('wait for the end of quiet hours, in local time on either side of the clocks going back', async () => {
    const { clinic } = await reminderClinic()
    // An appointment at 09:00 on Monday 26 Oct 2027 would be past; use the 2027 change (31 Oct).
    const appointment = Date.UTC(2027, 10, 1, 10, 0) // Mon 1 Nov 2027, 10:00 GMT
    const id = await book(clinic, appointment)
    const [first] = await rows(clinic.clinicId)
    expect(first!.dueAt).toBe(appointment - 7 * DAY) // Mon 25 Oct 2027 10:00 UTC = 11:00 BST
    // Found at 06:00 UTC on Sunday 31 Oct (after the change: 06:00 GMT, quiet) → 08:00 GMT.
    const sunday = Date.UTC(2027, 9, 31, 6, 0)
    expect(await deliverAt(clinic.clinicId, first!.id, sunday)).toBe('waiting')
    const byId = async () => (await rows(clinic.clinicId)).find((r) => r.id === first!.id)
    const waited = await byId()
    expect(waited).toMatchObject({ dueAt: Date.UTC(2027, 9, 31, 8, 0), reason: 'quiet-hours' })
    // The same at 05:30 UTC the day before (06:30 BST) → 08:00 BST = 07:00 UTC.
    await db.update(scheduledMessages).set({ dueAt: 0 }).where(eq(scheduledMessages.id, first!.id))
    expect(await deliverAt(clinic.clinicId, first!.id, Date.UTC(2027, 9, 30, 5, 30))).toBe(
      'waiting',
    )
    const again = await byId()
    expect(again!.dueAt).toBe(Date.UTC(2027, 9, 30, 7, 0))
    // At the quiet end it goes.
    expect(await deliverAt(clinic.clinicId, first!.id, Date.UTC(2027, 9, 30, 7, 0))).toBe('sent')
    expect(id).toMatch(/^apt_/)
  })

  it('go by WhatsApp to a contact who opted in to it', async () => {
    const { clinic } = await reminderClinic()
    const at = futureDay()
    await book(clinic, at)
    const [first] = await rows(clinic.clinicId)
    const job = await patientWrites(clinic, 'START', first!.dueAt - HOUR, {
      channel: 'whatsapp',
      from: PATIENT,
    })
    await db
      .update(conversations)
      .set({ whatsappOptInAt: first!.dueAt - HOUR })
      .where(eq(conversations.id, job.conversationId))
    const twilio = fakeTwilio()
    expect(await deliverAt(clinic.clinicId, first!.id, first!.dueAt, twilio)).toBe('sent')
    expect(twilio.requests[0]!.form.get('To')).toBe(`whatsapp:${PATIENT}`)
    expect(twilio.requests[0]!.form.get('From')).toBe(`whatsapp:${clinic.trackingNumber}`)
  })

  it('never go to a contact who sent STOP, and need reminders on', async () => {
    const { clinic } = await reminderClinic()
    const at = futureDay()
    await book(clinic, at)
    const hash = await contactHash(getConfig(env), clinic.clinicId, PATIENT)
    await db.insert(optOuts).values({
      clinicId: clinic.clinicId,
      contactHash: hash,
      optedOut: true,
      keyword: 'STOP',
      updatedAt: Date.now(),
    })
    const [first, second] = await rows(clinic.clinicId)
    const twilio = fakeTwilio()
    expect(await deliverAt(clinic.clinicId, first!.id, first!.dueAt, twilio)).toBe('skipped')
    expect((await rows(clinic.clinicId))[0]).toMatchObject({
      status: 'skipped',
      reason: 'opted-out',
    })
    await db.delete(optOuts).where(eq(optOuts.contactHash, hash))
    await db.update(clinics).set({ remindersEnabled: false }).where(eq(clinics.id, clinic.clinicId))
    expect(await deliverAt(clinic.clinicId, second!.id, second!.dueAt, twilio)).toBe('skipped')
    expect(twilio.requests).toHaveLength(0)
    // Reminders off: a new booking schedules none.
    const other = await reminderClinic({ remindersEnabled: false })
    await book(other.clinic, at)
    expect(await rows(other.clinic.clinicId)).toEqual([])
  })
})

/** A text-back that went out at `sentAt`: its no-reply check, scheduled as the send does. */
async function textedBack(
  clinic: TestClinic,
  sentAt: number,
  over: Partial<typeof clinics.$inferSelect> = {},
) {
  const keyring = await clinicKeyring(db, getConfig(env), clinic.clinicId)
  const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
  const check = noReplyCheckRow(
    { ...row!, ...over },
    {
      callId: newId('cal'),
      recipientHash: await contactHash(getConfig(env), clinic.clinicId, PATIENT),
      toSealed: await keyring.seal(PATIENT),
      sentAt,
    },
  )
  await schedule(env, db, [check])
  return check
}

describe('follow-ups', () => {
  it('a text-back with no reply gets one gentle follow-up after the no-reply hours; a reply cancels it', async () => {
    const clinic = await createTestClinic()
    const sentAt = futureDay() - 4 * HOUR
    const check = await textedBack(clinic, sentAt)
    expect(check.dueAt).toBe(sentAt + 4 * HOUR)
    const twilio = fakeTwilio()
    expect(await deliverAt(clinic.clinicId, check.id, check.dueAt, twilio)).toBe('sent')
    expect(twilio.requests[0]!.form.get('Body')).toContain('sorry we missed you')
    const [out] = await db
      .select()
      .from(outboundMessages)
      .where(
        and(eq(outboundMessages.clinicId, clinic.clinicId), eq(outboundMessages.kind, 'follow-up')),
      )
    expect(out?.status).toBe('sent')

    // Another caller replied before the check: nothing is sent.
    const second = await textedBack(clinic, sentAt + DAY)
    await db.insert(inboundMessages).values({
      id: newId('inb'),
      clinicId: clinic.clinicId,
      messageSid: `SM${crypto.randomUUID().replace(/-/g, '')}`,
      channel: 'sms',
      senderHash: second.recipientHash,
      receivedAt: sentAt + DAY + HOUR,
    })
    expect(await deliverAt(clinic.clinicId, second.id, second.dueAt)).toBe('answered')
  })

  it('stop at the clinic’s weekly cap per contact', async () => {
    const clinic = await createTestClinic({ followUpWeeklyCap: 1 })
    const t = futureDay()
    const first = await textedBack(clinic, t)
    const twilio = fakeTwilio()
    expect(await deliverAt(clinic.clinicId, first.id, first.dueAt, twilio)).toBe('sent')
    const second = await textedBack(clinic, t + DAY)
    expect(await deliverAt(clinic.clinicId, second.id, second.dueAt, twilio)).toBe('skipped')
    const [, capped] = await rows(clinic.clinicId)
    expect(capped?.reason).toBe('weekly-cap')
    expect(twilio.requests).toHaveLength(1)
  })

  it('an enquiry that did not book gets one marketing follow-up only with marketing consent, with an opt-out line', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const person = (email: string, marketing: boolean) => ({
      name: 'Sam Lee',
      email,
      phone: `07700 9001${String(Math.floor(Math.random() * 90) + 10)}`,
      message: 'Do you do veneers?',
      consent: { marketing, ads: false },
    })
    expect((await submit(form.id, person('no.marketing@example.com', false))).status).toBe(201)
    expect(await rows(clinic.clinicId)).toEqual([])
    expect((await submit(form.id, person('yes.marketing@example.com', true))).status).toBe(201)
    const [followUp] = await rows(clinic.clinicId)
    expect(followUp).toMatchObject({ kind: 'enquiry-follow-up', purpose: 'marketing' })
    const twilio = fakeTwilio()
    // 48 hours later, in the afternoon (London): sent, with the opt-out line.
    const when = followUp!.dueAt
    const sendAt = new Date(when)
    sendAt.setUTCHours(14, 0, 0, 0)
    expect(
      await deliverAt(clinic.clinicId, followUp!.id, Math.max(when, sendAt.getTime()), twilio),
    ).toBe('sent')
    expect(twilio.requests[0]!.form.get('Body')).toMatch(/Reply STOP to opt out\.$/)
  })
})

describe('automations', () => {
  it('the API: create (with its sentence), refuse bad input by field, list, change, runs, delete; managers only', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const created = await api(
      'POST',
      '/api/v1/automations',
      {
        name: 'Missed calls at lunch',
        trigger: 'missed-call',
        delayMinutes: 5,
        conditions: [{ type: 'opening-hours', open: true }],
        actions: [{ type: 'notify-staff' }],
      },
      owner.headers,
    )
    expect(created.status).toBe(201)
    const a = (await created.json()) as { id: string; description: string; enabled: boolean }
    expect(a.description).toBe(
      'When a missed call comes in during opening hours, wait 5 minutes, then notify reception.',
    )
    expect(a.enabled).toBe(true)
    const bad = await api(
      'POST',
      '/api/v1/automations',
      { name: 'x', trigger: 'sometimes', actions: [{ type: 'dance' }] },
      owner.headers,
    )
    expect(bad.status).toBe(400)
    const paths = ((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)
    expect(paths).toEqual(expect.arrayContaining(['trigger', 'actions.0.type']))
    const stranger = await api(
      'POST',
      '/api/v1/automations',
      { name: 'x', trigger: 'lead-created', actions: [{ type: 'assign', userId: 'usr_nobody' }] },
      owner.headers,
    )
    expect(stranger.status).toBe(400)
    const patched = await api(
      'PATCH',
      `/api/v1/automations/${a.id}`,
      { enabled: false },
      owner.headers,
    )
    expect(((await patched.json()) as { enabled: boolean }).enabled).toBe(false)
    const list = (await (
      await api('GET', '/api/v1/automations', undefined, owner.headers)
    ).json()) as {
      items: { id: string }[]
    }
    expect(list.items.map((x) => x.id)).toContain(a.id)
    const runs = await api('GET', `/api/v1/automations/${a.id}/runs`, undefined, owner.headers)
    expect(await runs.json()).toEqual({ items: [], nextCursor: null })
    const receptionist = await clinic.as('receptionist')
    expect((await api('GET', '/api/v1/automations', undefined, receptionist.headers)).status).toBe(
      403,
    )
    expect(
      (await api('DELETE', `/api/v1/automations/${a.id}`, undefined, owner.headers)).status,
    ).toBe(204)
    expect(
      (await api('DELETE', `/api/v1/automations/${a.id}`, undefined, owner.headers)).status,
    ).toBe(404)
  })

  it('run once per trigger event after their delay, check conditions, and log what they did', async () => {
    const clinic = await createTestClinic({
      openingHours: JSON.stringify({
        mon: [['00:00', '23:59']],
        tue: [['00:00', '23:59']],
        wed: [['00:00', '23:59']],
        thu: [['00:00', '23:59']],
        fri: [['00:00', '23:59']],
        sat: [['00:00', '23:59']],
        sun: [['00:00', '23:59']],
      }),
    })
    const owner = await clinic.as('owner')
    const make = async (body: object) =>
      (
        (await (await api('POST', '/api/v1/automations', body, owner.headers)).json()) as {
          id: string
        }
      ).id
    const open = await make({
      name: 'In hours',
      trigger: 'missed-call',
      delayMinutes: 5,
      conditions: [{ type: 'opening-hours', open: true }],
      actions: [{ type: 'notify-staff' }],
    })
    const closed = await make({
      name: 'Out of hours',
      trigger: 'missed-call',
      delayMinutes: 5,
      conditions: [{ type: 'opening-hours', open: false }],
      actions: [{ type: 'notify-staff' }],
    })
    const at = futureDay()
    const event = {
      clinicId: clinic.clinicId,
      trigger: 'missed-call' as const,
      key: 'cal_test_1',
      at,
      contactHash: 'a'.repeat(64),
      subject: { callId: 'cal_test_1', channel: 'call' as const },
    }
    expect(await emitTrigger(env, db, event)).toBe(2)
    expect(await emitTrigger(env, db, event)).toBe(0)
    const runs = await db
      .select()
      .from(automationRuns)
      .where(eq(automationRuns.clinicId, clinic.clinicId))
    expect(runs.map((r) => r.dueAt)).toEqual([at + 5 * 60_000, at + 5 * 60_000])
    const deps = (now: number) => ({ env, db, config: getConfig(env), now: () => now })
    for (const r of runs) {
      expect(await runAutomation(deps(at + 60_000), clinic.clinicId, r.id)).toBe('waiting')
    }
    const outcomes = new Map<string, string>()
    for (const r of runs) {
      outcomes.set(
        r.automationId,
        await runAutomation(deps(at + 5 * 60_000), clinic.clinicId, r.id),
      )
      expect(await runAutomation(deps(at + 6 * 60_000), clinic.clinicId, r.id)).toBe('already-done')
    }
    expect(outcomes.get(open)).toBe('done')
    expect(outcomes.get(closed)).toBe('skipped')
    const logged = (await (
      await api('GET', `/api/v1/automations/${closed}/runs`, undefined, owner.headers)
    ).json()) as { items: { status: string; outcome: { reason: string } }[] }
    expect(logged.items[0]).toMatchObject({
      status: 'skipped',
      outcome: { reason: 'condition:opening-hours' },
    })
    const alerts = await db
      .select()
      .from(staffAlerts)
      .where(eq(staffAlerts.clinicId, clinic.clinicId))
    expect(alerts.map((x) => [x.kind, x.ref])).toEqual([['automation', 'calls/cal_test_1']])
  })

  it('decide “first-time caller” from the calls before the event, when the run is checked', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const made = await api(
      'POST',
      '/api/v1/automations',
      {
        name: 'New callers',
        trigger: 'missed-call',
        delayMinutes: 1,
        conditions: [{ type: 'first-time-caller', value: true }],
        actions: [{ type: 'notify-staff' }],
      },
      owner.headers,
    )
    expect(made.status).toBe(201)
    const at = futureDay()
    const hash = (c: string) => c.repeat(64)
    const call = (id: string, callerHash: string, startedAt: number) =>
      db.insert(calls).values({
        id,
        clinicId: clinic.clinicId,
        callSid: `CA${crypto.randomUUID().replace(/-/g, '')}`,
        direction: 'inbound',
        callerKind: 'mobile',
        callerHash,
        startedAt,
        status: 'missed',
      })
    // The regular has called before; the newcomer has not.
    await call(newId('cal'), hash('b'), at - DAY)
    const outcomes: string[] = []
    for (const [callId, caller] of [
      [newId('cal'), hash('b')],
      [newId('cal'), hash('c')],
    ] as const) {
      await call(callId, caller, at)
      await emitTrigger(env, db, {
        clinicId: clinic.clinicId,
        trigger: 'missed-call',
        key: callId,
        at,
        contactHash: caller,
        subject: { callId, channel: 'call' },
      })
      const [run] = await db
        .select()
        .from(automationRuns)
        .where(eq(automationRuns.eventKey, `missed-call:${callId}`))
      const deps = { env, db, config: getConfig(env), now: () => at + 60_000 }
      outcomes.push(await runAutomation(deps, clinic.clinicId, run!.id))
    }
    expect(outcomes).toEqual(['skipped', 'done'])
  })

  it('a new clinic starts with the defaults, the first in the words the issue uses', async () => {
    const res = await api('POST', '/api/v1/auth/signup', {
      clinicName: 'Fresh Smiles',
      email: `fresh.${crypto.randomUUID().slice(0, 8)}@clinic.test`,
      password: 'a-long-enough-password',
    })
    expect([200, 201]).toContain(res.status)
    const cookie = res.headers.get('set-cookie')?.split(';')[0] ?? ''
    const list = (await (
      await api('GET', '/api/v1/automations', undefined, {
        cookie,
        origin: new URL(res.url).origin,
      })
    ).json()) as { items: { description: string; enabled: boolean }[] }
    expect(list.items.map((a) => a.description)).toContain(
      'When a missed call comes in during opening hours, wait 5 minutes, then notify reception.',
    )
  })

  it('at most one run and one message per trigger event, under any order and repetition of events', async () => {
    const clinic = await createTestClinic()
    await db.insert(automations).values({
      id: newId('aut'),
      clinicId: clinic.clinicId,
      name: 'Text back later',
      trigger: 'lead-created',
      delayMinutes: 10,
      conditions: '[]',
      actions: JSON.stringify([{ type: 'notify-staff' }]),
    })
    const at = futureDay()
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('l1', 'l2', 'l3', 'l4'), { minLength: 1, maxLength: 12 }),
        async (keys) => {
          const prefix = crypto.randomUUID().slice(0, 6)
          for (const k of keys) {
            await emitTrigger(env, db, {
              clinicId: clinic.clinicId,
              trigger: 'lead-created',
              key: `${prefix}-${k}`,
              at,
              contactHash: null,
              subject: { leadId: `${prefix}-${k}` },
            })
          }
          const made = await db
            .select({ key: automationRuns.eventKey })
            .from(automationRuns)
            .where(eq(automationRuns.clinicId, clinic.clinicId))
          const mine = made.filter((m) => m.key.includes(prefix)).map((m) => m.key)
          expect(mine.sort()).toEqual(
            [...new Set(keys)].map((k) => `lead-created:${prefix}-${k}`).sort(),
          )
        },
      ),
      { numRuns: 15 },
    )
  })
})
