/**
 * The one rule for redirect targets that come from input (`?next=` after sign-in): only a path on
 * this origin is followed; anything else falls back to `/`. Used wherever input names a redirect.
 */

/** Where a rejected or missing target goes. */
export const SAFE_FALLBACK = '/'
const MAX_LENGTH = 2048
/** Printable ASCII only: no space, no control character, nothing a Location header cannot carry. */
const PRINTABLE_PATH = /^\/[\x21-\x7e]*$/
/**
 * Control and invisible format characters (bidi overrides, zero-width), every kind of whitespace
 * (URL parsers strip tabs and newlines, so `/\t/evil` would become `//evil`) and backslashes.
 */
const UNSAFE_DECODED = /[\p{Cc}\p{Cf}\s\\]/u

/**
 * `raw` when it is a same-origin absolute path (`/calls?status=missed`), else `/`. Refused: empty
 * or non-string input, anything not starting with one `/`, protocol-relative `//host` and `/\host`,
 * backslashes, and control or whitespace characters, also when percent-encoded (checked after
 * decoding, repeatedly, so `%2509` or `/%2F%2Fevil` cannot smuggle one through).
 */
export function safeNextPath(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > MAX_LENGTH || !PRINTABLE_PATH.test(raw)) {
    return SAFE_FALLBACK
  }
  let decoded = raw
  for (let i = 0; i < 5; i++) {
    if (!isSafeDecodedPath(decoded)) return SAFE_FALLBACK
    let next: string
    try {
      next = decodeURIComponent(decoded)
    } catch {
      return SAFE_FALLBACK
    }
    if (next === decoded) return raw
    decoded = next
  }
  // Still decoding after five rounds: nobody writes paths like that on purpose.
  return SAFE_FALLBACK
}

function isSafeDecodedPath(path: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//')) return false
  return !UNSAFE_DECODED.test(path)
}
