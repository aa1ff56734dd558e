/**
 * How the rest of the Worker tells the clinic's attribution engine about events. Calls and
 * messaging code call these after they have stored an event; the clinic's Durable Object settles
 * appointments from them (rules.ts), and the outcomes that changed are written back to D1
 * (outcomes.ts) and into the daily metrics of the days they touch.
 */
import type { Bindings } from '../env'
import { withDurableRetry } from '../lib/durable'
import { logError } from '../lib/logger'
import { DAY_MS } from '../lib/time'
import { rollUpInstants, rollUpMetrics } from '../metrics/rollup'
import { affectedInstants, writeOutcomes } from './outcomes'
import type { AttributionFact } from './rules'
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
  const row = await env.DB.prepare('SELECT attribution_window_days AS w FROM clinics WHERE id = ?')
    .bind(clinicId)
    .first<{ w: number }>()
  return row?.w ?? 14
}

/**
 * Settles facts in the clinic's object (retrying object resets; the decision is idempotent),
 * then writes what changed to D1 and refreshes the affected days' metrics.
 */
export async function settleFacts(
  env: Bindings,
  clinicId: string,
  facts: AttributionFact[],
  options: { windowDays?: number; touchedInstants?: number[] } = {},
): Promise<{ changes: SettledChange[]; outcomes: StoredOutcome[] }> {
  const windowDays = options.windowDays ?? (await attributionWindowDays(env, clinicId))
  const stub = env.CLINIC.getByName(clinicId)
  const result = await withDurableRetry(() => stub.settleAttribution(facts, windowDays))
  await writeOutcomes(env.DB, clinicId, result.changes)
  await rollUpInstants(env, clinicId, [
    ...(options.touchedInstants ?? []),
    ...affectedInstants(result.changes),
  ])
  return result
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
  const [calls, replies, appointments] = await env.DB.batch<Record<string, unknown>>([
    env.DB.prepare(
      `SELECT id, direction, status, caller_hash, started_at FROM calls
       WHERE clinic_id = ? AND caller_hash IS NOT NULL
         AND (direction = 'outbound' OR status IN ('answered', 'missed', 'voicemail'))`,
    ).bind(clinicId),
    env.DB.prepare(
      `SELECT id, sender_hash, received_at FROM inbound_messages
       WHERE clinic_id = ? AND in_reply_to_call_id IS NOT NULL`,
    ).bind(clinicId),
    env.DB.prepare(
      `SELECT id, caller_hash, created_at FROM appointments
       WHERE clinic_id = ? AND caller_hash IS NOT NULL`,
    ).bind(clinicId),
  ])
  const facts: AttributionFact[] = []
  for (const r of calls?.results ?? []) {
    const base = { id: String(r.id), callerHash: String(r.caller_hash), at: Number(r.started_at) }
    if (r.direction === 'outbound') facts.push({ kind: 'callback', ...base })
    else
      facts.push({
        kind: 'inbound-call',
        ...base,
        status: r.status as 'answered' | 'missed' | 'voicemail',
      })
  }
  for (const r of replies?.results ?? []) {
    facts.push({
      kind: 'text-back-reply',
      id: String(r.id),
      callerHash: String(r.sender_hash),
      at: Number(r.received_at),
    })
  }
  for (const r of appointments?.results ?? []) {
    facts.push({
      kind: 'appointment',
      id: String(r.id),
      callerHash: String(r.caller_hash),
      at: Number(r.created_at),
    })
  }
  const stub = env.CLINIC.getByName(clinicId)
  for (let i = 0; i < facts.length; i += LOAD_CHUNK) {
    const chunk = facts.slice(i, i + LOAD_CHUNK)
    await withDurableRetry(() => stub.loadAttributionFacts(chunk))
  }
  const changes = await withDurableRetry(() => stub.resettleAttribution(windowDays))
  await writeOutcomes(env.DB, clinicId, changes)
  const instants = affectedInstants(changes)
  if (instants.length > 0) {
    const first = instants.reduce((a, b) => Math.min(a, b))
    const last = instants.reduce((a, b) => Math.max(a, b))
    await rollUpMetrics(env, clinicId, first, last)
  }
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
  const row = await env.DB.prepare(
    'SELECT retention_call_days AS days, attribution_window_days AS w FROM clinics WHERE id = ?',
  )
    .bind(clinicId)
    .first<{ days: number; w: number }>()
  if (!row) return { appointments: 0, calls: 0, touches: 0 }
  const stub = env.CLINIC.getByName(clinicId)
  return withDurableRetry(() => stub.pruneAttribution(now - row.days * DAY_MS, row.w))
}

/**
 * Hands an event to the attribution engine off the webhook path: a queue job (retried with
 * backoff, dead-lettered for a human) runs `notifyAttribution`. Webhooks answer Twilio in
 * milliseconds instead of waiting on the clinic's Durable Object, D1 and the metrics refresh.
 * If the queue refuses the job, the event is settled inline rather than lost. Never throws:
 * every event is stored first, so `resettleClinic` can always rebuild the outcome.
 */
export async function queueAttribution(
  env: Bindings,
  clinicId: string,
  event: AttributionEvent,
  _options: { waitUntil?: (work: Promise<unknown>) => void } = {},
): Promise<void> {
  try {
    await env.JOBS.send({ type: 'attribution', clinicId, event })
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
