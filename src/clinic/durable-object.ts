/**
 * One Durable Object per clinic (`env.CLINIC.getByName(clinicId)`). It serialises what must never
 * interleave for a clinic: appending to the audit hash chain, and (see src/attribution) settling
 * attribution. Decisions use synchronous SQLite storage calls only; side effects (D1 writes,
 * queues) happen in the Worker after the decision returns, and the object's alarm repairs any
 * attribution decision D1 has not confirmed.
 */
import { DurableObject } from 'cloudflare:workers'
import type { AttributionFact } from '../attribution/rules'
import {
  confirmationsOf,
  SYNC_BATCH,
  SYNC_GRACE_MS,
  SYNC_IN_FLIGHT_MS,
  syncBackoffMs,
  writeUnsynced,
} from '../attribution/sync'
import {
  AttributionWorkingSet,
  type SettledChange,
  type StoredOutcome,
  type UnsyncedOutcome,
} from '../attribution/working-set'
import {
  type AuditAnchor,
  AuditChain,
  type AuditEntry,
  type AuditInput,
  type AuditVerification,
} from '../audit/chain'
import { WakeBook } from '../automations/wake-book'
import { acceptChatSocket, onChatFrame, pushChatLine } from '../conversations/chat-sockets'
import { ConversationTurns, type TurnClaim } from '../conversations/turns'
import type { ChatLine } from '../conversations/web-chat'
import type { Bindings } from '../env'
import { jobQueue } from '../jobs/messages'
import { newId } from '../lib/ids'
import { logError } from '../lib/logger'
import { slices } from '../lib/slices'

/** Storage key of the clinic's id (this object's name), for the alarm. */
const CLINIC_ID_KEY = 'clinic-id'

/** Ids per `scheduled-due` job, and how many the alarm hands over at a time. */
export const WAKE_JOB_IDS = 25
const WAKE_BATCH = 2500
/** How soon the alarm tries again when the queue refused the hand-over. */
const WAKE_RETRY_MS = 10_000

/** Column names that hold a person's keyed hash (see eraseSubject). */
const SUBJECT_HASH_COLUMN = /^(caller|contact|subject|sender|recipient|patient)_?hash$/i

