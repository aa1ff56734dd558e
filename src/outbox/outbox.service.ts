/**
 * The outbox's read, shared by the JSON API and the dashboard: a clinic's messages newest first,
 * bodies opened with the clinic key (null once that key is destroyed). Callers audit the read.
 */
import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client'
import { outboundMessages } from '../db/schema'
import type { Config } from '../env'
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
  cursor: { t: number; id: string } | null,
): Promise<OutboxMessage[]> {
  const where: SQL[] = [eq(outboundMessages.clinicId, clinicId)]
  if (cursor) {
    where.push(
      or(
        lt(outboundMessages.createdAt, cursor.t),
        and(eq(outboundMessages.createdAt, cursor.t), lt(outboundMessages.id, cursor.id)),
      ) as SQL,
    )
  }
  const rows = await db
    .select({
      id: outboundMessages.id,
      kind: outboundMessages.kind,
      channel: outboundMessages.channel,
      toMasked: outboundMessages.toMasked,
      bodySealed: outboundMessages.bodySealed,
      status: outboundMessages.status,
      createdAt: outboundMessages.createdAt,
    })
    .from(outboundMessages)
    .where(and(...where))
    .orderBy(desc(outboundMessages.createdAt), desc(outboundMessages.id))
    .limit(limit + 1)
  if (rows.length === 0) return []
  const keyring = await clinicKeyring(db, config, clinicId)
  return Promise.all(
    rows.map(async ({ bodySealed, ...r }) => ({
      ...r,
      body: await keyring.open(bodySealed).catch(() => null),
    })),
  )
}
