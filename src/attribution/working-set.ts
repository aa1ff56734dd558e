/**
 * The attribution working set inside the clinic's Durable Object (its SQLite storage): the
 * clinic's inbound calls, recovery touches and appointments, and each appointment's current
 * outcome. Every method is synchronous (`sql.exec` only), so one decision never interleaves with
 * another event of the same clinic; the Worker writes the returned changes to D1 afterwards.
 *
 * Duplicates change nothing: rows are keyed by id and written with INSERT … ON CONFLICT, and a
 * call reported twice keeps its most advanced status (rules.ts `mergeCallStatus`). Every change
 * stays unsynced (attr_unsynced) until D1 confirms it; a call purge makes the bookings it
 * recovered final (attr_final) so purging never rewrites an outcome.
 */
import { affectedInstants } from './outcomes'
import {
  type AttributionFact,
  type AttributionOutcome,
  type AttributionPath,
  type InboundCallStatus,
  mergeCallStatus,
  settle,
} from './rules'

/** An outcome that changed in this decision, with what the Worker needs to write it to D1. */
export type SettledChange = AttributionOutcome & {
  /** t_A of the appointment (its local day carries the recovered revenue). */
  appointmentAt: number
  /** t_M* of the recovered call, or null. */
  callAt: number | null
  /** The call this appointment recovered before this decision, if any (to clear it in D1). */
  previousCallId: string | null
  previousCallAt: number | null
  /** Strictly increasing per clinic: D1 applies a change only over an older one. */
  settledAt: number
}

/**
 * A decision D1 has not confirmed yet: the latest change of one appointment, and every instant
 * whose local day's metrics the unconfirmed changes of that appointment touch.
 */
export type UnsyncedOutcome = { change: SettledChange; instants: number[] }

/** An appointment's stored outcome. */
export type StoredOutcome = AttributionOutcome & {
  appointmentAt: number
  /** t_M* of the recovered call, or null. */
  callAt: number | null
  settledAt: number | null
}

type Row = Record<string, SqlStorageValue>

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS attr_calls (
     id TEXT PRIMARY KEY, caller_hash TEXT NOT NULL, at INTEGER NOT NULL, status TEXT NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS attr_calls_caller_idx ON attr_calls (caller_hash, at)',
  `CREATE TABLE IF NOT EXISTS attr_touches (
     id TEXT NOT NULL, kind TEXT NOT NULL, caller_hash TEXT NOT NULL, at INTEGER NOT NULL,
     PRIMARY KEY (kind, id))`,
  'CREATE INDEX IF NOT EXISTS attr_touches_caller_idx ON attr_touches (caller_hash, at)',
  `CREATE TABLE IF NOT EXISTS attr_appointments (
     id TEXT PRIMARY KEY, caller_hash TEXT NOT NULL, at INTEGER NOT NULL,
     status TEXT, call_id TEXT, path TEXT, rule_version INTEGER, settled_at INTEGER)`,
  'CREATE INDEX IF NOT EXISTS attr_appointments_caller_idx ON attr_appointments (caller_hash, at)',
  'CREATE TABLE IF NOT EXISTS attr_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)',
  // Decisions D1 has not confirmed (no personal data: ids, times and the outcome only).
  `CREATE TABLE IF NOT EXISTS attr_unsynced (
     appointment_id TEXT PRIMARY KEY, settled_at INTEGER NOT NULL, change TEXT NOT NULL,
     instants TEXT NOT NULL, failed INTEGER NOT NULL DEFAULT 0)`,
  // Appointments that left the working set with their outcome final because the call they
  // recovered was purged (no caller hash): a reload from D1 or a repeat must not bring them back.
  'CREATE TABLE IF NOT EXISTS attr_final (id TEXT PRIMARY KEY, at INTEGER NOT NULL)',
]

export class AttributionWorkingSet {
  constructor(
    private readonly sql: SqlStorage,
    private readonly clock: () => number = Date.now,
  ) {
    for (const statement of SCHEMA) sql.exec(statement)
    // Added after the first version of the table: objects created before it get the column here.
    const columns = sql
      .exec('PRAGMA table_info(attr_calls)')
      .toArray()
      .map((r) => String(r.name))
    if (!columns.includes('frozen_spent')) {
      sql.exec('ALTER TABLE attr_calls ADD COLUMN frozen_spent INTEGER NOT NULL DEFAULT 0')
    }
  }

