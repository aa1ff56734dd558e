/**
 * The clinic's tamper-evident audit log: a hash chain kept in the clinic's Durable Object SQLite.
 * Each entry's hash covers its content and the previous entry's hash, so editing or deleting any
 * entry breaks verification from that entry on. Appends are synchronous storage calls inside the
 * object (single-threaded), so the chain never forks. Entries never hold personal data: actors
 * and targets are ids, details are counts and settings.
 */
import { createHash } from 'node:crypto'

export type AuditInput = {
  actor: string
  action: string
  target?: string | null
  details?: Record<string, string | number | boolean | null>
  at?: number
}

export type AuditEntry = {
  seq: number
  id: string
  at: number
  actor: string
  action: string
  target: string | null
  details: string | null
  prevHash: string
  hash: string
}

/** The seq and hash of the last entry removed by retention (seq 0 and the genesis hash if none). */
export type AuditAnchor = { seq: number; hash: string; removed: number }

export type AuditVerification = { valid: boolean; checked: number; firstBrokenId: string | null }

export const GENESIS_HASH = '0'.repeat(64)

export function hashEntry(e: Omit<AuditEntry, 'hash'>): string {
  // Canonical, ordered serialisation: the same entry always hashes the same.
  const canonical = JSON.stringify([
    e.seq,
    e.id,
    e.at,
    e.actor,
    e.action,
    e.target,
    e.details,
    e.prevHash,
  ])
  return createHash('sha256').update(canonical).digest('hex')
}

type Row = Record<string, SqlStorageValue>

function toEntry(row: Row): AuditEntry {
  return {
    seq: Number(row.seq),
    id: String(row.id),
    at: Number(row.at),
    actor: String(row.actor),
    action: String(row.action),
    target: row.target === null ? null : String(row.target),
    details: row.details === null ? null : String(row.details),
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  }
}

