/**
 * Middleware for every Twilio webhook: parses the form body (size-capped), verifies the signature
 * over PUBLIC_BASE_URL + path (+ query) — never skipped — and exposes the params as
 * `c.var.twilioParams`. The de-duplication helpers live here too, so each handler states its natural
 * key and writes its marks with (or after) its work.
 */

import { inArray, type SQL, sql } from 'drizzle-orm'
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Db } from '../db/client'
import { webhookDeliveries } from '../db/schema'
import type { AppEnv } from '../lib/context'
import { ProblemError } from '../lib/problem'
import { isValidTwilioSignature } from './signature'

export type TwilioEnv = AppEnv & {
  Variables: AppEnv['Variables'] & { twilioParams: URLSearchParams }
}

const MAX_WEBHOOK_BYTES = 64 * 1024

export const twilioBodyLimit = bodyLimit({
  maxSize: MAX_WEBHOOK_BYTES,
  onError: () => {
    throw new ProblemError(413, 'The webhook body is too large.')
  },
})

export const verifyTwilio: MiddlewareHandler<TwilioEnv> = async (c, next) => {
  const token = c.var.config.twilio.authToken
  if (!token) throw new ProblemError(403, 'Webhook signature cannot be verified.')
  const type = c.req.header('content-type') ?? ''
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new ProblemError(415, 'Twilio webhooks are form-encoded.')
  }
  // Decode the bytes ourselves: workerd warns when .text() reads a form-encoded body.
  const params = new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()))
  const url = new URL(c.req.url)
  const signedUrl = c.var.config.publicBaseUrl + url.pathname + url.search
  if (
    !(await isValidTwilioSignature(token, signedUrl, params, c.req.header('x-twilio-signature')))
  ) {
    throw new ProblemError(403, 'Invalid webhook signature.')
  }
  c.set('twilioParams', params)
  await next()
}

/**
 * A delivery's de-duplication keys: Twilio's `I-Twilio-Idempotency-Token` (under `tokenPrefix`)
 * and the handler's natural key. Over-long or empty keys are dropped.
 */
export function deliveryKeys(
  token: string | null | undefined,
  naturalKey: string,
  tokenPrefix = 'twilio-token:',
): string[] {
  const keys = token ? [`${tokenPrefix}${token}`, naturalKey] : [naturalKey]
  return keys.filter((k) => k.length > 0 && k.length <= 300)
}

/**
 * A read, for a `db.batch`, of the keys already marked: any row means the delivery was handled
 * before, so the handler answers as before and changes nothing.
 *
 * Marks are written only once the work they guard is stored — in the same batch as its last write
 * (`deliveryMarks`) or after it (`markDelivered`), never before — so a delivery whose work failed
 * half-way is not mistaken for a duplicate when Twilio retries it. The work itself is idempotent
 * (facts merge, inserts are keyed), so re-running it on that retry is safe.
 */
export function seenDeliveries(db: Db, keys: string[]) {
  return db
    .select({ key: webhookDeliveries.key })
    .from(webhookDeliveries)
    .where(inArray(webhookDeliveries.key, keys.length ? keys : ['']))
}

/** An SQL condition: none of these keys is marked yet (for guarding a write inside a batch). */
export function notDelivered(keys: string[]): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM ${webhookDeliveries} WHERE ${inArray(webhookDeliveries.key, keys.length ? keys : [''])})`
}

/**
 * The inserts that mark a delivery done, to put in the same `db.batch` as (after) the work's last
 * write. With `guard`, a mark is only written when the condition holds inside that batch, i.e.
 * when the work it stands for really landed.
 */
export function deliveryMarks(
  db: Db,
  clinicId: string | null,
  keys: string[],
  now: number,
  guard?: SQL,
) {
  return keys.map((key) =>
    guard
      ? db
          .insert(webhookDeliveries)
          .select(sql`SELECT ${key}, ${clinicId}, ${now} WHERE ${guard}`)
          .onConflictDoNothing()
      : db
          .insert(webhookDeliveries)
          .values({ key, clinicId, receivedAt: now })
          .onConflictDoNothing(),
  )
}

/** Marks a delivery done once its work is complete (one round trip). */
export async function markDelivered(
  db: Db,
  clinicId: string | null,
  keys: string[],
): Promise<void> {
  const marks = deliveryMarks(db, clinicId, keys, Date.now())
  const [first, ...rest] = marks
  if (first) await db.batch([first, ...rest])
}
