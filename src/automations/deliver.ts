/**
 * Sending one automated message when it falls due (a `scheduled-due` job): the kind's own check
 * (a reminder's appointment still stands at that time; a text-back still unanswered; an enquiry
 * still unbooked), then the rules of src/automations/rules.ts — STOP, restriction and objection,
 * marketing consent, the weekly cap, quiet hours (it waits: the row moves to the quiet end and
 * the object wakes it again) — then the one outbox send (claim → send → record), exactly once:
 * the outbox row is deduplicated on the scheduled row and the send is claimed.
 */
import { and, count, eq, gt, inArray, sql } from 'drizzle-orm'
import { billingPaused } from '../billing/billing.service'
import type { ClinicRow } from '../clinic/find'
import { findClinic } from '../clinic/find'
import { formatLocal } from '../dashboard/format'
import type { Db } from '../db/client'
import { findClinicRow, firstOwned, ownedBy } from '../db/clinic-row'
import {
  appointments,
  calls,
  inboundMessages,
  leads,
  outboundMessages,
  scheduledMessages,
  trackingNumbers,
} from '../db/schema'
import type { Bindings, Config } from '../env'
import type { ConsentRecord } from '../leads/consent'
import { newId } from '../lib/ids'
import { smsLength } from '../lib/sms'
import { claimSend, outboxRow, sendClaimed } from '../outbox/send'
import { maskPhone } from '../phone/phone'
import { clinicKeyring } from '../privacy/crypto'
import { contactBlock } from '../privacy/subjects'
import { whatsappRoute } from '../textback/deliver'
import {
  type AutomatedMessage,
  decideAutomatedSend,
  purposeOf,
  WEEK_MS,
  withOptOutLine,
} from './rules'
import {
  DEFAULT_FOLLOW_UP_TEMPLATE,
  DEFAULT_REMINDER_TEMPLATE,
  ENQUIRY_FOLLOW_UP_TEMPLATE,
  parseReminderKey,
  type ScheduledRow,
  wake,
} from './scheduled'

export type DeliverDeps = {
  db: Db
  config: Config
  env: Bindings
  fetch?: typeof fetch
  now: () => number
}

export type DeliverOutcome =
  | 'sent'
  | 'sandboxed'
  | 'waiting'
  | 'skipped'
  | 'cancelled'
  | 'already-done'
  | 'gone'
  /** A no-reply check that found a reply (or a booking): nothing to send. */
  | 'answered'

/** The automated kinds that count towards the weekly follow-up cap. */
const FOLLOW_UP_KINDS = ['no-reply-check', 'enquiry-follow-up', 'automation'] as const

const byId = (row: Pick<ScheduledRow, 'clinicId' | 'id'>) =>
  ownedBy(scheduledMessages, row.clinicId, eq(scheduledMessages.id, row.id))

async function settle(
  db: Db,
  row: ScheduledRow,
  status: ScheduledRow['status'],
  reason: string,
  now: number,
) {
  await db
    .update(scheduledMessages)
    .set({ status, reason, updatedAt: now })
    .where(and(byId(row), eq(scheduledMessages.status, 'pending')))
}

/** The message each kind is, for the rules. */
function messageOf(row: ScheduledRow): AutomatedMessage {
  switch (row.kind) {
    case 'reminder':
      return { kind: 'reminder' }
    case 'no-reply-check':
      return { kind: 'no-reply-follow-up' }
    case 'enquiry-follow-up':
      return { kind: 'enquiry-follow-up' }
    case 'automation':
      return { kind: 'automation', declared: row.purpose }
  }
}

/**
 * Runs one scheduled message. `onNoReply` is told when a text-back's check finds no reply (the
 * `no-reply` automations' trigger), before any follow-up is decided.
 */
