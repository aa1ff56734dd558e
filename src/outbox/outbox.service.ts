/**
 * The outbox's read, shared by the JSON API and the dashboard: a clinic's messages newest first,
 * bodies opened with the clinic key (null once that key is destroyed). Callers audit the read.
 */
import { eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { newestRows } from '../db/clinic-pages'
import { outboundMessages } from '../db/schema'
import type { Config } from '../env'
import type { Cursor } from '../lib/pagination'
import { clinicKeyring } from '../privacy/crypto'

export type OutboxMessage = {
  id: string
  kind: string
  channel: 'sms' | 'whatsapp' | 'email'
  toMasked: string
  /** The opened text; null when the clinic key that sealed it is gone. */
  body: string | null
  status: (typeof outboundMessages.$inferSelect)['status']
  createdAt: number
}

/** Up to `limit + 1` messages, newest first, keyset-paginated on (createdAt, id). */
export async function listOutbox(
  db: Db,
  config: Config,
  clinicId: string,
  limit: number,
  cursor: Cursor | null,
): Promise<OutboxMessage[]> {
  const mine = eq(outboundMessages.clinicId, clinicId)
  const rows = await newestRows(
    db,
    outboundMessages,
    outboundMessages.createdAt,
    [mine],
    limit,
    cursor,
  )
  if (rows.length === 0) return []
  const keyring = await clinicKeyring(db, config, clinicId)
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      kind: r.kind,
      channel: r.channel,
      toMasked: r.toMasked,
      status: r.status,
      createdAt: r.createdAt,
      body: await keyring.open(r.bodySealed).catch(() => null),
    })),
  )
}
