/**
 * Tracking number → clinic ("the line"), cached per isolate so the inbound voice webhook can do
 * its work in one D1 round trip. The cache is only ever a hint; see `lineGuard` for why a stale
 * entry can never store or answer anything wrong.
 */
import { eq, type SQL, sql } from 'drizzle-orm'
import type { ClinicRow } from '../clinic/find'
import type { Db } from '../db/client'
import { clinics, trackingNumbers } from '../db/schema'

export type Line = {
  clinic: ClinicRow
  trackingNumberId: string
  forwardTo: string
  phoneNumber: string
}

/**
 * How the cache stays correct across isolates (each holds its own copy, and a settings change in
 * one isolate cannot reach the others):
 *  - Every webhook that uses a cached line re-reads the line in the SAME `db.batch` as its work
 *    (`lineQuery`, a primary-key-sized indexed read), and answers from that fresh read: a changed
 *    forwarding number, ring timeout, clinic name or screening setting is used at once.
 *  - The writes in that batch are guarded by `lineGuard`: they only land if the number still maps
 *    to the same tracking-number row and clinic, and the clinic's country and screening (what the
 *    caller hash and the stored call depend on) are unchanged. If not — the number was deleted,
 *    moved to another clinic, or those settings changed — nothing is written, the cache is
 *    refreshed from the fresh read, and the batch is redone once with it (the second round trip).
 * So there is no TTL and no version column: staleness is detected in the transaction that would
 * have used it. The Map is bounded (oldest entry out first) so a flood of numbers cannot grow it.
 */
const MAX_LINES = 1000
const lines = new Map<string, Line>()

/** The line for a tracking number (E.164), as a query for `db.batch`. */
export function lineQuery(db: Db, e164: string) {
  return db
    .select({
      clinic: clinics,
      // Aliased: inside `db.batch`, Drizzle maps D1's rows by column name, and two `id`s collide.
      trackingNumberId: sql<string>`${trackingNumbers.id}`.as('tracking_number_id'),
      forwardTo: trackingNumbers.forwardTo,
      phoneNumber: trackingNumbers.phoneNumber,
    })
    .from(trackingNumbers)
    .innerJoin(clinics, eq(clinics.id, trackingNumbers.clinicId))
    .where(eq(trackingNumbers.phoneNumber, e164))
    .limit(1)
}

/** This isolate's copy of the line, if any (a hint: validate with `lineGuard`). */
export function cachedLine(e164: string): Line | undefined {
  return lines.get(e164)
}

/** Records what a fresh read returned: the line, or null when the number is not (or no longer) ours. */
export function rememberLine(e164: string, line: Line | null): void {
  lines.delete(e164)
  if (!line) return
  lines.set(e164, line)
  if (lines.size > MAX_LINES) {
    const oldest = lines.keys().next().value
    if (oldest !== undefined) lines.delete(oldest)
  }
}

/** Reads the line (one round trip) and refreshes the cache with it. */
export async function readLine(db: Db, e164: string): Promise<Line | null> {
  const [row] = await lineQuery(db, e164)
  rememberLine(e164, row ?? null)
  return row ?? null
}

/**
 * An SQL condition that holds when `line` is still what the database says for this number, in
 * everything a stored call depends on: the tracking-number row, its clinic, the clinic's country
 * (used to parse and hash the caller) and its screening setting (stored on a new call).
 */
export function lineGuard(line: Line): SQL {
  return sql`EXISTS (SELECT 1 FROM ${trackingNumbers} JOIN ${clinics} ON ${clinics.id} = ${trackingNumbers.clinicId}
    WHERE ${trackingNumbers.phoneNumber} = ${line.phoneNumber} AND ${trackingNumbers.id} = ${line.trackingNumberId}
      AND ${clinics.id} = ${line.clinic.id} AND ${clinics.country} = ${line.clinic.country}
      AND ${clinics.callScreening} = ${line.clinic.callScreening ? 1 : 0})`
}

/** Whether two reads of a line agree on everything `lineGuard` checks. */
export function sameIdentity(a: Line, b: Line): boolean {
  return (
    a.trackingNumberId === b.trackingNumberId &&
    a.clinic.id === b.clinic.id &&
    a.clinic.country === b.clinic.country &&
    a.clinic.callScreening === b.clinic.callScreening
  )
}
