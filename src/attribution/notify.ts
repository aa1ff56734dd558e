/**
 * How the rest of the Worker tells the clinic's attribution engine about events. Calls and
 * messaging code call these after they have stored an event; the clinic's Durable Object settles
 * appointments from them (rules.ts), and the outcomes that changed are written back to D1
 * (outcomes.ts, sync.ts) and into the daily metrics of the days they touch. The object keeps
 * each decision unsynced until D1 confirms it, and its alarm repairs a write that failed.
 */

import { and, eq, exists, inArray, isNotNull, isNull, or } from 'drizzle-orm'
import { findClinic } from '../clinic/find'
import { createDb } from '../db/client'
import { appointments, calls, inboundMessages } from '../db/schema'
import type { Bindings } from '../env'
import { jobQueue } from '../jobs/messages'
import { leadTouchStatements } from '../leads/leads.service'
import type { AfterResponse } from '../lib/after-response'
import { withDurableRetry } from '../lib/durable'
import { logError } from '../lib/logger'
import { slices } from '../lib/slices'
import { DAY_MS } from '../lib/time'
import { rollUpMetrics } from '../metrics/rollup'
import { affectedInstants, writeOutcomes } from './outcomes'
import type { AttributionFact } from './rules'
import { confirmationsOf, writeUnsynced } from './sync'
import type { SettledChange, StoredOutcome } from './working-set'

export type AttributionEvent =
  /** An inbound call whose outcome is known (or changed, e.g. missed → voicemail). `at` = when it first rang. */
  | {
      kind: 'inbound-call'
      callId: string
      callerHash: string
      at: number
      status: 'answered' | 'missed' | 'voicemail'
    }
  /** An outbound call (or a logged callback) to the caller. */
  | { kind: 'callback'; callId: string; callerHash: string; at: number }
  /** The caller replied to a text-back we sent them. */
  | { kind: 'text-back-reply'; messageId: string; callerHash: string; at: number }

/** An event as the rules see it. */
export function toFact(event: AttributionEvent): AttributionFact {
  switch (event.kind) {
    case 'inbound-call':
      return {
        kind: 'inbound-call',
        id: event.callId,
        callerHash: event.callerHash,
        at: event.at,
        status: event.status,
      }
    case 'callback':
      return { kind: 'callback', id: event.callId, callerHash: event.callerHash, at: event.at }
    case 'text-back-reply':
      return {
        kind: 'text-back-reply',
        id: event.messageId,
        callerHash: event.callerHash,
        at: event.at,
      }
  }
}

/** The clinic's attribution window W in days (the default when the clinic is unknown). */
export async function attributionWindowDays(env: Bindings, clinicId: string): Promise<number> {
  const clinic = await findClinic(createDb(env.DB), clinicId)
  return clinic?.attributionWindowDays ?? 14
}

/**
 * Settles facts in the clinic's object (retrying object resets; the decision is idempotent),
 * then writes this decision's changes and any earlier one whose write failed or was abandoned
 * (so a redelivered event finishes a half-done write), refreshes the affected days'
 * metrics and confirms the decisions to the object. When the write fails it throws (a queue
 * job is redelivered), or with `deferFailedWrite` logs and returns the decision anyway (an API
 * answering with the object's outcome); either way the object's alarm retries the write.
 */
export async function settleFacts(
  env: Bindings,
  clinicId: string,
  facts: AttributionFact[],
  options: { windowDays?: number; touchedInstants?: number[]; deferFailedWrite?: boolean } = {},
): Promise<{ changes: SettledChange[]; outcomes: StoredOutcome[] }> {
  const windowDays = options.windowDays ?? (await attributionWindowDays(env, clinicId))
  const stub = env.CLINIC.getByName(clinicId)
  const result = await withDurableRetry(() => stub.settleAttribution(facts, windowDays))
  const decisions = confirmationsOf(result.unsynced)
  try {
    await writeUnsynced(env, clinicId, result.unsynced, options.touchedInstants)
    if (decisions.length > 0) {
      await withDurableRetry(() => stub.confirmAttributionSynced(decisions))
    }
  } catch (err) {
    // Best effort: the object's alarm retries these anyway.
    await stub.attributionWriteFailed(decisions).catch(() => undefined)
    if (!options.deferFailedWrite) throw err
    logError('attribution write deferred to the clinic object', err, { step: 'write' })
  }
  return { changes: result.changes, outcomes: result.outcomes }
}

