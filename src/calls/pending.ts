/**
 * Recording callbacks that overtake their call's first webhook. The callback carries no `To`, so
 * the clinic is unknown until the call arrives: the fact (sids and a duration, never a number) is
 * parked here and merged by the call's first webhook, which then deletes it.
 */
import { eq, lt } from 'drizzle-orm'
import type { Db } from '../db/client'
import { pendingRecordings } from '../db/schema'
import { DAY_MS } from '../lib/time'

export type PendingRecording = typeof pendingRecordings.$inferSelect

/** A call's first webhook arrives within minutes; a parked fact older than this is dropped. */
export const PENDING_RECORDING_TTL_MS = DAY_MS

/** The recordings parked for a call, as a query for `db.batch`. */
export function pendingRecordingsQuery(db: Db, callSid: string) {
  return db.select().from(pendingRecordings).where(eq(pendingRecordings.callSid, callSid))
}

/** Parks a recording (idempotent on its sid), for `db.batch`. */
export function parkRecording(db: Db, fact: Omit<PendingRecording, 'receivedAt'>, now: number) {
  return db
    .insert(pendingRecordings)
    .values({ ...fact, receivedAt: now })
    .onConflictDoNothing()
}

/**
 * Deletes parked recordings whose call never came, for `db.batch`: they could never be merged, and
 * nothing should outlive the call data it belongs to.
 */
export function dropStaleRecordings(db: Db, now: number) {
  return db
    .delete(pendingRecordings)
    .where(lt(pendingRecordings.receivedAt, now - PENDING_RECORDING_TTL_MS))
}

/** Deletes a parked recording once it is merged into its call (and its copy job queued). */
export async function unparkRecording(db: Db, recordingSid: string): Promise<void> {
  await db.delete(pendingRecordings).where(eq(pendingRecordings.recordingSid, recordingSid))
}
