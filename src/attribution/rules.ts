/**
 * Attribution rules, version 1 (DESIGN.md "Attribution rules (v1)"), as a pure function of a set
 * of events: no clock, no storage, no I/O. The clinic's Durable Object feeds it one caller's
 * working set and stores what it returns; tests feed it directly.
 *
 * Rules:
 * 1. A missed call M (missed or voicemail) is a candidate for appointment A when both are for the
 *    same caller H, t_M < t_A ≤ t_M + W, and M recovers no earlier appointment.
 * 2. Appointments settle in order of t_A (ties by id). Each takes its most recent candidate M*
 *    (ties by the larger call id, so the choice never depends on arrival order) and spends it;
 *    with no candidate it is `unattributed`.
 * 3. Its path is the first recovery touch for H strictly after t_M* and strictly before t_A:
 *    a callback, a reply to our text-back, or an answered inbound call (return call); else
 *    `direct`. Touches at the same instant are ordered by id.
 * 4. The result depends only on the set of events: duplicates collapse by id, and a call whose
 *    status arrives more than once keeps its most advanced status (see `mergeCallStatus`).
 */
import { DAY_MS } from '../lib/time'

/** Bumped whenever the rules change; stored on every attribution so history is never rewritten. */
export const RULE_VERSION = 1

export type InboundCallStatus = 'answered' | 'missed' | 'voicemail'
export type AttributionPath = 'callback' | 'text-back' | 'return-call' | 'direct'
export type AttributionStatus = 'recovered' | 'unattributed'

/** One fact the rules consume. `at` is epoch ms; for a call, when it first rang. */
export type AttributionFact =
  | {
      kind: 'inbound-call'
      id: string
      callerHash: string
      at: number
      status: InboundCallStatus
    }
  | { kind: 'callback'; id: string; callerHash: string; at: number }
  | { kind: 'text-back-reply'; id: string; callerHash: string; at: number }
  | { kind: 'appointment'; id: string; callerHash: string; at: number }

export type AttributionOutcome = {
  appointmentId: string
  status: AttributionStatus
  /** The missed call M* it recovered, or null. */
  callId: string | null
  /** The recovery path, or null when unattributed. */
  path: AttributionPath | null
  ruleVersion: number
}

export type SettleOptions = { windowDays: number }

/**
 * How far a call has got. A call's status only moves forward (Twilio callbacks arrive out of
 * order): a recording makes a missed call a voicemail, never the reverse. Merging by rank makes
 * the final status independent of the order in which the updates arrive.
 */
const STATUS_RANK: Record<InboundCallStatus, number> = { answered: 1, missed: 2, voicemail: 3 }

/** The status a call ends with when two reports of it arrive, whatever their order. */
export function mergeCallStatus(a: InboundCallStatus, b: InboundCallStatus): InboundCallStatus {
  return STATUS_RANK[a] >= STATUS_RANK[b] ? a : b
}

export function isMissed(status: InboundCallStatus): boolean {
  return status === 'missed' || status === 'voicemail'
}

const byTimeThenId = (a: { at: number; id: string }, b: { at: number; id: string }) =>
  a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * Settles every appointment in `facts` under rules v1. Returns one outcome per distinct
 * appointment, in settlement order (t_A, then id).
 */
export function settle(
  facts: readonly AttributionFact[],
  options: SettleOptions,
): AttributionOutcome[] {
  const windowMs = options.windowDays * DAY_MS

  // Collapse duplicates: one entry per (kind, id); calls keep their most advanced status.
  const calls = new Map<
    string,
    { id: string; callerHash: string; at: number; status: InboundCallStatus }
  >()
  const touches = new Map<
    string,
    { id: string; callerHash: string; at: number; path: AttributionPath }
  >()
  const appointments = new Map<string, { id: string; callerHash: string; at: number }>()
  for (const f of facts) {
    if (f.kind === 'inbound-call') {
      const seen = calls.get(f.id)
      calls.set(f.id, seen ? { ...seen, status: mergeCallStatus(seen.status, f.status) } : { ...f })
    } else if (f.kind === 'appointment') {
      if (!appointments.has(f.id))
        appointments.set(f.id, { id: f.id, callerHash: f.callerHash, at: f.at })
    } else {
      const path: AttributionPath = f.kind === 'callback' ? 'callback' : 'text-back'
      const key = `${f.kind}:${f.id}`
      if (!touches.has(key)) touches.set(key, { id: key, callerHash: f.callerHash, at: f.at, path })
    }
  }

  // Answered inbound calls are recovery touches too (the patient rang back and got through).
  for (const call of calls.values()) {
    if (call.status === 'answered') {
      touches.set(`inbound-call:${call.id}`, {
        id: `inbound-call:${call.id}`,
        callerHash: call.callerHash,
        at: call.at,
        path: 'return-call',
      })
    }
  }

  const missedByCaller = groupBy(
    [...calls.values()].filter((c) => isMissed(c.status)),
    (c) => c.callerHash,
  )
  const touchesByCaller = groupBy([...touches.values()].sort(byTimeThenId), (t) => t.callerHash)
  const spent = new Set<string>()

  return [...appointments.values()].sort(byTimeThenId).map((appointment) => {
    let best: { id: string; at: number } | null = null
    for (const call of missedByCaller.get(appointment.callerHash) ?? []) {
      if (spent.has(call.id)) continue
      if (!(call.at < appointment.at && appointment.at <= call.at + windowMs)) continue
      if (!best || call.at > best.at || (call.at === best.at && call.id > best.id)) best = call
    }
    if (!best) {
      return {
        appointmentId: appointment.id,
        status: 'unattributed',
        callId: null,
        path: null,
        ruleVersion: RULE_VERSION,
      }
    }
    spent.add(best.id)
    const missedAt = best.at
    const touch = (touchesByCaller.get(appointment.callerHash) ?? []).find(
      (t) => t.at > missedAt && t.at < appointment.at,
    )
    return {
      appointmentId: appointment.id,
      status: 'recovered',
      callId: best.id,
      path: touch ? touch.path : 'direct',
      ruleVersion: RULE_VERSION,
    }
  })
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const list = out.get(k)
    if (list) list.push(item)
    else out.set(k, [item])
  }
  return out
}

/** A one-line, human explanation of an outcome for the dashboard and API (no personal data). */
export function explainOutcome(
  outcome: Pick<AttributionOutcome, 'status' | 'path'>,
  context: { missedAt?: number | null; appointmentAt: number; windowDays: number },
): string {
  if (outcome.status === 'unattributed') {
    return `Not recovered: no unrecovered missed call from this caller in the ${context.windowDays} days before the booking.`
  }
  const how: Record<AttributionPath, string> = {
    callback: 'after the clinic called them back',
    'text-back': 'after they replied to our text-back',
    'return-call': 'after they rang again and got through',
    direct: 'with no recorded contact in between',
  }
  // The missed call may have passed the clinic's call retention: the booking stays recovered.
  if (context.missedAt == null) {
    return `Recovered: booked after a missed call (since deleted under the clinic's call retention), ${how[outcome.path ?? 'direct']} (rules v${RULE_VERSION}).`
  }
  const hours = Math.max(0, (context.appointmentAt - context.missedAt) / 3_600_000)
  const gap = hours < 48 ? `${Math.round(hours)} hours` : `${Math.round(hours / 24)} days`
  return `Recovered: booked ${gap} after a missed call, ${how[outcome.path ?? 'direct']} (rules v${RULE_VERSION}).`
}