/**
 * Writes decisions taken by a re-settlement of the whole working set to D1, refreshes the days
 * between the first and last instant they touch, and confirms them to the object.
 */
async function syncResettled(
  env: Bindings,
  clinicId: string,
  changes: readonly SettledChange[],
): Promise<void> {
  await writeOutcomes(env.DB, clinicId, changes, { repair: true })
  const instants = affectedInstants(changes)
  if (instants.length > 0) {
    const first = instants.reduce((a, b) => Math.min(a, b))
    const last = instants.reduce((a, b) => Math.max(a, b))
    await rollUpMetrics(env, clinicId, first, last)
  }
  const stub = env.CLINIC.getByName(clinicId)
  for (const some of slices(changes, CONFIRM_CHUNK)) {
    const confirmations = some.map((c) => ({
      appointmentId: c.appointmentId,
      settledAt: c.settledAt,
    }))
    await withDurableRetry(() => stub.confirmAttributionSynced(confirmations))
  }
}

/** Confirmations per RPC after a re-settlement. */
const CONFIRM_CHUNK = 2000

/**
 * A clinic changed its attribution window: re-settles the open window (the object's working
 * set, which holds every booking still open) under the new W, and writes what changed. Costs one
 * pass over the working set, not a reload of the clinic's history from D1.
 */
export async function resettleAttributionWindow(
  env: Bindings,
  clinicId: string,
  windowDays: number,
): Promise<void> {
  const stub = env.CLINIC.getByName(clinicId)
  const changes = await withDurableRetry(() => stub.resettleAttribution(windowDays))
  await syncResettled(env, clinicId, changes)
}

/** Tells the clinic's attribution engine about a call, callback or text-back reply. */
export async function notifyAttribution(
  env: Bindings,
  clinicId: string,
  event: AttributionEvent,
): Promise<void> {
  // The event's own day changes its counts; a callback also changes the callback figures of the
  // missed call it answers, which usually rang within the last two days (the cron catches the rest).
  const touched =
    event.kind === 'callback' ? [event.at, event.at - DAY_MS, event.at - 2 * DAY_MS] : [event.at]
  await settleFacts(env, clinicId, [toFact(event)], { touchedInstants: touched })
  // The caller's lead (if a form made one): a call touches it, a call back answers it. A reply
  // to a text-back touched it already, in the messaging webhook's batch.
  if (event.kind !== 'text-back-reply') {
    const db = createDb(env.DB)
    await db.batch(
      leadTouchStatements(db, {
        clinicId,
        contactHash: event.callerHash,
        kind: 'call',
        ref: event.callId,
        at: event.at,
        answered: event.kind === 'callback',
      }),
    )
  }
}

/** Facts per RPC when loading a clinic's history into its object. */
const LOAD_CHUNK = 2000

/**
 * Re-settles every open attribution window of a clinic from its stored events (seed, imports):
 * loads the clinic's calls, callbacks, text-back replies and appointments from D1 into its
 * object, settles every caller, writes the changes and refreshes the affected days' metrics.
 */
