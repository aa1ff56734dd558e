/**
 * The one way a route applies a Workers Rate Limiting binding (`[[ratelimits]]` in wrangler.toml)
 * and learns who the client is. Limits are per Cloudflare location and approximate: they blunt
 * floods (sign-ups, reset emails, invites); exact lock-outs are counted in D1 (src/auth/throttle.ts).
 */
import type { Context } from 'hono'
import type { AppEnv } from './context'
import { tooManyRequests } from './problem'

/** A limiter's window (`period` in wrangler.toml): a refused client is told to wait this long. */
export const RATE_LIMIT_PERIOD_SECONDS = 60

/**
 * The client's IP as Cloudflare saw it (`CF-Connecting-IP`, which clients cannot set through
 * Cloudflare), or null outside Cloudflare (local tools), where callers use one shared bucket.
 */
export function clientIpOf(c: Context<AppEnv>): string | null {
  return c.req.header('cf-connecting-ip')?.trim() || null
}

/**
 * Counts one request against `limiter` under `key` (a keyed hash or an id, never personal data in
 * clear) and throws 429 problem+json with Retry-After when the limit is reached.
 */
export async function enforceRateLimit(limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key })
  if (!success) {
    throw tooManyRequests(
      RATE_LIMIT_PERIOD_SECONDS,
      'Too many requests; wait a minute and try again.',
    )
  }
}