  /**
   * Closes the window before `beforeMs`: appointments booked earlier are final and leave the
   * working set. The calls they spent stay spent (flag `frozen_spent`) for as long as a later
   * booking could still see them, and calls and touches too old to matter to any booking at or
   * after `beforeMs` (older than `beforeMs` − W) are dropped. Returns what was removed.
   */
  prune(
    beforeMs: number,
    windowDays: number,
  ): { appointments: number; calls: number; touches: number } {
    const horizon = beforeMs - windowDays * 86_400_000
    this.sql.exec(
      `UPDATE attr_calls SET frozen_spent = 1 WHERE id IN (
         SELECT call_id FROM attr_appointments WHERE at < ? AND call_id IS NOT NULL)`,
      beforeMs,
    )
    const appointments = this.sql.exec(
      'DELETE FROM attr_appointments WHERE at < ?',
      beforeMs,
    ).rowsWritten
    const calls = this.sql.exec('DELETE FROM attr_calls WHERE at < ?', horizon).rowsWritten
    const touches = this.sql.exec('DELETE FROM attr_touches WHERE at < ?', horizon).rowsWritten
    return { appointments, calls, touches }
  }

  /** Stores facts without settling (bulk loads); returns the callers they touch. */
  record(facts: readonly AttributionFact[]): Set<string> {
    const callers = new Set<string>()
    // History before the last call purge is final: its calls are gone from D1 too, and a late
    // or reloaded copy of it must not change any outcome (see closeBefore).
    const purgedBefore = this.meta('purged_before') ?? Number.NEGATIVE_INFINITY
    for (const fact of facts) {
      if (fact.at < purgedBefore) continue
      if (fact.kind === 'appointment' && this.isFinal(fact.id)) continue
      callers.add(fact.callerHash)
      if (fact.kind === 'inbound-call') this.recordCall(fact)
      else if (fact.kind === 'appointment') {
        this.sql.exec(
          `INSERT INTO attr_appointments (id, caller_hash, at) VALUES (?, ?, ?)
           ON CONFLICT (id) DO NOTHING`,
          fact.id,
          fact.callerHash,
          fact.at,
        )
      } else {
        this.sql.exec(
          `INSERT INTO attr_touches (id, kind, caller_hash, at) VALUES (?, ?, ?, ?)
           ON CONFLICT (kind, id) DO UPDATE SET at = min(at, excluded.at)`,
          fact.id,
          fact.kind,
          fact.callerHash,
          fact.at,
        )
      }
    }
    return callers
  }

  private recordCall(fact: Extract<AttributionFact, { kind: 'inbound-call' }>): void {
    const [existing] = this.sql
      .exec('SELECT status, at FROM attr_calls WHERE id = ?', fact.id)
      .toArray()
    if (!existing) {
      this.sql.exec(
        'INSERT INTO attr_calls (id, caller_hash, at, status) VALUES (?, ?, ?, ?)',
        fact.id,
        fact.callerHash,
        fact.at,
        fact.status,
      )
      return
    }
    const status = mergeCallStatus(existing.status as InboundCallStatus, fact.status)
    // A call's time is when it first rang: keep the earliest report, whatever arrives first.
    const at = Math.min(Number(existing.at), fact.at)
    if (status !== existing.status || at !== Number(existing.at)) {
      this.sql.exec('UPDATE attr_calls SET status = ?, at = ? WHERE id = ?', status, at, fact.id)
    }
  }

  /** Records facts and re-settles every caller they touch; returns the outcomes that changed. */
  apply(facts: readonly AttributionFact[], windowDays: number): SettledChange[] {
    return this.settleCallers(this.record(facts), windowDays)
  }

  /** Re-settles the given callers (all callers when omitted). */
  settleCallers(callers: Iterable<string> | null, windowDays: number): SettledChange[] {
    const list =
      callers === null
        ? this.sql
            .exec('SELECT DISTINCT caller_hash FROM attr_appointments')
            .toArray()
            .map((r) => String(r.caller_hash))
        : [...callers]
    const changes: SettledChange[] = []
    for (const callerHash of list) changes.push(...this.settleCaller(callerHash, windowDays))
    return changes
  }

