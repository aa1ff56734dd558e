/**
 * One-click unsubscribe (RFC 8058) for optional email (marketing, the weekly digest): the email
 * carries `List-Unsubscribe: <{PUBLIC_BASE_URL}/unsubscribe/{token}>` with
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`; the token is signed (the clinic and the
 * address's keyed hash, never the address). `POST` unsubscribes (what mail clients send); `GET`
 * shows a page with a button, so a link scanner that follows it unsubscribes nobody. Service
 * email (invites, resets, alerts, data-subject notices) still goes.
 */
import { Hono } from 'hono'
import type { Db } from '../db/client'
import { emailSuppressions } from '../db/schema'
import type { Config } from '../env'
import type { AppEnv } from '../lib/context'
import { DAY_MS } from '../lib/time'
import { emailHash, openLinkToken, signLinkToken } from '../privacy/crypto'

/** An unsubscribe link works for two years. */
const LINK_DAYS = 730

export async function unsubscribeLink(
  config: Config,
  email: { clinicId: string; to: string },
  now: number = Date.now(),
): Promise<string> {
  const hash = await emailHash(config, email.clinicId, email.to)
  const token = await signLinkToken(
    config,
    'unsubscribe',
    `${email.clinicId}:${hash}`,
    now + LINK_DAYS * DAY_MS,
  )
  return `${config.publicBaseUrl}/unsubscribe/${token}`
}

/** Records the unsubscribe; false when the token is forged or expired. Idempotent. */
export async function unsubscribe(
  db: Db,
  config: Config,
  token: string,
  now: number,
): Promise<boolean> {
  const payload = await openLinkToken(config, 'unsubscribe', token, now)
  const [clinicId, hash] = payload?.split(':') ?? []
  if (!clinicId || !hash) return false
  await db
    .insert(emailSuppressions)
    .values({ clinicId, emailHash: hash, reason: 'unsubscribed', at: now })
    .onConflictDoNothing()
  return true
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`

export const unsubscribeRoutes = new Hono<AppEnv>()
  .get('/:token', (c) =>
    c.html(
      page(
        'Unsubscribe',
        `<p>Stop these emails (marketing and weekly summaries)? Emails you need — sign-in links and account notices — still come.</p><form method="post"><button type="submit">Unsubscribe</button></form>`,
      ),
    ),
  )
  .post('/:token', async (c) => {
    const done = await unsubscribe(c.var.db, c.var.config, c.req.param('token'), Date.now())
    return done
      ? c.html(page('You are unsubscribed', '<p>You will get no more of these emails.</p>'))
      : c.html(page('Link expired', '<p>This unsubscribe link is not valid any more.</p>'), 410)
  })
