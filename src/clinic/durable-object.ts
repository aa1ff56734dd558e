/**
 * One Durable Object per clinic (`env.CLINIC.getByName(clinicId)`). It serialises what must never
 * interleave for a clinic: appending to the audit hash chain, and (see src/attribution) settling
 * attribution. Decisions use synchronous SQLite storage calls only; side effects (D1 writes,
 * queues) happen in the Worker after the decision returns.
 */
import { DurableObject } from 'cloudflare:workers'
import type { AttributionFact } from '../attribution/rules'
import {
  AttributionWorkingSet,
  type SettledChange,
  type StoredOutcome,
} from '../attribution/working-set'
import {
  type AuditAnchor,
  AuditChain,
  type AuditEntry,
  type AuditInput,
  type AuditVerification,
} from '../audit/chain'
import type { Bindings } from '../env'
import { newId } from '../lib/ids'

/** Column names that hold a person's keyed hash (see eraseSubject). */
const SUBJECT_HASH_COLUMN = /^(caller|contact|subject|sender|recipient|patient)_?hash$/i

export class ClinicDurableObject extends DurableObject<Bindings> {
  private readonly audit: AuditChain
  private readonly attribution: AttributionWorkingSet

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.audit = new AuditChain(ctx.storage.sql)
    this.attribution = new AttributionWorkingSet(ctx.storage.sql)
  }

  /**
   * Attribution: records events and re-settles the callers they concern, synchronously (no await
   * inside the decision). Returns the outcomes that changed and the current outcome of every
   * appointment among `facts`.
   */
  async settleAttribution(
    facts: AttributionFact[],
    windowDays: number,
  ): Promise<{ changes: SettledChange[]; outcomes: StoredOutcome[] }> {
    const changes = this.attribution.apply(facts, windowDays)
    const ids = facts.filter((f) => f.kind === 'appointment').map((f) => f.id)
    return { changes, outcomes: this.attribution.outcomes(ids) }
  }

  /** Attribution bulk load (no settling): used to rebuild the working set from D1 in chunks. */
  async loadAttributionFacts(facts: AttributionFact[]): Promise<number> {
    return this.attribution.record(facts).size
  }

  /** Re-settles every caller in the attribution working set (after a bulk load or a window change). */
  async resettleAttribution(windowDays: number): Promise<SettledChange[]> {
    return this.attribution.settleCallers(null, windowDays)
  }

  /** Closes the attribution window before `beforeMs` (bookings earlier are final). */
  async pruneAttribution(
    beforeMs: number,
    windowDays: number,
  ): Promise<{ appointments: number; calls: number; touches: number }> {
    return this.attribution.prune(beforeMs, windowDays)
  }

  /** Current attribution outcomes of appointments, as the object holds them. */
  async attributionOutcomes(appointmentIds: string[]): Promise<StoredOutcome[]> {
    return this.attribution.outcomes(appointmentIds)
  }

  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    return this.audit.append(input, () => newId('aud'))
  }

  async listAudit(limit: number, beforeSeq: number | null): Promise<AuditEntry[]> {
    return this.audit.list(limit, beforeSeq)
  }

  async verifyAudit(): Promise<AuditVerification> {
    return this.audit.verify()
  }

  /**
   * Audit retention: removes up to `limit` entries older than `cutoffMs` and, in the same atomic
   * step, appends an `audit.retention` entry vouching for the new anchor (counts only).
   * Call until `removed < limit`.
   */
  async purgeAudit(
    cutoffMs: number,
    limit = 1000,
  ): Promise<{ removed: number; anchor: AuditAnchor }> {
    const result = this.audit.purgeBefore(cutoffMs, limit)
    if (result.removed > 0) {
      this.audit.append(
        {
          actor: 'system:retention',
          action: 'audit.retention',
          target: 'audit-log',
          details: {
            removed: result.removed,
            anchorSeq: result.anchor.seq,
            anchorHash: result.anchor.hash,
            cutoff: cutoffMs,
          },
        },
        () => newId('aud'),
      )
    }
    return result
  }

  /**
   * Erasure: deletes every row of this object's working tables (e.g. attribution's) keyed by the
   * subject's hash, and every key-value entry whose key contains it. Generic on purpose, so
   * tables added later by other features are covered: any column named `*_hash`/`*Hash` for a
   * caller, contact, subject, sender or recipient counts. The audit chain holds no subject
   * hashes and is never touched.
   */
  async eraseSubject(subjectHash: string): Promise<{ rows: number; keys: number }> {
    const sql = this.ctx.storage.sql
    let rows = 0
    for (const table of this.subjectTables()) {
      for (const column of table.hashColumns) {
        // Counted first: `rowsWritten` would also count index entries.
        rows += Number(
          sql
            .exec(`SELECT COUNT(*) AS n FROM "${table.name}" WHERE "${column}" = ?`, subjectHash)
            .one().n,
        )
        sql.exec(`DELETE FROM "${table.name}" WHERE "${column}" = ?`, subjectHash)
      }
    }
    const doomed = [...(await this.ctx.storage.list()).keys()].filter((k) =>
      k.includes(subjectHash),
    )
    if (doomed.length > 0) await this.ctx.storage.delete(doomed)
    return { rows, keys: doomed.length }
  }

  /**
   * Call-data retention for this object's working tables: deletes rows older than `cutoffMs`
   * from every table that has a subject-hash column and an `at` time column (the attribution
   * working set keeps copies of calls and appointments). Returns the rows removed.
   */
  async purgeSubjectRowsBefore(cutoffMs: number): Promise<number> {
    const sql = this.ctx.storage.sql
    let rows = 0
    for (const table of this.subjectTables()) {
      if (!table.columns.includes('at')) continue
      rows += Number(
        sql.exec(`SELECT COUNT(*) AS n FROM "${table.name}" WHERE at < ?`, cutoffMs).one().n,
      )
      sql.exec(`DELETE FROM "${table.name}" WHERE at < ?`, cutoffMs)
    }
    return rows
  }

  /** Tables (other than the audit chain) with a column holding a person's keyed hash. */
  private subjectTables(): { name: string; columns: string[]; hashColumns: string[] }[] {
    const sql = this.ctx.storage.sql
    return sql
      .exec(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT GLOB '_cf_*' AND name NOT IN ('audit_log', 'audit_anchor')",
      )
      .toArray()
      .map((r) => String(r.name))
      .filter((name) => /^[A-Za-z0-9_]+$/.test(name))
      .map((name) => {
        const columns = sql
          .exec(`PRAGMA table_info("${name}")`)
          .toArray()
          .map((r) => String(r.name))
        return { name, columns, hashColumns: columns.filter((c) => SUBJECT_HASH_COLUMN.test(c)) }
      })
      .filter((t) => t.hashColumns.length > 0)
  }

  /** A terminated clinic's purge: wipes this object's whole storage (audit chain included). */
  async destroyStorage(): Promise<void> {
    await this.ctx.storage.deleteAll()
    // Recreate the (now empty) tables so a late call cannot fail on this instance.
    new AuditChain(this.ctx.storage.sql)
    new AttributionWorkingSet(this.ctx.storage.sql)
  }
}
