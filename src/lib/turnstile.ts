/**
 * Cloudflare Turnstile verification, the one module every form that asks for a challenge uses
 * (signup now; the embedded forms later). Sandbox mode (TURNSTILE_SECRET_KEY absent or `sandbox`)
 * passes every token and sends nothing; otherwise the token is checked at TURNSTILE_VERIFY_URL.
 */
import type { Config } from '../env'
import { logWarn } from './logger'
import { forbidden } from './problem'

/** The form field (and JSON property) carrying the token, as the widget names it. */
export const TURNSTILE_FIELD = 'cf-turnstile-response'
/** Turnstile tokens are at most 2048 characters; anything longer is not one. */
const MAX_TOKEN_LENGTH = 2048

type SiteverifyReply = { success?: unknown; 'error-codes'?: unknown }

/**
 * True when `token` passes Turnstile (always, in sandbox mode). Fails closed: a missing or
 * oversized token, a refusal, or an unreachable verifier is false.
 */
export async function verifyTurnstile(
  config: Pick<Config, 'turnstile'>,
  token: string | null | undefined,
  remoteIp: string | null,
  fetchImpl: typeof fetch = fetch,
): Promise<boolean> {
  const { secretKey, verifyUrl } = config.turnstile
  if (secretKey === null) return true
  if (!token || token.length > MAX_TOKEN_LENGTH) return false
  const body = new URLSearchParams({ secret: secretKey, response: token })
  if (remoteIp) body.set('remoteip', remoteIp)
  try {
    const res = await fetchImpl(verifyUrl, { method: 'POST', body })
    if (!res.ok) {
      logWarn('turnstile verify failed', { status: res.status })
      return false
    }
    const reply = (await res.json()) as SiteverifyReply
    return reply.success === true
  } catch (err) {
    logWarn('turnstile verify unreachable', { error: err instanceof Error ? err.name : 'unknown' })
    return false
  }
}

/** Throws 403 problem+json unless the token passes (same arguments as `verifyTurnstile`). */
export async function requireTurnstile(...args: Parameters<typeof verifyTurnstile>): Promise<void> {
  if (!(await verifyTurnstile(...args))) {
    throw forbidden('The anti-spam check failed. Reload the page and try again.')
  }
}

/** Where the widget's script and frame come from (allowed by the signup page's CSP in real mode). */
export const TURNSTILE_SCRIPT_ORIGIN = 'https://challenges.cloudflare.com'

/**
 * The site key a form renders the widget with, or null in sandbox mode (or without a site key):
 * then the page loads no external script at all (the offline rule).
 */
export function turnstileWidgetKey(config: Pick<Config, 'turnstile'>): string | null {
  return config.turnstile.secretKey === null ? null : config.turnstile.siteKey
}
