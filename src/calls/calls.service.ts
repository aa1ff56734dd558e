/**
 * Calls' reads shared by the JSON API and the dashboard: the filtered, keyset-paginated calls
 * list and the "to call back" worklist. Every query is scoped to one clinic.
 */
import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, ne, or, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client'
import { calls } from '../db/schema'
import type { CallStatus } from './state'
import type { CallRow } from './store'

export type CallFilters = {
  /** Leave out calls still ringing (the API lists settled calls only). */
  settledOnly?: boolean | undefined
  status?: CallStatus | undefined
  direction?: 'inbound' | 'outbound' | undefined
  /** `waiting`: missed or voicemail with no callback yet; `called-back`: any with a callback. */
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
    where.push(inArray(calls.status, ['missed', 'voicemail']), isNull(calls.calledBackAt))
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
  if (cursor) {
    where.push(
      or(
        lt(calls.startedAt, cursor.t),
        and(eq(calls.startedAt, cursor.t), lt(calls.id, cursor.id)),
      ) as SQL,
    )
  }
  return db
    .select()
    .from(calls)
    .where(and(...where))
    .orderBy(desc(calls.startedAt), desc(calls.id))
    .limit(limit + 1)
}

/** One call of the clinic, or null (another clinic's call is simply not found). */
export async function findClinicCall(
  db: Db,
  clinicId: string,
  id: string,
): Promise<CallRow | null> {
  const [row] = await db
    .select()
    .from(calls)
    .where(and(eq(calls.clinicId, clinicId), eq(calls.id, id)))
    .limit(1)
  return row ?? null
}

export type ToCallBack = {
  callId: string
  callerHash: string
  firstMissedAt: number
  missedCount: number
}

/**
 * Callers still waiting for a callback, oldest first: one line per caller (their oldest missed
 * call in the window and how many times they rang), skipping withheld numbers (nobody to call).
 */
export function toCallBackList(
  rows: readonly { id: string; callerHash: string | null; startedAt: number }[],
  limit: number,
): ToCallBack[] {
  const byCaller = new Map<string, ToCallBack>()
  for (const r of [...rows].sort((a, b) => a.startedAt - b.startedAt)) {
    if (!r.callerHash) continue
    const seen = byCaller.get(r.callerHash)
    if (seen) seen.missedCount++
    else
      byCaller.set(r.callerHash, {
        callId: r.id,
        callerHash: r.callerHash,
        firstMissedAt: r.startedAt,
        missedCount: 1,
      })
  }
  return [...byCaller.values()].slice(0, limit)
}

/**
 * The "to call back" worklist: missed callers since `sinceMs` (the attribution window) with no
 * callback and no booking yet, one line per caller, oldest first.
 */
export async function listToCallBack(
  db: Db,
  clinicId: string,
  sinceMs: number,
  limit: number,
): Promise<ToCallBack[]> {
  const pending = await db
    .select({ id: calls.id, callerHash: calls.callerHash, startedAt: calls.startedAt })
    .from(calls)
    .where(
      and(
        eq(calls.clinicId, clinicId),
        eq(calls.direction, 'inbound'),
        inArray(calls.status, ['missed', 'voicemail']),
        isNull(calls.calledBackAt),
        isNull(calls.recoveredAppointmentId),
        isNotNull(calls.callerHash),
        gte(calls.startedAt, sinceMs),
      ),
    )
    .orderBy(calls.startedAt)
    .limit(500)
  return toCallBackList(pending, limit)
}
