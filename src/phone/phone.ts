/**
 * Phone numbers at the edge: normalise to E.164 (libphonenumber-js, full metadata so that a mobile
 * can be told from a landline), recognise withheld callers, and mask for display. The raw number
 * only ever lives in memory; what is stored is `contactHash()` from src/privacy/crypto.ts.
 */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max'

/**
 * What Twilio puts in `From` when the caller withholds their number: words, or the digits that
 * spell them on a keypad (ANONYMOUS, RESTRICTED, BLOCKED, UNAVAILABLE, UNKNOWN).
 */
const WITHHELD = new Set([
  '',
  'anonymous',
  'restricted',
  'private',
  'blocked',
  'unavailable',
  'unknown',
  'withheld',
  '+266696687',
  '+7378742833',
  '+2562533',
  '+8656696',
  '+86282452253',
])

const UK_MOBILE = /^\+447[1-57-9]\d{8}$/

export type Caller = { kind: 'withheld' } | { kind: 'number'; e164: string; mobile: boolean }

/** Strips a channel prefix such as `whatsapp:` or `sms:`. */
export function stripChannelPrefix(address: string): {
  channel: 'sms' | 'whatsapp'
  address: string
} {
  const m = /^(whatsapp|sms):(.*)$/i.exec(address.trim())
  if (!m) return { channel: 'sms', address: address.trim() }
  return { channel: m[1]!.toLowerCase() === 'whatsapp' ? 'whatsapp' : 'sms', address: m[2]!.trim() }
}

/** Parses any common UK or E.164 form. Returns null when it is not a plausible phone number. */
export function normalisePhone(
  raw: string,
  defaultCountry: string = 'GB',
): { e164: string; mobile: boolean } | null {
  const input = raw.trim()
  if (input.length === 0 || input.length > 40) return null
  const parsed = parsePhoneNumberFromString(input, {
    defaultCountry: defaultCountry as CountryCode,
  })
  if (!parsed?.isPossible()) return null
  if (parsed.isValid()) {
    const type = parsed.getType()
    return { e164: parsed.number, mobile: type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE' }
  }
  // Possible but not assigned, e.g. Ofcom's drama ranges (07700 900xxx) used in tests and demos:
  // keep the number, and treat UK 07 numbers (not 070 personal or 076 pagers) as mobiles.
  return { e164: parsed.number, mobile: UK_MOBILE.test(parsed.number) }
}

/** Classifies a Twilio `From`/`Caller`: withheld, or a normalised number. Unparseable counts as withheld. */
export function parseCaller(raw: string | undefined | null, defaultCountry: string = 'GB'): Caller {
  const value = (raw ?? '').trim()
  if (WITHHELD.has(value.toLowerCase())) return { kind: 'withheld' }
  const number = normalisePhone(value, defaultCountry)
  return number ? { kind: 'number', ...number } : { kind: 'withheld' }
}

/** `•••••••123`: only the last three digits, for outbox listings. */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/\D/g, '')
  return `•••${digits.slice(-3)}`
}