  /**
   * Settles one caller's appointments. Rules v1 only ever relate events of the same caller, so
   * a caller's outcomes depend on that caller's events alone and this is exact.
   */
  private settleCaller(callerHash: string, windowDays: number): SettledChange[] {
    const appointments = this.sql
      .exec('SELECT * FROM attr_appointments WHERE caller_hash = ?', callerHash)
      .toArray()
    if (appointments.length === 0) return []
    const facts: AttributionFact[] = []
    const callTimes = new Map<string, number>()
    for (const r of this.sql.exec('SELECT * FROM attr_calls WHERE caller_hash = ?', callerHash)) {
      callTimes.set(String(r.id), Number(r.at))
      // Spent by a booking that has left the window: never a candidate again.
      if (Number(r.frozen_spent) === 1) continue
      facts.push({
        kind: 'inbound-call',
        id: String(r.id),
        callerHash,
        at: Number(r.at),
        status: r.status as InboundCallStatus,
      })
    }
    for (const r of this.sql.exec('SELECT * FROM attr_touches WHERE caller_hash = ?', callerHash)) {
      facts.push({
        kind: r.kind as 'callback' | 'text-back-reply',
        id: String(r.id),
        callerHash,
        at: Number(r.at),
      })
    }
    const stored = new Map<string, Row>()
    for (const r of appointments) {
      stored.set(String(r.id), r)
      facts.push({ kind: 'appointment', id: String(r.id), callerHash, at: Number(r.at) })
    }

    const changes: SettledChange[] = []
    for (const outcome of settle(facts, { windowDays })) {
      const before = stored.get(outcome.appointmentId)!
      const same =
        before.status === outcome.status &&
        before.call_id === outcome.callId &&
        before.path === outcome.path &&
        before.rule_version === outcome.ruleVersion
      if (same) continue
      const settledAt = this.nextSettledAt()
      this.sql.exec(
        `UPDATE attr_appointments SET status = ?, call_id = ?, path = ?, rule_version = ?, settled_at = ?
         WHERE id = ?`,
        outcome.status,
        outcome.callId,
        outcome.path,
        outcome.ruleVersion,
        settledAt,
        outcome.appointmentId,
      )
      const previousCallId = before.call_id === null ? null : String(before.call_id)
      const change: SettledChange = {
        ...outcome,
        appointmentAt: Number(before.at),
        callAt: outcome.callId === null ? null : (callTimes.get(outcome.callId) ?? null),
        previousCallId,
        previousCallAt: previousCallId === null ? null : (callTimes.get(previousCallId) ?? null),
        settledAt,
      }
      // In the same synchronous step as the decision: D1 is behind until it confirms.
      this.markUnsynced(change)
      changes.push(change)
    }
    return changes
  }

  /**
   * Keeps `change` as the appointment's unsynced decision. A newer decision replaces an older
   * unconfirmed one, and the days both touch stay on the list of metrics to refresh.
   */
  private markUnsynced(change: SettledChange): void {
    const [previous] = this.sql
      .exec('SELECT instants FROM attr_unsynced WHERE appointment_id = ?', change.appointmentId)
      .toArray()
    const instants = new Set<number>(previous ? JSON.parse(String(previous.instants)) : [])
    for (const t of affectedInstants([change])) instants.add(t)
    this.sql.exec(
      `INSERT INTO attr_unsynced (appointment_id, settled_at, change, instants) VALUES (?, ?, ?, ?)
       ON CONFLICT (appointment_id) DO UPDATE SET settled_at = excluded.settled_at,
         change = excluded.change, instants = excluded.instants, failed = 0`,
      change.appointmentId,
      change.settledAt,
      JSON.stringify(change),
      JSON.stringify([...instants]),
    )
  }

  /** Decisions D1 has not confirmed yet, oldest first. */
  unsynced(limit: number): UnsyncedOutcome[] {
    return this.sql
      .exec('SELECT change, instants FROM attr_unsynced ORDER BY settled_at LIMIT ?', limit)
      .toArray()
      .map(toUnsynced)
  }

  /**
   * What a Worker settling new facts should write besides its own `changes`: decisions whose
   * write is known to have failed, or that have been unconfirmed for longer than a write takes
   * (`inFlightMs`; a crash). Decisions other Workers are still writing are left to them, so a
   * burst of events costs each one its own write, not everyone's.
   */
  unsyncedFor(changes: readonly SettledChange[], inFlightMs: number, limit: number) {
    const own = changes.flatMap((c) =>
      this.sql
        .exec(
          'SELECT change, instants FROM attr_unsynced WHERE appointment_id = ? AND settled_at = ?',
          c.appointmentId,
          c.settledAt,
        )
        .toArray()
        .map(toUnsynced),
    )
    const ownIds = new Set(changes.map((c) => c.appointmentId))
    const due = this.sql
      .exec(
        `SELECT change, instants, appointment_id FROM attr_unsynced
         WHERE failed = 1 OR settled_at < ? ORDER BY settled_at LIMIT ?`,
        this.clock() - inFlightMs,
        limit,
      )
      .toArray()
      .filter((r) => !ownIds.has(String(r.appointment_id)))
      .map(toUnsynced)
    return [...own, ...due]
  }

  /** A Worker could not write these decisions: the next event's Worker writes them too. */
  writeFailed(decisions: ReadonlyArray<{ appointmentId: string; settledAt: number }>): void {
    for (const d of decisions) {
      this.sql.exec(
        'UPDATE attr_unsynced SET failed = 1 WHERE appointment_id = ? AND settled_at = ?',
        d.appointmentId,
        d.settledAt,
      )
    }
  }

