/**
 * How many SMS segments a text costs (GSM-7 or UCS-2): the one count behind the text-back
 * template's check, the settings page's hint and the usage a clinic is billed for.
 */

// The GSM 03.38 default alphabet (one septet each) and its extension table (escape + one septet).
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
)
const GSM_EXTENDED = new Set('^{}\\[~]|€\f')

export type SmsEncoding = 'GSM-7' | 'UCS-2'

export type SmsLength = {
  encoding: SmsEncoding
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number
  segments: number
  /** The first character that forces UCS-2, when one does. */
  unicodeChar: string | null
}

/**
 * How a text is sent as SMS: GSM-7 when every character is in the GSM alphabet (160 septets in one
 * text, 153 per part when split), otherwise UCS-2 (70 code units, 67 per part). A part never
 * splits an escape sequence or a surrogate pair, so characters are packed whole.
 */
export function smsLength(text: string): SmsLength {
  const chars = Array.from(text)
  const unicodeChar = chars.find((ch) => !GSM_BASIC.has(ch) && !GSM_EXTENDED.has(ch)) ?? null
  const gsm = unicodeChar === null
  const weights = chars.map((ch) => (gsm ? (GSM_EXTENDED.has(ch) ? 2 : 1) : ch.length))
  const units = weights.reduce((sum, w) => sum + w, 0)
  const single = gsm ? 160 : 70
  const part = gsm ? 153 : 67
  if (units <= single) return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments: 1, unicodeChar }
  let segments = 1
  let used = 0
  for (const w of weights) {
    if (used + w > part) {
      segments += 1
      used = 0
    }
    used += w
  }
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments, unicodeChar }
}
