/**
 * Middleware for every Twilio webhook: parses the form body (size-capped), verifies the signature
 * over PUBLIC_BASE_URL + path (+ query) — never skipped — and exposes the params as
 * `c.var.twilioParams`. Idempotency helpers live here too, so each handler states its natural key.
 */
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
 * Records a delivery under each key (Twilio's `I-Twilio-Idempotency-Token` and the natural key).
 * Returns false when any key was seen before: the caller then answers as before and changes nothing.
 */
export async function firstDelivery(
  db: Db,
  clinicId: string | null,
  keys: (string | null | undefined)[],
): Promise<boolean> {
  const wanted = keys.filter(
    (k): k is string => typeof k === 'string' && k.length > 0 && k.length <= 300,
  )
  if (wanted.length === 0) return true
  const now = Date.now()
  const results = await db.batch(
    wanted.map((key) =>
      db
        .insert(webhookDeliveries)
        .values({ key, clinicId, receivedAt: now })
        .onConflictDoNothing()
        .returning({ key: webhookDeliveries.key }),
    ) as [never, ...never[]],
  )
  // Seen before if any key's insert did nothing.
  return (results as unknown as { key: string }[][]).every((rows) => rows.length === 1)
}
