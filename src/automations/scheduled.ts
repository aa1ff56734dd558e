/**
 * Scheduling automated messages (docs/AUTOMATIONS.md): appointment reminders at the clinic's
 * offsets, the check after a text-back that got no reply, the follow-up of an enquiry that did
 * not book, and automations' messages. Each is one `scheduled_messages` row (deduplicated per
 * intent: scheduling twice changes nothing) registered with the clinic's Durable Object, whose
 * alarm wakes it (src/automations/wake-book.ts). A moved appointment cancels its reminders and
 * schedules new ones; a cancelled one cancels them. What a message says is decided when it goes.
 */
import { and, desc, eq, inArray, lt, ne } from 'drizzle-orm'
import type { ClinicRow } from '../clinic/find'
import type { Db } from '../db/client'
import { firstOwned, ownedBy, ownedRows } from '../db/clinic-row'
import { conversations, leads, scheduledMessages } from '../db/schema'
import type { Bindings } from '../env'
import { withDurableRetry } from '../lib/durable'
import { newId } from '../lib/ids'
import { logError } from '../lib/logger'
import { HOUR_MS, MINUTE_MS } from '../lib/time'
import type { ClinicKeyring } from '../privacy/crypto'

/** CONTRACT: a week, two days and two hours before. */
export const DEFAULT_REMINDER_OFFSETS = [10080, 2880, 120] as const
export const DEFAULT_REMINDER_TEMPLATE =
  'Reminder from {clinic}: your appointment is on {time}.{place} To change it, reply to this message or call us.'
export const DEFAULT_FOLLOW_UP_TEMPLATE =
  "Hi, it's {clinic} again — sorry we missed you earlier. Reply here if we can help, or call us when it suits you."
export const ENQUIRY_FOLLOW_UP_TEMPLATE =
  "Hi, it's {clinic}. Thanks again for your enquiry — would you like to book a consultation? Reply to this message and we'll find a time."
/** When a reminder is found too late (its time passed while nothing ran), it is skipped. */
const REMINDER_LATE_MS = 30 * MINUTE_MS

export type ScheduledRow = typeof scheduledMessages.$inferSelect
type NewScheduled = typeof scheduledMessages.$inferInsert

/** The clinic's reminder offsets (minutes before), from its column or the defaults. */
export function reminderOffsets(clinic: Pick<ClinicRow, 'reminderOffsets'>): number[] {
  try {
    const parsed = JSON.parse(clinic.reminderOffsets ?? 'null') as unknown
    if (Array.isArray(parsed) && parsed.every((n) => Number.isInteger(n) && n > 0)) {
      return parsed as number[]
    }
  } catch {
    // A malformed value falls back to the defaults.
  }
  return [...DEFAULT_REMINDER_OFFSETS]
}

/** Registers rows with the clinic's object (retried; a failure is logged, the daily sweep re-registers). */
export async function wake(
  env: Bindings,
  clinicId: string,
  items: ReadonlyArray<{ id: string; dueAt: number }>,
): Promise<void> {
  if (items.length === 0) return
  try {
    await withDurableRetry(() =>
      env.CLINIC.getByName(clinicId).scheduleWakes(
        items.map((i) => ({ id: i.id, dueAt: i.dueAt })),
      ),
    )
  } catch (err) {
    logError('wake registration failed', err, { clinicId, items: items.length })
  }
}

/**
 * Inserts rows (an existing intent is left as it is) and wakes those this call created.
 * Returns the created rows' ids.
 */
export async function schedule(
  env: Bindings,
  db: Db,
  rows: readonly NewScheduled[],
): Promise<string[]> {
  if (rows.length === 0) return []
  const created: { id: string; dueAt: number }[] = []
  for (const row of rows) {
    const [inserted] = await db
      .insert(scheduledMessages)
      .values(row)
      .onConflictDoNothing()
      .returning({ id: scheduledMessages.id, dueAt: scheduledMessages.dueAt })
    if (inserted) created.push(inserted)
  }
  await wake(env, rows[0]!.clinicId, created)
  return created.map((c) => c.id)
}

/** The sealed number to message a person at: a booking's own, else their SMS conversation's or lead's. */
export async function sealedNumberFor(
  db: Db,
  clinicId: string,
  contactHash: string,
): Promise<string | null> {
  const thread = await firstOwned(
    db,
    conversations,
    clinicId,
    [eq(conversations.contactHash, contactHash), ne(conversations.channel, 'web')],
    desc(conversations.lastMessageAt),
  )
  if (thread?.contactSealed) return thread.contactSealed
  const lead = await firstOwned(db, leads, clinicId, [eq(leads.phoneHash, contactHash)])
  return lead?.phoneSealed ?? null
}

/** The appointment a reminder row belongs to, and the time it was scheduled for then. */
export function reminderKey(appointmentId: string, offset: number, scheduledFor: number) {
  return `reminder:${appointmentId}:${offset}:${scheduledFor}`
}

export function parseReminderKey(key: string): { offset: number; scheduledFor: number } | null {
  const m = /^reminder:[^:]+:(\d+):(\d+)$/.exec(key)
  return m ? { offset: Number(m[1]), scheduledFor: Number(m[2]) } : null
}

/**
 * Schedules an appointment's reminders at the clinic's offsets (those still ahead), after
 * cancelling any for another time (a moved appointment). Needs reminders on, a time, and a
 * number to text (the booking's own, sealed, or one the clinic already has for the person).
 */
