/**
 * The clinic's wake-up book, inside its Durable Object: which scheduled things (automated
 * messages `sch_…`, automation runs `arn_…`) fall due when. Ids and times only — no personal
 * data lives here. The object's alarm hands what is due to the queue (`scheduled-due` jobs, a few
 * dozen ids each) and sleeps until the next one, so a reminder goes within seconds of its minute
 * with no cron and no queue delay limit (queue delays stop at 12 hours).
 */
export class WakeBook {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS wake_book (
      id TEXT PRIMARY KEY,
      due_at INTEGER NOT NULL
    )`)
    sql.exec('CREATE INDEX IF NOT EXISTS wake_book_due ON wake_book (due_at)')
  }

  /** Adds or moves entries (the latest time given wins). */
  put(items: readonly { id: string; dueAt: number }[]): void {
    for (const item of items) {
      this.sql.exec(
        `INSERT INTO wake_book (id, due_at) VALUES (?, ?)
         ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at`,
        item.id,
        item.dueAt,
      )
    }
  }

  /** Up to `limit` ids due at `now`, soonest first. */
  due(now: number, limit: number): string[] {
    return this.sql
      .exec<{ id: string }>(
        'SELECT id FROM wake_book WHERE due_at <= ? ORDER BY due_at, id LIMIT ?',
        now,
        limit,
      )
      .toArray()
      .map((r) => r.id)
  }

  remove(ids: readonly string[]): void {
    for (const id of ids) this.sql.exec('DELETE FROM wake_book WHERE id = ?', id)
  }

  /** When the next entry falls due, or null when the book is empty. */
  next(): number | null {
    const row = this.sql
      .exec<{ at: number | null }>('SELECT MIN(due_at) AS at FROM wake_book')
      .one()
    return row.at ?? null
  }

  size(): number {
    return Number(this.sql.exec('SELECT COUNT(*) AS n FROM wake_book').one().n)
  }
}
