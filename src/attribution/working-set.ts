/**
 * The attribution working set inside the clinic's Durable Object (its SQLite storage): the
 * clinic's inbound calls, recovery touches and appointments, and each appointment's current
 * outcome. Every method is synchronous (`sql.exec` only), so one decision never interleaves with
 * another event of the same clinic; the Worker writes the returned changes to D1 afterwards.
 *
 * Duplicates change nothing: rows are keyed by id and written with INSERT … ON CONFLICT, and a
 * call reported twice keeps its most advanced status (rules.ts `mergeCallStatus`).
 */
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
    for (const fact of facts) {
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
      changes.push({
        ...outcome,
        appointmentAt: Number(before.at),
        callAt: outcome.callId === null ? null : (callTimes.get(outcome.callId) ?? null),
        previousCallId,
        previousCallAt: previousCallId === null ? null : (callTimes.get(previousCallId) ?? null),
        settledAt,
      })
    }
    return changes
  }

  /** Monotonic per clinic even if the clock stalls or steps back. */
  private nextSettledAt(): number {
    const [row] = this.sql
      .exec("SELECT value FROM attr_meta WHERE key = 'last_settled_at'")
      .toArray()
    const next = Math.max(this.clock(), row ? Number(row.value) + 1 : 0)
    this.sql.exec(
      `INSERT INTO attr_meta (key, value) VALUES ('last_settled_at', ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      next,
    )
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

  /** Forgets a caller entirely (data-subject erasure). */
  forgetCaller(callerHash: string): void {
    for (const table of ['attr_calls', 'attr_touches', 'attr_appointments']) {
      this.sql.exec(`DELETE FROM ${table} WHERE caller_hash = ?`, callerHash)
    }
  }

  /** Counts of what the working set holds (tests, diagnostics). */
  size(): { calls: number; touches: number; appointments: number } {
    const count = (table: string) =>
      Number(this.sql.exec(`SELECT count(*) AS n FROM ${table}`).one().n)
    return {
      calls: count('attr_calls'),
      touches: count('attr_touches'),
      appointments: count('attr_appointments'),
    }
  }
}
