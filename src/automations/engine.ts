/**
 * The automation engine: a trigger event (a missed call, a new lead, a conversation that needs a
 * person, a booking, a text-back with no reply) makes one run per matching automation — at most
 * one per automation and event (`automation_runs` is unique on the event key), due after the
 * automation's delay and woken by the clinic's Durable Object. When it runs, its conditions are
 * checked on the facts of the event (pure: src/automations/rules.ts), then its actions are done in
 * order, each idempotent; the run records what each did. A message an action sends is an ordinary
 * scheduled message, so quiet hours, STOP, restriction and consent apply to it as to any other.
 */
import { and, eq, lt, or } from 'drizzle-orm'
import { raiseStaffAlert } from '../alerts/alerts'
import { parseOpeningHours } from '../assistant/facts'
import { requireAssignee } from '../auth/team'
import { findClinic } from '../clinic/find'
import type { Db } from '../db/client'
import { findClinicRow, firstOwned, ownedBy, ownedRows } from '../db/clinic-row'
import { automationRuns, automations, calls, conversations, leads } from '../db/schema'
import type { Bindings, Config } from '../env'
import { priorityOf, treatmentValues } from '../leads/leads.service'
import { newId } from '../lib/ids'
import { logError } from '../lib/logger'
import { MINUTE_MS } from '../lib/time'
import { clinicKeyring } from '../privacy/crypto'
import {
  type Action,
  type Condition,
  type EventFacts,
  failedCondition,
  type Trigger,
} from './rules'
import { automationMessageRow, schedule, sealedNumberFor, wake } from './scheduled'

/** The ids a trigger event concerns (no personal data) and how it came. */
export type EventSubject = {
  callId?: string
  leadId?: string
  conversationId?: string
  appointmentId?: string
  channel?: EventFacts['channel']
}

export type TriggerEvent = {
  clinicId: string
  trigger: Trigger
  /** Unique per event (e.g. the call's id): a redelivered event makes no second run. */
  key: string
  at: number
  contactHash: string | null
  subject: EventSubject
}

/** A claimed run that died is taken over after this long. */
const RUN_LEASE_MS = 2 * MINUTE_MS

type RunRow = typeof automationRuns.$inferSelect

/**
 * Records one run per enabled automation of the clinic for this trigger and wakes them. Never
 * throws: a failure is logged (the event's own work is done; automations are extra).
 */
export async function emitTrigger(env: Bindings, db: Db, event: TriggerEvent): Promise<number> {
  try {
    const matching = await ownedRows(db, automations, event.clinicId, [
      eq(automations.trigger, event.trigger),
      eq(automations.enabled, true),
    ])
    const created: { id: string; dueAt: number }[] = []
    for (const a of matching) {
      const dueAt = event.at + a.delayMinutes * MINUTE_MS
      const [run] = await db
        .insert(automationRuns)
        .values({
          id: newId('arn', event.at),
          clinicId: event.clinicId,
          automationId: a.id,
          eventKey: `${event.trigger}:${event.key}`,
          subject: JSON.stringify(event.subject),
          contactHash: event.contactHash,
          dueAt,
          createdAt: event.at,
        })
        .onConflictDoNothing()
        .returning({ id: automationRuns.id, dueAt: automationRuns.dueAt })
      if (run) created.push(run)
    }
    await wake(env, event.clinicId, created)
    return created.length
  } catch (err) {
    logError('automation trigger failed', err, { clinicId: event.clinicId, trigger: event.trigger })
    return 0
  }
}

export type RunOutcome = 'done' | 'skipped' | 'waiting' | 'already-done' | 'gone'

/** Runs one automation run (a `scheduled-due` job's `arn_` id). Idempotent; throws to retry. */
export async function runAutomation(
  deps: { env: Bindings; db: Db; config: Config; now: () => number },
  clinicId: string,
  runId: string,
): Promise<RunOutcome> {
  const { env, db, config } = deps
  const now = deps.now()
  const run = await findClinicRow(db, automationRuns, clinicId, runId)
  if (!run) return 'gone'
  if (run.status === 'done' || run.status === 'skipped' || run.status === 'failed') {
    return 'already-done'
  }
  if (run.dueAt > now) {
    await wake(env, clinicId, [run])
    return 'waiting'
  }
  const byRun = ownedBy(automationRuns, clinicId, eq(automationRuns.id, run.id))
  const [claimed] = await db
    .update(automationRuns)
    .set({ status: 'running', ranAt: now })
    .where(
      and(
        byRun,
        or(
          eq(automationRuns.status, 'scheduled'),
          and(eq(automationRuns.status, 'running'), lt(automationRuns.ranAt, now - RUN_LEASE_MS)),
        ),
      ),
    )
    .returning({ id: automationRuns.id })
  if (!claimed) return 'already-done'
  const finish = (status: RunRow['status'], outcome: unknown) =>
    db
      .update(automationRuns)
      .set({ status, outcome: JSON.stringify(outcome), ranAt: deps.now() })
      .where(byRun)

  const automation = await findClinicRow(db, automations, clinicId, run.automationId)
  const clinic = await findClinic(db, clinicId)
  if (!automation?.enabled || !clinic) {
    await finish('skipped', { reason: 'automation-off' })
    return 'skipped'
  }
  const subject = JSON.parse(run.subject) as EventSubject
  const lead = await leadOf(db, clinicId, subject, run.contactHash)
  const facts: EventFacts = {
    channel: subject.channel ?? null,
    treatment: lead?.treatment ?? null,
    leadScore: lead ? await leadScore(db, clinicId, lead, now) : null,
    at: run.createdAt,
    timezone: clinic.timezone,
    openingHours: parseOpeningHours(clinic.openingHours),
    // Derived when it matters: a caller's first call has no earlier call from the same number.
    firstTimeCaller:
      subject.callId && run.contactHash
        ? !(await calledBefore(db, clinicId, run.contactHash, run.createdAt))
        : null,
  }
  const failed = failedCondition(JSON.parse(automation.conditions) as Condition[], facts)
  if (failed) {
    await finish('skipped', { reason: `condition:${failed}` })
    return 'skipped'
  }
  const actions = JSON.parse(automation.actions) as Action[]
  const results: { type: string; result: string }[] = []
  for (const [index, action] of actions.entries()) {
    const result = await doAction({ env, db, config, now }, run, subject, lead, action, index)
    results.push({ type: action.type, result })
  }
  await finish('done', { actions: results })
  return 'done'
}