export async function resettleClinic(env: Bindings, clinicId: string): Promise<void> {
  const windowDays = await attributionWindowDays(env, clinicId)
  const db = createDb(env.DB)
  const [callRows, replyRows, bookingRows] = await db.batch([
    db
      .select({
        id: calls.id,
        direction: calls.direction,
        status: calls.status,
        callerHash: calls.callerHash,
        at: calls.startedAt,
      })
      .from(calls)
      .where(
        and(
          eq(calls.clinicId, clinicId),
          isNotNull(calls.callerHash),
          or(
            eq(calls.direction, 'outbound'),
            inArray(calls.status, ['answered', 'missed', 'voicemail']),
          ),
        ),
      ),
    db
      .select({
        id: inboundMessages.id,
        callerHash: inboundMessages.senderHash,
        at: inboundMessages.receivedAt,
      })
      .from(inboundMessages)
      .where(
        and(eq(inboundMessages.clinicId, clinicId), isNotNull(inboundMessages.inReplyToCallId)),
      ),
    // A booking recovered by a call D1 no longer holds (purged) is final: reloading it without
    // its call would un-recover it. (The object also remembers such bookings as final.)
    db
      .select({
        id: appointments.id,
        callerHash: appointments.callerHash,
        at: appointments.createdAt,
      })
      .from(appointments)
      .where(
        and(
          eq(appointments.clinicId, clinicId),
          isNotNull(appointments.callerHash),
          or(
            isNull(appointments.attributedCallId),
            exists(
              db
                .select({ id: calls.id })
                .from(calls)
                .where(
                  and(eq(calls.clinicId, clinicId), eq(calls.id, appointments.attributedCallId)),
                ),
            ),
          ),
        ),
      ),
  ])
  const facts: AttributionFact[] = []
  for (const r of callRows) {
    if (!r.callerHash) continue
    const base = { id: r.id, callerHash: r.callerHash, at: r.at }
    if (r.direction === 'outbound') facts.push({ kind: 'callback', ...base })
    else
      facts.push({
        kind: 'inbound-call',
        ...base,
        status: r.status as 'answered' | 'missed' | 'voicemail',
      })
  }
  for (const r of replyRows) {
    facts.push({ kind: 'text-back-reply', id: r.id, callerHash: r.callerHash, at: r.at })
  }
  for (const r of bookingRows) {
    if (r.callerHash)
      facts.push({ kind: 'appointment', id: r.id, callerHash: r.callerHash, at: r.at })
  }
  const stub = env.CLINIC.getByName(clinicId)
  for (const some of slices(facts, LOAD_CHUNK)) {
    await withDurableRetry(() => stub.loadAttributionFacts(some))
  }
  await resettleAttributionWindow(env, clinicId, windowDays)
}

/**
 * Keeps a clinic's attribution working set bounded: bookings older than the clinic's call
 * retention (whose calls D1 no longer holds) become final and leave the object. For the cron.
 */
export async function pruneAttributionWorkingSet(
  env: Bindings,
  clinicId: string,
  now: number,
): Promise<{ appointments: number; calls: number; touches: number }> {
  const clinic = await findClinic(createDb(env.DB), clinicId)
  if (!clinic) return { appointments: 0, calls: 0, touches: 0 }
  const stub = env.CLINIC.getByName(clinicId)
  return withDurableRetry(() =>
    stub.pruneAttribution(now - clinic.retentionCallDays * DAY_MS, clinic.attributionWindowDays),
  )
}

/**
 * Hands an event to the attribution engine without making the webhook wait on the clinic's
 * Durable Object, D1 and the metrics refresh. With `afterResponse` (src/lib/after-response.ts)
 * the event is settled right after the response, so a booking posted a second later already
 * sees it; if that fails, or without `afterResponse`, a queue job (retried with backoff,
 * dead-lettered for a human) runs `notifyAttribution`. If the queue refuses the job too, the
 * event is settled inline rather than lost. Never throws: every event is stored first, so
 * `resettleClinic` can always rebuild the outcome. Settling twice is harmless (idempotent).
 */
export async function queueAttribution(
  env: Bindings,
  clinicId: string,
  event: AttributionEvent,
  options: { afterResponse?: AfterResponse } = {},
): Promise<void> {
  if (options.afterResponse) {
    options.afterResponse(() => settleAfterResponse(env, clinicId, event))
    return
  }
  await enqueueOrSettle(env, clinicId, event)
}

async function settleAfterResponse(
  env: Bindings,
  clinicId: string,
  event: AttributionEvent,
): Promise<void> {
  try {
    await notifyAttribution(env, clinicId, event)
    return
  } catch (err) {
    logNotifyFailure('direct', event, err)
  }
  try {
    await jobQueue(env).send({ type: 'attribution', clinicId, event })
  } catch (err) {
    logNotifyFailure('queue', event, err)
  }
}

async function enqueueOrSettle(
  env: Bindings,
  clinicId: string,
  event: AttributionEvent,
): Promise<void> {
  try {
    await jobQueue(env).send({ type: 'attribution', clinicId, event })
    return
  } catch (err) {
    logNotifyFailure('queue', event, err)
  }
  try {
    await notifyAttribution(env, clinicId, event)
  } catch (err) {
    logNotifyFailure('inline', event, err)
  }
}

function logNotifyFailure(step: string, event: AttributionEvent, err: unknown): void {
  logError('attribution notify failed', err, { step, kind: event.kind })
}