export async function scheduleReminders(
  env: Bindings,
  db: Db,
  clinic: Pick<ClinicRow, 'id' | 'remindersEnabled' | 'reminderOffsets'>,
  appointment: { id: string; callerHash: string | null; scheduledFor: number | null },
  number: { sealed: string | null } | null,
  now: number,
): Promise<string[]> {
  await cancelReminders(db, clinic.id, appointment.id, 'moved', appointment.scheduledFor)
  if (!clinic.remindersEnabled || !appointment.scheduledFor || !appointment.callerHash) return []
  const when = appointment.scheduledFor
  const toSealed = number?.sealed ?? (await sealedNumberFor(db, clinic.id, appointment.callerHash))
  if (!toSealed) return []
  const rows = reminderOffsets(clinic)
    .map((offset) => ({ offset, dueAt: when - offset * MINUTE_MS }))
    .filter((r) => r.dueAt > now - REMINDER_LATE_MS && r.dueAt < when)
    .map(
      (r): NewScheduled => ({
        id: newId('sch', r.dueAt),
        clinicId: clinic.id,
        kind: 'reminder',
        dedupeKey: reminderKey(appointment.id, r.offset, when),
        ref: appointment.id,
        recipientHash: appointment.callerHash!,
        toSealed,
        purpose: 'service',
        dueAt: Math.max(r.dueAt, now),
        createdAt: now,
      }),
    )
  return schedule(env, db, rows)
}

/**
 * Cancels an appointment's pending reminders (all of them, or those for another time than
 * `keepFor`). Returns how many.
 */
export async function cancelReminders(
  db: Db,
  clinicId: string,
  appointmentId: string,
  reason: 'moved' | 'appointment-cancelled',
  keepFor: number | null = null,
): Promise<number> {
  const pending = await ownedRows(db, scheduledMessages, clinicId, [
    eq(scheduledMessages.ref, appointmentId),
    eq(scheduledMessages.kind, 'reminder'),
    eq(scheduledMessages.status, 'pending'),
  ])
  const doomed = pending
    .filter((p) => keepFor === null || parseReminderKey(p.dedupeKey)?.scheduledFor !== keepFor)
    .map((p) => p.id)
  if (doomed.length === 0) return 0
  await db
    .update(scheduledMessages)
    .set({ status: 'cancelled', reason, updatedAt: Date.now() })
    .where(
      and(
        ownedBy(scheduledMessages, clinicId, inArray(scheduledMessages.id, doomed)),
        eq(scheduledMessages.status, 'pending'),
      ),
    )
  return doomed.length
}

/** After a text-back went out: check back after the clinic's no-reply hours (at least one hour). */
export function noReplyCheckRow(
  clinic: Pick<ClinicRow, 'id' | 'followUpNoReplyHours'>,
  text: { callId: string; recipientHash: string; toSealed: string; sentAt: number },
): NewScheduled {
  const hours = clinic.followUpNoReplyHours > 0 ? clinic.followUpNoReplyHours : 4
  const dueAt = text.sentAt + hours * HOUR_MS
  return {
    id: newId('sch', dueAt),
    clinicId: clinic.id,
    kind: 'no-reply-check',
    dedupeKey: `no-reply:${text.callId}`,
    ref: text.callId,
    recipientHash: text.recipientHash,
    toSealed: text.toSealed,
    purpose: 'service',
    dueAt,
    createdAt: text.sentAt,
  }
}

/** An enquiry from a person who chose marketing: one follow-up if they have not booked by then. */
export function enquiryFollowUpRow(
  clinic: Pick<ClinicRow, 'id' | 'followUpEnquiryHours'>,
  lead: { id: string; phoneHash: string; phoneSealed: string; at: number },
): NewScheduled | null {
  if (clinic.followUpEnquiryHours <= 0) return null
  const dueAt = lead.at + clinic.followUpEnquiryHours * HOUR_MS
  return {
    id: newId('sch', dueAt),
    clinicId: clinic.id,
    kind: 'enquiry-follow-up',
    dedupeKey: `enquiry:${lead.id}`,
    ref: lead.id,
    recipientHash: lead.phoneHash,
    toSealed: lead.phoneSealed,
    purpose: 'marketing',
    dueAt,
    createdAt: lead.at,
  }
}

/** An automation's message: sealed words, its declared purpose, due now (rules apply when it goes). */
export async function automationMessageRow(
  keyring: ClinicKeyring,
  input: {
    clinicId: string
    runId: string
    index: number
    recipientHash: string
    toSealed: string
    body: string
    purpose: 'service' | 'marketing'
    now: number
  },
): Promise<NewScheduled> {
  return {
    id: newId('sch', input.now),
    clinicId: input.clinicId,
    kind: 'automation',
    dedupeKey: `run:${input.runId}:${input.index}`,
    ref: input.runId,
    recipientHash: input.recipientHash,
    toSealed: input.toSealed,
    bodySealed: await keyring.seal(input.body),
    purpose: input.purpose,
    dueAt: input.now,
    createdAt: input.now,
  }
}

/**
 * The daily sweep's repair: pending rows due within the next day are registered again (the
 * object keeps one entry per id), so a registration that failed is late by a day at most.
 */
export async function rewakePending(env: Bindings, db: Db, clinicId: string, now: number) {
  const rows = await ownedRows(
    db,
    scheduledMessages,
    clinicId,
    [eq(scheduledMessages.status, 'pending'), lt(scheduledMessages.dueAt, now + 26 * HOUR_MS)],
    { limit: 2000 },
  )
  await wake(env, clinicId, rows)
  return rows.length
}
