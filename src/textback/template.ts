/**
 * The text-back template check, shared by PATCH /api/v1/clinic and the settings page: how many SMS
 * segments the rendered message costs (GSM-7 or UCS-2), and that it names the clinic and says how
 * to opt out. Pure; a template that fails is refused, never cut.
 */
import { renderTextBack } from './request'

/** The most segments a text-back may cost: two concatenated texts. */
export const MAX_TEXT_BACK_SEGMENTS = 2

export { type SmsEncoding, type SmsLength, smsLength } from '../lib/sms'

import { type SmsLength, smsLength } from '../lib/sms'

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
