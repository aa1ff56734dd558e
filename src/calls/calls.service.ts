/**
 * Calls' reads shared by the JSON API and the dashboard: the filtered, keyset-paginated calls
 * list and the "to call back" worklist. Every query is scoped to one clinic.
 */
import {
  and,
  count,
  desc,
  eq,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  ne,
  type SQL,
  sql,
} from 'drizzle-orm'
import type { Db } from '../db/client'
import { newestRows } from '../db/clinic-pages'
import { findClinicRow, olderThan } from '../db/clinic-row'
import { calls } from '../db/schema'
import type { CallStatus } from './state'
import type { CallRow } from './store'

export type CallFilters = {
  /** Leave out calls still ringing (the API lists settled calls only). */
  settledOnly?: boolean | undefined
  status?: CallStatus | undefined
  direction?: 'inbound' | 'outbound' | undefined
  /** `waiting`: inbound missed or voicemail with no callback or resolution yet; `called-back`: any with a callback. */
  callback?: 'waiting' | 'called-back' | undefined
  fromMs?: number | undefined
  toMs?: number | undefined
  /** The first characters of a caller hash (the label staff see). */
  callerPrefix?: string | undefined
}

/** Up to `limit + 1` calls, newest first, keyset-paginated on (startedAt, id). */
export async function listCalls(
  db: Db,
  clinicId: string,
  filters: CallFilters,
  limit: number,
  cursor: { t: number; id: string } | null,
): Promise<CallRow[]> {
  const where: SQL[] = [eq(calls.clinicId, clinicId)]
  if (filters.settledOnly) where.push(ne(calls.status, 'ringing'))
  if (filters.status) where.push(eq(calls.status, filters.status))
  if (filters.direction) where.push(eq(calls.direction, filters.direction))
  if (filters.callback === 'waiting') {
    where.push(
      eq(calls.direction, 'inbound'),
      inArray(calls.status, ['missed', 'voicemail']),
      isNull(calls.calledBackAt),
      isNull(calls.resolutionOutcome),
    )
  }
  if (filters.callback === 'called-back') where.push(isNotNull(calls.calledBackAt))
  if (filters.fromMs !== undefined) where.push(gte(calls.startedAt, filters.fromMs))
  if (filters.toMs !== undefined) where.push(lt(calls.startedAt, filters.toMs))
  if (filters.callerPrefix) {
    // A range instead of LIKE, so the (clinic_id, caller_hash) index serves it.
    where.push(
      gte(calls.callerHash, filters.callerPrefix),
      lt(calls.callerHash, `${filters.callerPrefix}~`),
    )
  }
  return newestRows(db, calls, calls.startedAt, where, limit, cursor)
}

/** One call of the clinic, or null (another clinic's call is simply not found). */
export function findClinicCall(db: Db, clinicId: string, id: string): Promise<CallRow | null> {
  return findClinicRow(db, calls, clinicId, id)
}

export type WaitingCaller = {
  /** The caller's latest missed call: the one to act on. */
  callId: string
  callerHash: string
  lastMissedAt: number
  /** How many missed calls of theirs are on record (all of them, handled or not). */
  missedCount: number
  /** `now - lastMissedAt`: how long they have waited. */
  waitedMs: number
  hasVoicemail: boolean
}

/**
 * Each known caller's latest missed inbound call, with their count of missed calls. A caller is
 * judged by their latest missed call only: once that one is called back, resolved or recovered
 * they have been dealt with, and a new missed call puts them back. Withheld numbers are left out
 * (there is no one to call).
 */
function latestMissedPerCaller(db: Db, clinicId: string) {
  return db
    .select({
      id: calls.id,
      callerHash: calls.callerHash,
      startedAt: calls.startedAt,
      status: calls.status,
      calledBackAt: calls.calledBackAt,
      resolutionOutcome: calls.resolutionOutcome,
      recoveredAppointmentId: calls.recoveredAppointmentId,
      rank: sql<number>`row_number() over (partition by ${calls.callerHash} order by ${calls.startedAt} desc, ${calls.id} desc)`.as(
        'rank',
      ),
      missedCount: sql<number>`count(*) over (partition by ${calls.callerHash})`.as('missed_count'),
    })
    .from(calls)
    .where(
      and(
        eq(calls.clinicId, clinicId),
        eq(calls.direction, 'inbound'),
        inArray(calls.status, ['missed', 'voicemail']),
        isNotNull(calls.callerHash),
      ),
    )
    .as('latest')
}

function waitingWhere(latest: ReturnType<typeof latestMissedPerCaller>): SQL[] {
  return [
    eq(latest.rank, 1),
    isNull(latest.calledBackAt),
    isNull(latest.resolutionOutcome),
    isNull(latest.recoveredAppointmentId),
  ]
}

/**
 * The waiting list ("To call back"): every missed caller not yet called back, resolved or
 * recovered, one row per caller (their latest missed call), newest first, keyset-paginated on
 * (lastMissedAt, callId). Returns up to `limit + 1` rows (see `paginate`).
 */
export async function listWaitingCallers(
  db: Db,
  clinicId: string,
  options: { limit: number; cursor: { t: number; id: string } | null; now: number },
): Promise<WaitingCaller[]> {
  const latest = latestMissedPerCaller(db, clinicId)
  const where = waitingWhere(latest)
  const older = olderThan(latest.startedAt, latest.id, options.cursor)
  if (older) where.push(older)
  const rows = await db
    .select()
    .from(latest)
    .where(and(...where))
    .orderBy(desc(latest.startedAt), desc(latest.id))
    .limit(options.limit + 1)
  return rows.map((r) => ({
    callId: r.id,
    callerHash: r.callerHash ?? '',
    lastMissedAt: r.startedAt,
    missedCount: Number(r.missedCount),
    waitedMs: Math.max(0, options.now - r.startedAt),
    hasVoicemail: r.status === 'voicemail',
  }))
}

/** How many callers are on the waiting list (the navigation badge). */
export async function countWaitingCallers(db: Db, clinicId: string): Promise<number> {
  const latest = latestMissedPerCaller(db, clinicId)
  const [row] = await db
    .select({ n: count() })
    .from(latest)
    .where(and(...waitingWhere(latest)))
  return row?.n ?? 0
}

export type Resolution = 'called-back' | 'booked' | 'not-needed'

/**
 * Marks a missed call handled by hand. Idempotent: the first resolution stands (a repeat, even
 * with another outcome, changes nothing). Only missed calls can be resolved. Returns the call,
 * or null when the clinic has no such call.
 */
export async function resolveCall(
  db: Db,
  clinicId: string,
  id: string,
  input: { outcome: Resolution; by: string; now: number },
): Promise<CallRow | null> {
  await db
    .update(calls)
    .set({
      resolutionOutcome: input.outcome,
      resolvedAt: input.now,
      resolvedBy: input.by,
      updatedAt: input.now,
    })
    .where(
      and(
        eq(calls.clinicId, clinicId),
        eq(calls.id, id),
        isNull(calls.resolutionOutcome),
        inArray(calls.status, ['missed', 'voicemail']),
      ),
    )
  return findClinicCall(db, clinicId, id)
}
