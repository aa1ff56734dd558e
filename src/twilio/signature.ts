/**
 * Twilio webhook signatures (X-Twilio-Signature): base64(HMAC-SHA1(authToken, url + Σ key+value))
 * over the params sorted by key, repeated values sorted too — the algorithm of twilio-node's
 * `getExpectedTwilioSignature`, done with WebCrypto so the 8 MB SDK stays out of the Worker.
 */
import { timingSafeEqual, utf8 } from '../lib/encoding'

export async function twilioSignature(
  authToken: string,
  url: string,
  params: URLSearchParams,
): Promise<string> {
  let data = url
  for (const key of [...new Set(params.keys())].sort()) {
    for (const value of [...new Set(params.getAll(key))].sort()) data += key + value
  }
  const key = await crypto.subtle.importKey(
    'raw',
    utf8(authToken),
    { name: 'HMAC', hash: 'SHA-1' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8(data)))
  let bin = ''
  for (const b of mac) bin += String.fromCharCode(b)
  return btoa(bin)
}

/** Checks a signature in constant time. */
export async function isValidTwilioSignature(
  authToken: string,
  url: string,
  params: URLSearchParams,
  signature: string | undefined,
): Promise<boolean> {
  if (!signature) return false
  return timingSafeEqual(await twilioSignature(authToken, url, params), signature)
}
