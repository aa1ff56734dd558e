/**
 * Signed Twilio webhook requests for tests. The signature comes from the official `twilio`
 * package (devDependency only), so the Worker's check is proven against Twilio's own algorithm.
 */
import { exports } from 'cloudflare:workers'
import twilio from 'twilio'
import { TEST_VARS } from '../env'
import { BASE } from './clinic'

export function twilioSignatureFor(
  url: string,
  params: Record<string, string>,
  token: string = TEST_VARS.TWILIO_AUTH_TOKEN,
): string {
  return twilio.getExpectedTwilioSignature(token, url, params)
}

export type WebhookOptions = {
  idempotencyToken?: string
  signature?: string
  token?: string
  query?: string
}

/** POSTs a form-encoded, correctly signed Twilio webhook to `path`. */
export function postTwilio(
  path: string,
  params: Record<string, string>,
  options: WebhookOptions = {},
): Promise<Response> {
  const url = `${BASE}${path}${options.query ?? ''}`
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-twilio-signature': options.signature ?? twilioSignatureFor(url, params, options.token),
  }
  if (options.idempotencyToken) headers['i-twilio-idempotency-token'] = options.idempotencyToken
  return exports.default.fetch(
    new Request(url, { method: 'POST', headers, body: new URLSearchParams(params) }),
  )
}