export class AuditChain {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS audit_log (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      at INTEGER NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT,
      details TEXT,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    )`)
    sql.exec('CREATE INDEX IF NOT EXISTS audit_log_at_idx ON audit_log (at)')
    // The anchor replaces the entries removed by retention: the seq and hash of the last removed
    // entry, so the first kept entry still links to something verifiable (one row, id = 1).
    sql.exec(`CREATE TABLE IF NOT EXISTS audit_anchor (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      seq INTEGER NOT NULL,
      hash TEXT NOT NULL,
      removed INTEGER NOT NULL,
      purged_at INTEGER NOT NULL
    )`)
  }

  /** Where the kept chain starts: after the retention anchor, or at the genesis. */
  anchor(): AuditAnchor {
    const row = this.sql
      .exec('SELECT seq, hash, removed FROM audit_anchor WHERE id = 1')
      .toArray()[0]
    return row
      ? { seq: Number(row.seq), hash: String(row.hash), removed: Number(row.removed) }
      : { seq: 0, hash: GENESIS_HASH, removed: 0 }
  }

  append(input: AuditInput, newId: () => string): AuditEntry {
    const last = this.sql
      .exec('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
      .toArray()[0]
    const seq = last ? Number(last.seq) + 1 : 1
    const prevHash = last ? String(last.hash) : GENESIS_HASH
    const base = {
      seq,
      id: newId(),
      at: input.at ?? Date.now(),
      actor: input.actor,
      action: input.action,
      target: input.target ?? null,
      details: input.details ? JSON.stringify(input.details) : null,
      prevHash,
    }
    const entry: AuditEntry = { ...base, hash: hashEntry(base) }
    this.sql.exec(
      'INSERT INTO audit_log (seq, id, at, actor, action, target, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      entry.seq,
      entry.id,
      entry.at,
      entry.actor,
      entry.action,
      entry.target,
      entry.details,
      entry.prevHash,
      entry.hash,
    )
    return entry
  }

  /** Newest first; `beforeSeq` is the keyset cursor. */
  list(limit: number, beforeSeq: number | null): AuditEntry[] {
    const rows = beforeSeq
      ? this.sql
          .exec('SELECT * FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?', beforeSeq, limit)
          .toArray()
      : this.sql.exec('SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?', limit).toArray()
    return rows.map(toEntry)
  }

  /** Walks the chain from the start; names the first entry whose hash or link does not hold. */
  verify(): AuditVerification {
    const anchor = this.anchor()
    let prevHash = anchor.hash
    let checked = 0
    let expectedSeq = anchor.seq + 1
    for (const row of this.sql.exec('SELECT * FROM audit_log ORDER BY seq ASC')) {
      const entry = toEntry(row)
      checked++
      const { hash, ...rest } = entry
      if (entry.seq !== expectedSeq || entry.prevHash !== prevHash || hashEntry(rest) !== hash) {
        return { valid: false, checked, firstBrokenId: entry.id }
      }
      prevHash = hash
      expectedSeq++
    }
    // The anchor itself is vouched for by the chain: each retention run appends an
    // `audit.retention` entry naming the anchor's seq and hash, so editing the anchor shows too.
    if (anchor.seq > 0) {
      const note = this.sql
        .exec(
          "SELECT details FROM audit_log WHERE action = 'audit.retention' ORDER BY seq DESC LIMIT 1",
        )
        .toArray()[0]
      const vouched = note ? (JSON.parse(String(note.details)) as Record<string, unknown>) : null
      if (!vouched || vouched.anchorSeq !== anchor.seq || vouched.anchorHash !== anchor.hash) {
        const first = this.sql
          .exec('SELECT id FROM audit_log ORDER BY seq ASC LIMIT 1')
          .toArray()[0]
        return { valid: false, checked, firstBrokenId: first ? String(first.id) : null }
      }
    }
    return { valid: true, checked, firstBrokenId: null }
  }

  count(): number {
    return Number(this.sql.exec('SELECT COUNT(*) AS n FROM audit_log').one().n)
  }

  /**
   * Retention (7 years): removes the entries older than `cutoffMs`, oldest first, at most `limit`
   * per call, and moves the anchor to the last one removed. Only a prefix of the chain is ever
   * removed (by seq, never by a gap), so the rest still verifies from the anchor. The anchor
   * write and the deletes run without an await between them, which the Durable Object commits
   * atomically: a crash leaves the old state or the new.
   * The newest entry is never removed, so the chain always has a head to append to.
   */
  purgeBefore(cutoffMs: number, limit = 1000): { removed: number; anchor: AuditAnchor } {
    const head = this.sql.exec('SELECT MAX(seq) AS seq FROM audit_log').one().seq
    if (head === null) return { removed: 0, anchor: this.anchor() }
    // Stop at the first entry that is young enough (clock skew can make `at` non-monotonic).
    const firstKept = this.sql
      .exec('SELECT MIN(seq) AS seq FROM audit_log WHERE at >= ?', cutoffMs)
      .one().seq
    const stopSeq = Math.min(firstKept === null ? Number(head) : Number(firstKept), Number(head))
    const last = this.sql
      .exec(
        'SELECT seq, hash FROM audit_log WHERE seq < ? ORDER BY seq ASC LIMIT 1 OFFSET ?',
        stopSeq,
        limit - 1,
      )
      .toArray()[0]
    const lastRemoved =
      last ??
      this.sql
        .exec('SELECT seq, hash FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT 1', stopSeq)
        .toArray()[0]
    if (!lastRemoved) return { removed: 0, anchor: this.anchor() }
    const before = this.anchor()
    const removed = Number(
      this.sql.exec('SELECT COUNT(*) AS n FROM audit_log WHERE seq <= ?', lastRemoved.seq).one().n,
    )
    this.sql.exec('DELETE FROM audit_log WHERE seq <= ?', lastRemoved.seq)
    this.sql.exec(
      `INSERT INTO audit_anchor (id, seq, hash, removed, purged_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
         removed = excluded.removed, purged_at = excluded.purged_at`,
      lastRemoved.seq,
      lastRemoved.hash,
      before.removed + removed,
      Date.now(),
    )
    return { removed, anchor: this.anchor() }
  }
}