type LeadRow = typeof leads.$inferSelect

async function leadOf(
  db: Db,
  clinicId: string,
  subject: EventSubject,
  contactHash: string | null,
): Promise<LeadRow | null> {
  if (subject.leadId) return findClinicRow(db, leads, clinicId, subject.leadId)
  if (!contactHash) return null
  return firstOwned(db, leads, clinicId, [
    or(eq(leads.phoneHash, contactHash), eq(leads.emailHash, contactHash)),
  ])
}

async function leadScore(db: Db, clinicId: string, lead: LeadRow, now: number) {
  return priorityOf(lead, await treatmentValues(db, clinicId), now).score
}

/** One action, idempotent; returns what it did in words for the run's log. */
async function doAction(
  ctx: { env: Bindings; db: Db; config: Config; now: number },
  run: RunRow,
  subject: EventSubject,
  lead: LeadRow | null,
  action: Action,
  index: number,
): Promise<string> {
  const { env, db, config, now } = ctx
  switch (action.type) {
    case 'notify-staff': {
      const ref = subject.conversationId
        ? `inbox/${subject.conversationId}`
        : subject.callId
          ? `calls/${subject.callId}`
          : subject.leadId
            ? `leads/${subject.leadId}`
            : subject.appointmentId
              ? `appointments/${subject.appointmentId}`
              : `automations/${run.automationId}`
      await raiseStaffAlert(env, { clinicId: run.clinicId, kind: 'automation', ref, at: now })
      return 'staff notified'
    }
    case 'send-template': {
      const hash = run.contactHash ?? lead?.phoneHash ?? null
      if (!hash) return 'no one to text'
      const toSealed =
        (lead?.phoneHash === hash ? lead.phoneSealed : null) ??
        (await sealedNumberFor(db, run.clinicId, hash))
      if (!toSealed) return 'no number to text'
      const keyring = await clinicKeyring(db, config, run.clinicId)
      const row = await automationMessageRow(keyring, {
        clinicId: run.clinicId,
        runId: run.id,
        index,
        recipientHash: hash,
        toSealed,
        body: action.template,
        purpose: action.purpose,
        now,
      })
      await schedule(env, db, [row])
      return 'message scheduled (quiet hours and consent apply)'
    }
    case 'assign': {
      try {
        await requireAssignee(db, run.clinicId, action.userId, 'userId')
      } catch {
        return 'not assigned: no such member'
      }
      if (subject.conversationId) {
        await db
          .update(conversations)
          .set({ assignedTo: action.userId, updatedAt: now })
          .where(ownedBy(conversations, run.clinicId, eq(conversations.id, subject.conversationId)))
        return 'conversation assigned'
      }
      if (lead) {
        await db
          .update(leads)
          .set({ assignedTo: action.userId, updatedAt: now })
          .where(ownedBy(leads, run.clinicId, eq(leads.id, lead.id)))
        return 'lead assigned'
      }
      return 'nothing to assign'
    }
    case 'set-lead-status': {
      if (!lead) return 'no lead'
      await db
        .update(leads)
        .set({ status: action.status, updatedAt: now })
        .where(ownedBy(leads, run.clinicId, eq(leads.id, lead.id)))
      return `lead marked ${action.status}`
    }
  }
}

/** Whether a caller has called the clinic before this call (for `first-time-caller`). */
async function calledBefore(
  db: Db,
  clinicId: string,
  callerHash: string,
  before: number,
): Promise<boolean> {
  const earlier = await firstOwned(db, calls, clinicId, [
    eq(calls.callerHash, callerHash),
    lt(calls.startedAt, before),
  ])
  return earlier !== null
}