export async function deliverScheduled(
  deps: DeliverDeps,
  clinicId: string,
  id: string,
  onNoReply: (row: ScheduledRow, clinic: ClinicRow) => Promise<void> = async () => undefined,
): Promise<DeliverOutcome> {
  const { db, config, env } = deps
  const now = deps.now()
  const row = await findClinicRow(db, scheduledMessages, clinicId, id)
  if (!row) return 'gone'
  if (row.status === 'sending' && row.outboxId) return finishSend(deps, row)
  if (row.status !== 'pending') return 'already-done'
  // The object may wake a row early (a moved time): it waits for its own.
  if (row.dueAt > now) {
    await wake(env, clinicId, [row])
    return 'waiting'
  }
  const clinic = await findClinic(db, clinicId)
  if (!clinic) return 'gone'

  // 1. The kind's own check: is there still something to say?
  const still = await stillWanted(db, clinic, row, now)
  if (still === 'answered') {
    await settle(db, row, 'skipped', 'answered', now)
    return 'answered'
  }
  if (still !== 'ok') {
    await settle(db, row, still.status, still.reason, now)
    return still.status === 'cancelled' ? 'cancelled' : 'skipped'
  }
  if (row.kind === 'no-reply-check') {
    await onNoReply(row, clinic)
    if (clinic.followUpNoReplyHours === 0) {
      await settle(db, row, 'skipped', 'follow-ups-off', now)
      return 'skipped'
    }
  }

  // 2. The rules, as plain functions, before any send.
  const purpose = purposeOf(messageOf(row))
  const decision = decideAutomatedSend({
    purpose,
    block: await contactBlock(db, clinicId, row.recipientHash),
    paused: billingPaused(clinic, now),
    marketingConsent:
      purpose === 'marketing' ? await marketingConsent(db, clinicId, row.recipientHash) : false,
    followUpsThisWeek: row.kind === 'reminder' ? 0 : await followUpsThisWeek(db, row, now),
    weeklyCap: row.kind === 'reminder' ? null : clinic.followUpWeeklyCap,
    now,
    quiet: { start: clinic.quietStart, end: clinic.quietEnd },
    timezone: clinic.timezone,
  })
  if (decision.action === 'skip') {
    await settle(db, row, 'skipped', decision.reason, now)
    return 'skipped'
  }
  if (decision.action === 'wait') {
    await db
      .update(scheduledMessages)
      .set({ dueAt: decision.until, reason: 'quiet-hours', updatedAt: now })
      .where(and(byId(row), eq(scheduledMessages.status, 'pending')))
    await wake(env, clinicId, [{ id: row.id, dueAt: decision.until }])
    return 'waiting'
  }

  // 3. The words (decided now: a reminder says the appointment's current time) and the outbox row.
  const keyring = await clinicKeyring(db, config, clinicId)
  const body = withOptOutLine(await wordsOf(db, clinic, row, keyring), purpose)
  if (!row.toSealed) {
    await settle(db, row, 'failed', 'no-number', now)
    return 'skipped'
  }
  const outboxId = newId('out', now)
  const claimed = await db.batch([
    db
      .insert(outboundMessages)
      .values({
        id: outboxId,
        clinicId,
        dedupeKey: `scheduled:${row.id}`,
        kind:
          row.kind === 'reminder'
            ? 'reminder'
            : row.kind === 'automation'
              ? 'automation'
              : 'follow-up',
        channel: 'sms',
        recipientHash: row.recipientHash,
        toSealed: row.toSealed,
        toMasked: maskPhone(await keyring.open(row.toSealed)),
        bodySealed: await keyring.seal(body),
        segments: smsLength(body).segments,
        createdAt: now,
      })
      .onConflictDoNothing(),
    db
      .update(scheduledMessages)
      .set({ status: 'sending', outboxId, updatedAt: now })
      .where(and(byId(row), eq(scheduledMessages.status, 'pending')))
      .returning({ id: scheduledMessages.id }),
  ])
  if (claimed[1].length === 0) return 'already-done'
  return finishSend(deps, { ...row, status: 'sending', outboxId })
}

/** Sends (or finishes sending) the row's outbox message through the one send path. */
async function finishSend(deps: DeliverDeps, row: ScheduledRow): Promise<DeliverOutcome> {
  const { db, config } = deps
  const outbox = outboxRow(row.clinicId, row.outboxId!)
  const now = deps.now()
  const [message] = await db.select().from(outboundMessages).where(outbox).limit(1)
  if (!message) return 'gone'
  const record = (mode: 'sent' | 'sandboxed' | 'failed') =>
    db.update(scheduledMessages).set({ status: mode, updatedAt: deps.now() }).where(byId(row))
  if ((await claimSend(db, outbox, now)) === 'settled') {
    const status = ['sent', 'delivered'].includes(message.status)
      ? 'sent'
      : message.status === 'sandboxed'
        ? 'sandboxed'
        : 'failed'
    await record(status)
    return 'already-done'
  }
  const from = await senderFor(db, row.clinicId, row.recipientHash)
  const keyring = await clinicKeyring(db, config, row.clinicId)
  if (!from) {
    await record('failed')
    await db
      .update(outboundMessages)
      .set({ status: 'failed', lastError: 'no-sender-number', updatedAt: now })
      .where(outbox)
    return 'skipped'
  }
  const to = await keyring.open(message.toSealed ?? '')
  const body = await keyring.open(message.bodySealed)
  // WhatsApp for a contact who opted in to it (as text-backs do), else SMS.
  const whatsapp = await whatsappRoute(db, config, row.clinicId, row.recipientHash, body, now)
  const result = await sendClaimed(
    db,
    config,
    {
      row: outbox,
      outboxId: message.id,
      message: whatsapp
        ? { to: `whatsapp:${to}`, from: `whatsapp:${from}`, body, ...whatsapp }
        : { to, from, body },
    },
    { fetch: deps.fetch, now: deps.now, usage: { env: deps.env, clinicId: row.clinicId } },
    (mode) => [
      record(mode),
      ...(whatsapp
        ? [
            db
              .update(outboundMessages)
              .set({ channel: 'whatsapp' as const })
              .where(outbox),
          ]
        : []),
    ],
  )
  return result === 'sandboxed' ? 'sandboxed' : 'sent'
}

type StillWanted = 'ok' | 'answered' | { status: 'cancelled' | 'skipped'; reason: string }

