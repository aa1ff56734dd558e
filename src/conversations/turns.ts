/**
 * Whose turn it is, per conversation, inside the clinic's Durable Object (serialised, so two
 * deliveries of AI-reply jobs never both call the model for the same message). The newest patient
 * message wins: a job for an older one finds itself stale. A claim is a lease: an attempt that
 * died is taken over after CLAIM_LEASE_MS; a finished turn is never answered again.
 * Ids and times only: no personal data lives here.
 */
export const CLAIM_LEASE_MS = 60_000

export type TurnClaim = 'claimed' | 'stale' | 'answered' | 'busy'

export class ConversationTurns {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS conversation_turns (
      conversation_id TEXT PRIMARY KEY,
      latest_at INTEGER NOT NULL,
      latest_id TEXT NOT NULL,
      claimed_id TEXT,
      claimed_at INTEGER,
      answered_id TEXT
    )`)
  }

  /** Records a patient message; the newest (by time, then id) is the turn. */
  note(conversationId: string, messageId: string, at: number): void {
    this.sql.exec(
      `INSERT INTO conversation_turns (conversation_id, latest_at, latest_id) VALUES (?, ?, ?)
       ON CONFLICT (conversation_id) DO UPDATE SET
         latest_at = excluded.latest_at, latest_id = excluded.latest_id
       WHERE excluded.latest_at > latest_at
          OR (excluded.latest_at = latest_at AND excluded.latest_id > latest_id)`,
      conversationId,
      at,
      messageId,
    )
  }

  /** Claims the turn of `messageId` for one attempt (see the header). */
  claim(conversationId: string, messageId: string, at: number, now: number): TurnClaim {
    this.note(conversationId, messageId, at)
    const row = this.sql
      .exec<{
        latest_id: string
        claimed_id: string | null
        claimed_at: number | null
        answered_id: string | null
      }>(
        'SELECT latest_id, claimed_id, claimed_at, answered_id FROM conversation_turns WHERE conversation_id = ?',
        conversationId,
      )
      .one()
    if (row.answered_id === messageId) return 'answered'
    if (row.latest_id !== messageId) return 'stale'
    if (
      row.claimed_id === messageId &&
      row.claimed_at !== null &&
      now - row.claimed_at < CLAIM_LEASE_MS
    ) {
      return 'busy'
    }
    this.sql.exec(
      'UPDATE conversation_turns SET claimed_id = ?, claimed_at = ? WHERE conversation_id = ?',
      messageId,
      now,
      conversationId,
    )
    return 'claimed'
  }

  /** The turn's reply is recorded in D1: never answer this message again. */
  finish(conversationId: string, messageId: string): void {
    this.sql.exec(
      `UPDATE conversation_turns SET answered_id = ?, claimed_id = NULL, claimed_at = NULL
       WHERE conversation_id = ?`,
      messageId,
      conversationId,
    )
  }

  /** Gives a claim back (a transient failure): the retry may claim at once. */
  release(conversationId: string, messageId: string): void {
    this.sql.exec(
      `UPDATE conversation_turns SET claimed_id = NULL, claimed_at = NULL
       WHERE conversation_id = ? AND claimed_id = ?`,
      conversationId,
      messageId,
    )
  }

  /** Forgets conversations that D1 no longer holds (purged or erased). */
  forget(conversationIds: readonly string[]): void {
    for (const id of conversationIds) {
      this.sql.exec('DELETE FROM conversation_turns WHERE conversation_id = ?', id)
    }
  }
}
