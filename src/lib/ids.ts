/** Time-sortable, prefixed identifiers (`call_01HF…`): sortable by creation, opaque to clients. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ' // Crockford base32

function encodeTime(ms: number): string {
  let out = ''
  let t = ms
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out
    t = Math.floor(t / 32)
  }
  return out
}

function randomPart(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let out = ''
  for (const b of bytes) out += ALPHABET[b % 32]
  return out
}

export function newId(prefix: string, atMs: number = Date.now()): string {
  return `${prefix}_${encodeTime(atMs)}${randomPart(16)}`
}

/**
 * The one format of an idempotency / de-duplication key: `<kind>:<part>:<part>…`
 * (`text-back:<callId>`, `voice:status:<CallSid>:<status>`). Same intent, same key.
 */
export function idempotencyKey(kind: string, ...parts: readonly (string | number)[]): string {
  return [kind, ...parts].join(':')
}