async function stillWanted(
  db: Db,
  clinic: ClinicRow,
  row: ScheduledRow,
  now: number,
): Promise<StillWanted> {
  switch (row.kind) {
    case 'reminder': {
      const key = parseReminderKey(row.dedupeKey)
      const appt = await findClinicRow(db, appointments, clinic.id, row.ref)
      if (!appt || appt.cancelledAt) return { status: 'cancelled', reason: 'appointment-cancelled' }
      if (!key || appt.scheduledFor !== key.scheduledFor)
        return { status: 'cancelled', reason: 'moved' }
      if (!clinic.remindersEnabled) return { status: 'skipped', reason: 'reminders-off' }
      if (appt.scheduledFor <= now) return { status: 'skipped', reason: 'appointment-passed' }
      return 'ok'
    }
    case 'no-reply-check': {
      // Any message from them since the text-back, or a booking: they were answered.
      const since = row.createdAt
      const hash = row.recipientHash
      const replied = await firstOwned(db, inboundMessages, clinic.id, [
        eq(inboundMessages.senderHash, hash),
        gt(inboundMessages.receivedAt, since),
      ])
      const booked = await firstOwned(db, appointments, clinic.id, [
        eq(appointments.callerHash, hash),
        gt(appointments.createdAt, since),
      ])
      return replied || booked ? 'answered' : 'ok'
    }
    case 'enquiry-follow-up': {
      const lead = await findClinicRow(db, leads, clinic.id, row.ref)
      if (!lead) return { status: 'skipped', reason: 'lead-gone' }
      if (lead.status === 'booked' || lead.status === 'lost') {
        return { status: 'skipped', reason: `lead-${lead.status}` }
      }
      return 'ok'
    }
    case 'automation':
      return 'ok'
  }
}

/** Whether the person chose marketing messages on a form (their lead's latest consent). */
async function marketingConsent(db: Db, clinicId: string, contactHash: string): Promise<boolean> {
  const lead = await firstOwned(db, leads, clinicId, [eq(leads.phoneHash, contactHash)])
  try {
    return (JSON.parse(lead?.consent ?? 'null') as ConsentRecord | null)?.marketing?.given === true
  } catch {
    return false
  }
}

/** Automated follow-ups actually sent to this contact in the 7 days before `now`. */
async function followUpsThisWeek(db: Db, row: ScheduledRow, now: number): Promise<number> {
  const [n] = await db
    .select({ n: count() })
    .from(scheduledMessages)
    .where(
      ownedBy(
        scheduledMessages,
        row.clinicId,
        eq(scheduledMessages.recipientHash, row.recipientHash),
        inArray(scheduledMessages.kind, [...FOLLOW_UP_KINDS]),
        inArray(scheduledMessages.status, ['sent', 'sending']),
        gt(scheduledMessages.updatedAt, now - WEEK_MS),
      ),
    )
  return n?.n ?? 0
}

/** The number the person last called (replies come back to it), else the clinic's first. */
async function senderFor(db: Db, clinicId: string, contactHash: string): Promise<string | null> {
  const [called] = await db
    .select({ phoneNumber: trackingNumbers.phoneNumber })
    .from(calls)
    .innerJoin(trackingNumbers, eq(trackingNumbers.id, calls.trackingNumberId))
    .where(ownedBy(calls, clinicId, eq(calls.callerHash, contactHash)))
    .orderBy(sql`${calls.startedAt} DESC`)
    .limit(1)
  if (called) return called.phoneNumber
  const [first] = await db
    .select({ phoneNumber: trackingNumbers.phoneNumber })
    .from(trackingNumbers)
    .where(eq(trackingNumbers.clinicId, clinicId))
    .orderBy(trackingNumbers.createdAt)
    .limit(1)
  return first?.phoneNumber ?? null
}

/** The message's words, filled in now. */
async function wordsOf(
  db: Db,
  clinic: ClinicRow,
  row: ScheduledRow,
  keyring: { open(s: string): Promise<string> },
): Promise<string> {
  const fill = (template: string, extra: Record<string, string> = {}) =>
    Object.entries({ clinic: clinic.name, ...extra }).reduce(
      (text, [k, v]) => text.replaceAll(`{${k}}`, v),
      template,
    )
  switch (row.kind) {
    case 'reminder': {
      const appt = await findClinicRow(db, appointments, clinic.id, row.ref)
      return fill(clinic.reminderTemplate ?? DEFAULT_REMINDER_TEMPLATE, {
        time: formatLocal(appt?.scheduledFor ?? null, clinic.timezone),
        place: clinic.address ? ` We're at ${clinic.address}.` : '',
      })
    }
    case 'no-reply-check':
      return fill(clinic.followUpTemplate ?? DEFAULT_FOLLOW_UP_TEMPLATE)
    case 'enquiry-follow-up':
      return fill(ENQUIRY_FOLLOW_UP_TEMPLATE)
    case 'automation':
      return fill(row.bodySealed ? await keyring.open(row.bodySealed) : '')
  }
}
