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
  verify(): { valid: boolean; checked: number; firstBrokenId: string | null } {
    let prevHash = GENESIS_HASH
    let checked = 0
    let expectedSeq = 1
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
    return { valid: true, checked, firstBrokenId: null }
  }

  /** Retention: drops entries older than the cut-off, keeping the chain verifiable by re-anchoring. */
  count(): number {
    return Number(this.sql.exec('SELECT COUNT(*) AS n FROM audit_log').one().n)
  }
}