export class ClinicDurableObject extends DurableObject<Bindings> {
  private readonly audit: AuditChain
  private readonly attribution: AttributionWorkingSet
  private readonly turns: ConversationTurns
  private readonly wakes: WakeBook

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.audit = new AuditChain(ctx.storage.sql)
    this.attribution = new AttributionWorkingSet(ctx.storage.sql)
    this.turns = new ConversationTurns(ctx.storage.sql)
    this.wakes = new WakeBook(ctx.storage.sql)
  }

  /**
   * Reminders, follow-ups and automation runs (src/automations): wake these ids at these times.
   * Idempotent (a second call moves an entry to the time given).
   */
  async scheduleWakes(items: Array<{ id: string; dueAt: number }>): Promise<void> {
    this.wakes.put(items)
    await this.rememberClinicId()
    const next = this.wakes.next()
    if (next !== null) await this.armAt(next)
  }

  /** How many wake-ups wait (tests, diagnostics). */
  async pendingWakes(): Promise<number> {
    return this.wakes.size()
  }

  /** Hands what is due to the queue; the entries leave the book once the queue has them. */
  private async fireWakes(clinicId: string): Promise<void> {
    const due = this.wakes.due(Date.now(), WAKE_BATCH)
    if (due.length === 0) return
    try {
      const jobs = [...slices(due, WAKE_JOB_IDS)].map((ids) => ({
        body: { type: 'scheduled-due' as const, clinicId, ids },
      }))
      for (const batch of slices(jobs, 100)) await jobQueue(this.env).sendBatch(batch)
      this.wakes.remove(due)
    } catch (err) {
      logError('wake hand-over failed', err, { clinicId, due: due.length })
      await this.armAt(Date.now() + WAKE_RETRY_MS)
    }
  }

  /** Sets the alarm to `at` unless one is already set sooner (one alarm serves every use). */
  private async armAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm()
    if (current === null || at < current) await this.ctx.storage.setAlarm(at)
  }

  private async rememberClinicId(): Promise<void> {
    if (this.ctx.id.name && (await this.ctx.storage.get(CLINIC_ID_KEY)) === undefined) {
      await this.ctx.storage.put(CLINIC_ID_KEY, this.ctx.id.name)
    }
  }

  /** Conversations (src/conversations/turns.ts): claims the AI's turn for a patient message. */
  async claimConversationTurn(
    conversationId: string,
    messageId: string,
    at: number,
    now: number,
  ): Promise<TurnClaim> {
    return this.turns.claim(conversationId, messageId, at, now)
  }

  /** The AI reply for `messageId` is stored in D1: the turn is done. */
  async finishConversationTurn(conversationId: string, messageId: string): Promise<void> {
    this.turns.finish(conversationId, messageId)
  }

  /** A transient failure gives the claim back so the retry can take it. */
  async releaseConversationTurn(conversationId: string, messageId: string): Promise<void> {
    this.turns.release(conversationId, messageId)
  }

  /** Web chat (src/conversations/chat-sockets.ts): the Worker hands over a checked page's socket. */
  override async fetch(request: Request): Promise<Response> {
    return acceptChatSocket(this.ctx, request)
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    await onChatFrame(this.ctx, this.env, ws, data)
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closed')
    } catch {
      // Already closed.
    }
  }

  /** A reply for a web chat: pushed to its open pages; returns how many it reached. */
  async pushWebChat(conversationId: string, line: ChatLine): Promise<number> {
    return pushChatLine(this.ctx, conversationId, line)
  }

  /** Purged or erased conversations leave the turn table too. */
  async forgetConversations(conversationIds: string[]): Promise<void> {
    this.turns.forget(conversationIds)
  }

  /**
   * Attribution: records events and re-settles the callers they concern, synchronously (no await
   * inside the decision). Returns the outcomes that changed, the current outcome of every
   * appointment among `facts`, and the decisions for the Worker to write and confirm: these
   * changes, plus any earlier decision whose write failed or was abandoned (so a redelivered
   * event finishes a half-done write).
   */
  async settleAttribution(
    facts: AttributionFact[],
    windowDays: number,
  ): Promise<{ changes: SettledChange[]; outcomes: StoredOutcome[]; unsynced: UnsyncedOutcome[] }> {
    const changes = this.attribution.apply(facts, windowDays)
    const ids = facts.filter((f) => f.kind === 'appointment').map((f) => f.id)
    const outcomes = this.attribution.outcomes(ids)
    const unsynced = this.attribution.unsyncedFor(changes, SYNC_IN_FLIGHT_MS, SYNC_BATCH)
    await this.armSync()
    return { changes, outcomes, unsynced }
  }

  /** Attribution bulk load (no settling): used to rebuild the working set from D1 in chunks. */
  async loadAttributionFacts(facts: AttributionFact[]): Promise<number> {
    return this.attribution.record(facts).size
  }

  /**
   * Re-settles every caller in the attribution working set (after a bulk load or a window
   * change). The changes stay unsynced until confirmed, like any decision.
   */
  async resettleAttribution(windowDays: number): Promise<SettledChange[]> {
    const changes = this.attribution.settleCallers(null, windowDays)
    await this.armSync()
    return changes
  }

  /**
   * D1 holds these decisions (confirmed by `settledAt`: an older decision's confirmation never
   * clears a newer one). Returns how many unsynced decisions were cleared.
   */
  async confirmAttributionSynced(
    synced: Array<{ appointmentId: string; settledAt: number }>,
  ): Promise<number> {
    return this.attribution.confirmSynced(synced)
  }

  /** A Worker failed to write these decisions to D1: the next event's Worker writes them too. */
  async attributionWriteFailed(
    decisions: Array<{ appointmentId: string; settledAt: number }>,
  ): Promise<void> {
    this.attribution.writeFailed(decisions)
  }

  /** How many attribution decisions D1 has not confirmed yet (tests, diagnostics). */
  async unsyncedAttributionCount(): Promise<number> {
    return this.attribution.unsyncedCount()
  }

  /** Repair: writes the decisions D1 has not confirmed, then re-arms with backoff if that failed. */
  override async alarm(): Promise<void> {
    const clinicId = this.ctx.id.name ?? (await this.ctx.storage.get<string>(CLINIC_ID_KEY))
    if (!clinicId) return
    await this.syncAttribution(clinicId)
    await this.fireWakes(clinicId)
    const next = this.wakes.next()
    if (next !== null) await this.armAt(Math.max(next, Date.now()))
  }

  private async syncAttribution(clinicId: string): Promise<void> {
    const pending = this.attribution.unsynced(SYNC_BATCH)
    if (pending.length === 0) return
    try {
      // D1 I/O opens the input gate: decisions taken meanwhile carry a newer settledAt, which
      // this confirmation (keyed by settledAt) leaves unsynced for the next write.
      await writeUnsynced(this.env, clinicId, pending)
      this.attribution.confirmSynced(confirmationsOf(pending))
      this.attribution.syncSucceeded()
      if (this.attribution.unsyncedCount() > 0) await this.armAt(Date.now() + 1000)
    } catch (err) {
      const failures = this.attribution.syncFailed()
      logError('attribution sync failed', err, { step: 'alarm', clinicId, failures })
      await this.armAt(Date.now() + syncBackoffMs(failures))
    }
  }

  /** Makes sure an alarm will check on unsynced decisions (an existing one is kept). */
  private async armSync(): Promise<void> {
    if (this.attribution.unsyncedCount() === 0) return
    // The alarm needs the clinic's id to write to D1; kept in case the platform does not pass
    // the object's name to an alarm invocation. An alarm already set sooner is kept.
    await this.rememberClinicId()
    await this.armAt(Date.now() + SYNC_GRACE_MS)
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
   * working set keeps copies of calls and appointments). First, appointments recovered by a call
   * older than the cut-off become final (their outcome is kept and they leave the working set),
   * so purging a call never un-recovers a booking. Returns the rows removed.
   */
  async purgeSubjectRowsBefore(cutoffMs: number): Promise<number> {
    const sql = this.ctx.storage.sql
    let rows = this.attribution.closeBefore(cutoffMs)
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
    new WakeBook(this.ctx.storage.sql)
  }
}
