/**
 * The text-back template check, shared by PATCH /api/v1/clinic and the settings page: how many SMS
 * segments the rendered message costs (GSM-7 or UCS-2), and that it names the clinic and says how
 * to opt out. Pure; a template that fails is refused, never cut.
 */
import { renderTextBack } from './request'

/** The most segments a text-back may cost: two concatenated texts. */
export const MAX_TEXT_BACK_SEGMENTS = 2

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

/**
 * An opt-out instruction: the STOP keyword in capitals ("…or STOP to opt out"), or "reply/text
 * stop" in any case. A lower-case "stop" alone ("please stop by") is not an instruction.
 */
const OPT_OUT = [/\bSTOP\b/, /\b(reply|text|send|txt)\s+["'‘’“”]?stop\b/i]

/**
 * What is wrong with a text-back template for this clinic (empty when it may be saved): the
 * rendered message must fit in {@link MAX_TEXT_BACK_SEGMENTS} texts, name the clinic (literally or
 * through `{clinic}`) and tell the caller how to opt out.
 */
export function textBackTemplateProblems(template: string, clinicName: string): string[] {
  const problems: string[] = []
  const rendered = renderTextBack(template, clinicName)
  const length = smsLength(rendered)
  if (length.segments > MAX_TEXT_BACK_SEGMENTS) {
    const unicode = length.unicodeChar
      ? ` Because it contains “${length.unicodeChar}”, each text holds only 70 characters; plain characters allow 160.`
      : ''
    problems.push(
      `With your clinic’s name filled in, this message would be sent as ${length.segments} texts; keep it to ${MAX_TEXT_BACK_SEGMENTS}.${unicode}`,
    )
  }
  const named =
    template.includes('{clinic}') ||
    (clinicName.trim() !== '' && rendered.toLowerCase().includes(clinicName.trim().toLowerCase()))
  if (!named) problems.push('Say who is texting: include {clinic} or your clinic’s name.')
  if (!OPT_OUT.some((pattern) => pattern.test(rendered))) {
    problems.push('Tell the caller how to opt out, for example “Reply STOP to opt out.”')
  }
  return problems
}

/** A one-line description of the rendered message's cost, for the settings page's hint. */
export function describeSmsLength(length: SmsLength): string {
  const texts = length.segments === 1 ? '1 text' : `${length.segments} texts`
  const kind = length.encoding === 'GSM-7' ? 'plain characters' : 'Unicode characters'
  return `Currently ${texts} (${length.units} ${kind}).`
}
