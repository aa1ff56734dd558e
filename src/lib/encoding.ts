/** Byte/string encodings shared by the crypto code. */
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export const utf8 = (s: string): Uint8Array<ArrayBuffer> =>
  encoder.encode(s) as Uint8Array<ArrayBuffer>
export const fromUtf8 = (b: ArrayBuffer | Uint8Array): string => decoder.decode(b)

export function toBase64Url(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  let bin = ''
  for (const b of u8) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function fromBase64Url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'))
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

export function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  return fromBase64Url(s)
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  let out = ''
  for (const b of u8) out += b.toString(16).padStart(2, '0')
  return out
}

/**
 * Constant-time comparison of two strings through the runtime's own
 * `crypto.subtle.timingSafeEqual` (a Workers extension to WebCrypto). Only the length can leak:
 * unequal lengths still spend one comparison before answering false.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const ab = utf8(a)
  const bb = utf8(b)
  if (ab.byteLength !== bb.byteLength) {
    crypto.subtle.timingSafeEqual(ab, ab)
    return false
  }
  return crypto.subtle.timingSafeEqual(ab, bb)
}