  /** How many decisions D1 has not confirmed yet. */
  unsyncedCount(): number {
    return Number(this.sql.exec('SELECT count(*) AS n FROM attr_unsynced').one().n)
  }

  /**
   * D1 holds these decisions: forget them as unsynced. Keyed by `settledAt`, so the confirmation
   * of an older decision never clears a newer one taken meanwhile. Returns how many were cleared.
   */
  confirmSynced(synced: ReadonlyArray<{ appointmentId: string; settledAt: number }>): number {
    let cleared = 0
    for (const s of synced) {
      cleared += this.sql.exec(
        'DELETE FROM attr_unsynced WHERE appointment_id = ? AND settled_at = ?',
        s.appointmentId,
        s.settledAt,
      ).rowsWritten
    }
    return cleared
  }

  /** Counts a failed attempt to write the unsynced decisions to D1; returns the failures so far. */
  syncFailed(): number {
    const failures = (this.meta('sync_failures') ?? 0) + 1
    this.setMeta('sync_failures', failures)
    return failures
  }

  /** A write to D1 went through: the backoff starts afresh. */
  syncSucceeded(): void {
    this.sql.exec("DELETE FROM attr_meta WHERE key = 'sync_failures'")
  }

  /**
   * Before a call purge at `cutoffMs`: every appointment whose recovering call is about to be
   * purged (or is already gone) becomes final — it keeps its outcome and leaves the working set,
   * remembered by id and time only, so no later re-settlement, reload or repeat can un-recover
   * it. From now on nothing older than the cut-off is taken in (`record`), so a purged call can
   * never come back as a candidate. Finals older than the cut-off are forgotten: their bookings'
   * links to the caller are purged from D1 in the same job. Returns the appointments finalised.
   */
  closeBefore(cutoffMs: number): number {
    const finals = this.sql
      .exec(
        `SELECT a.id, a.at FROM attr_appointments a LEFT JOIN attr_calls c ON c.id = a.call_id
         WHERE a.call_id IS NOT NULL AND a.at >= ? AND (c.id IS NULL OR c.at < ?)`,
        cutoffMs,
        cutoffMs,
      )
      .toArray()
    for (const r of finals) {
      this.sql.exec(
        'INSERT INTO attr_final (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
        r.id,
        r.at,
      )
      this.sql.exec('DELETE FROM attr_appointments WHERE id = ?', r.id)
    }
    this.setMeta('purged_before', Math.max(this.meta('purged_before') ?? cutoffMs, cutoffMs))
    this.sql.exec('DELETE FROM attr_final WHERE at < ?', cutoffMs)
    return finals.length
  }

  private isFinal(appointmentId: string): boolean {
    return (
      this.sql.exec('SELECT 1 FROM attr_final WHERE id = ?', appointmentId).toArray().length > 0
    )
  }

  private meta(key: string): number | null {
    const [row] = this.sql.exec('SELECT value FROM attr_meta WHERE key = ?', key).toArray()
    return row ? Number(row.value) : null
  }

  private setMeta(key: string, value: number): void {
    this.sql.exec(
      `INSERT INTO attr_meta (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      key,
      value,
    )
  }

  /** Monotonic per clinic even if the clock stalls or steps back. */
  private nextSettledAt(): number {
    const last = this.meta('last_settled_at')
    const next = Math.max(this.clock(), last === null ? 0 : last + 1)
    this.setMeta('last_settled_at', next)
    return next
  }

  /** Current outcomes of the given appointments (unknown ids are left out). */
  outcomes(appointmentIds: readonly string[]): StoredOutcome[] {
    const out: StoredOutcome[] = []
    for (const id of appointmentIds) {
      const [r] = this.sql.exec('SELECT * FROM attr_appointments WHERE id = ?', id).toArray()
      if (!r) continue
      const callId = r.call_id === null ? null : String(r.call_id)
      const [call] = callId
        ? this.sql.exec('SELECT at FROM attr_calls WHERE id = ?', callId).toArray()
        : []
      out.push({
        appointmentId: id,
        status: r.status === 'recovered' ? 'recovered' : 'unattributed',
        callId,
        path: r.path === null ? null : (r.path as AttributionPath),
        ruleVersion: Number(r.rule_version ?? 1),
        appointmentAt: Number(r.at),
        callAt: call ? Number(call.at) : null,
        settledAt: r.settled_at === null ? null : Number(r.settled_at),
      })
    }
    return out
  }
}

function toUnsynced(r: Record<string, SqlStorageValue>): UnsyncedOutcome {
  return {
    change: JSON.parse(String(r.change)) as SettledChange,
    instants: JSON.parse(String(r.instants)) as number[],
  }
}
