/**
 * D1 access for calls. Webhooks record facts with one atomic upsert whose merge is commutative
 * (answered beats missed, maxima for durations, first value for the rest, the earliest
 * `startedAt`), then `settleStatus` writes the status derived from the stored facts with an
 * optimistic check, so concurrent deliveries for one call cannot leave a stale status behind.
 */
import { and, eq, getTableColumns, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { calls } from '../db/schema'
import { newId } from '../lib/ids'
import { type CallStatus, type DialOutcome, deriveCallStatus } from './state'

export type CallRow = typeof calls.$inferSelect

/** Who and what a call is: known from any webhook that carries `To` and `From`. */
export type CallIdentity = {
  clinicId: string
  callSid: string
  direction: 'inbound' | 'outbound'
  trackingNumberId: string | null
  callerHash: string | null
  callerKind: 'mobile' | 'other' | 'withheld'
  /** Only used when this delivery creates the row. */
  screeningRequired: boolean
}

/** Facts a delivery adds. Absent fields leave the stored fact as it is. */
export type FactsUpdate = {
  dialOutcome?: DialOutcome
  finalCallStatus?: string
  screeningAccepted?: true
  voicemailSeconds?: number
  recordingKey?: string
  durationSeconds?: number
  endedAt?: number
}

/** `max()` that treats NULL as "unknown" rather than as the answer. */
const maxOf = (
  column: typeof calls.voicemailSeconds | typeof calls.durationSeconds,
  name: string,
) =>
  sql`CASE WHEN ${column} IS NULL THEN excluded.${sql.raw(name)} WHEN excluded.${sql.raw(name)} IS NULL THEN ${column} ELSE max(${column}, excluded.${sql.raw(name)}) END`

/**
 * The upsert that creates the call on its first delivery or merges this delivery's facts into it,
 * as a query for `db.batch`. It is an `INSERT … SELECT … WHERE guard`: with a guard (e.g. "the
 * tracking number still belongs to the clinic this identity was computed for, and the delivery is
 * not marked yet") nothing is written unless the guard holds inside the same transaction.
 * Returns the row after the merge (none when the guard failed); its `status` is still the one
 * stored before (see `settleStatus`).
 */
export function callFactsUpsert(
  db: Db,
  identity: CallIdentity,
  seenAt: number,
  update: FactsUpdate,
  guard: SQL = sql`1`,
) {
  const values: typeof calls.$inferInsert = {
    id: newId('call', seenAt),
    clinicId: identity.clinicId,
    callSid: identity.callSid,
    direction: identity.direction,
    trackingNumberId: identity.trackingNumberId,
    callerHash: identity.callerHash,
    callerKind: identity.callerKind,
    startedAt: seenAt,
    screeningRequired: identity.screeningRequired,
    dialOutcome: update.dialOutcome ?? null,
    finalCallStatus: update.finalCallStatus ?? null,
    screeningAccepted: update.screeningAccepted ?? false,
    voicemailSeconds: update.voicemailSeconds ?? null,
    recordingKey: update.recordingKey ?? null,
    durationSeconds: update.durationSeconds ?? null,
    endedAt: update.endedAt ?? null,
    updatedAt: seenAt,
  }
  return db
    .insert(calls)
    .select(sql`SELECT ${selectListOf(values)} WHERE ${guard}`)
    .onConflictDoUpdate({
      target: [calls.clinicId, calls.callSid],
      set: {
        // A call's time is when it first rang: the earliest webhook we saw for it.
        startedAt: sql`min(${calls.startedAt}, excluded.started_at)`,
        trackingNumberId: sql`coalesce(${calls.trackingNumberId}, excluded.tracking_number_id)`,
        dialOutcome: sql`CASE WHEN ${calls.dialOutcome} = 'answered' OR excluded.dial_outcome = 'answered' THEN 'answered' ELSE coalesce(${calls.dialOutcome}, excluded.dial_outcome) END`,
        finalCallStatus: sql`coalesce(${calls.finalCallStatus}, excluded.final_call_status)`,
        screeningAccepted: sql`max(${calls.screeningAccepted}, excluded.screening_accepted)`,
        voicemailSeconds: maxOf(calls.voicemailSeconds, 'voicemail_seconds'),
        recordingKey: sql`coalesce(${calls.recordingKey}, excluded.recording_key)`,
        durationSeconds: maxOf(calls.durationSeconds, 'duration_seconds'),
        endedAt: sql`coalesce(${calls.endedAt}, excluded.ended_at)`,
        updatedAt: seenAt,
      },
    })
    .returning()
}

/**
 * A SELECT list giving every column of `calls` in the table's column order — the order Drizzle
 * names them in `INSERT INTO calls (…) SELECT …` — with the column's default where `values` has
 * none, each value encoded as the column would encode it.
 */
function selectListOf(values: typeof calls.$inferInsert): SQL {
  const items = Object.entries(getTableColumns(calls)).map(([key, column]) => {
    const value = values[key as keyof typeof values]
    if (value !== undefined) return sql.param(value, column)
    if (column.default !== undefined) return sql.param(column.default, column)
    return sql`NULL`
  })
  return sql.join(items, sql`, `)
}

/** Creates the call on its first delivery, or merges this delivery's facts into it (one round trip). */
export async function upsertCallFacts(
  db: Db,
  identity: CallIdentity,
  seenAt: number,
  update: FactsUpdate,
): Promise<CallRow> {
  const [row] = await callFactsUpsert(db, identity, seenAt, update)
  if (!row) throw new Error('call upsert returned no row')
  return row
}

/** Merges facts into an existing call (found by clinic and sid); null when there is no such call. */
export async function addFactsToCall(
  db: Db,
  clinicId: string,
  callSid: string,
  update: Pick<FactsUpdate, 'screeningAccepted' | 'voicemailSeconds' | 'recordingKey'>,
  now: number,
): Promise<CallRow | null> {
  const set: Record<string, unknown> = { updatedAt: now }
  if (update.screeningAccepted) set.screeningAccepted = true
  if (update.voicemailSeconds !== undefined) {
    set.voicemailSeconds = sql`max(coalesce(${calls.voicemailSeconds}, 0), ${update.voicemailSeconds})`
  }
  if (update.recordingKey !== undefined) {
    set.recordingKey = sql`coalesce(${calls.recordingKey}, ${update.recordingKey})`
  }
  const [row] = await db
    .update(calls)
    .set(set)
    .where(and(eq(calls.clinicId, clinicId), eq(calls.callSid, callSid)))
    .returning()
  return row ?? null
}

/** The call with this Twilio sid (sids are globally unique), as a query for `db.batch`. */
export function callBySidQuery(db: Db, callSid: string) {
  return db.select().from(calls).where(eq(calls.callSid, callSid)).limit(1)
}

/** Finds a call by its Twilio sid alone (sids are globally unique), for callbacks that carry no `To`. */
export async function findCallBySid(db: Db, callSid: string): Promise<CallRow | null> {
  const [row] = await callBySidQuery(db, callSid)
  return row ?? null
}

/** A clinic's call by sid, as a query for `db.batch`. */
export function callQuery(db: Db, clinicId: string, callSid: string) {
  return db
    .select()
    .from(calls)
    .where(and(eq(calls.clinicId, clinicId), eq(calls.callSid, callSid)))
    .limit(1)
}

export type StatusChange = { call: CallRow; previousStatus: CallStatus; changed: boolean }

/**
 * Writes the status derived from the row's facts. The write only lands if the facts (and the
 * stored status) are still the ones it was derived from; otherwise another delivery got there
 * first, so re-read and derive again. Exactly one writer sees `changed` for each transition.
 */
export async function settleStatus(db: Db, row: CallRow, now: number): Promise<StatusChange> {
  let current = row
  for (let attempt = 0; attempt < 5; attempt++) {
    const next = deriveCallStatus(current)
    if (next === current.status) {
      return { call: current, previousStatus: current.status, changed: false }
    }
    const updated = await db
      .update(calls)
      .set({ status: next, updatedAt: now })
      .where(
        and(
          eq(calls.id, current.id),
          eq(calls.status, current.status),
          sql`${calls.dialOutcome} IS ${current.dialOutcome}`,
          sql`${calls.finalCallStatus} IS ${current.finalCallStatus}`,
          sql`${calls.voicemailSeconds} IS ${current.voicemailSeconds}`,
          eq(calls.screeningAccepted, current.screeningAccepted),
        ),
      )
      .returning()
    const [written] = updated
    if (written) return { call: written, previousStatus: current.status, changed: true }
    const [fresh] = await db.select().from(calls).where(eq(calls.id, current.id)).limit(1)
    if (!fresh) throw new Error('call vanished while settling')
    current = fresh
  }
  throw new Error('call status did not settle')
}
