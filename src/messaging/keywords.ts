/**
 * Consent keywords in inbound SMS/WhatsApp. The list mirrors Twilio's default opt-out handling:
 * Twilio itself blocks further messages to a sender after these words (error 21610), so our own
 * consent record must agree with it or we would queue messages that can never be sent.
 * A keyword counts only when it is the whole message (trimmed, any case), as carriers do:
 * "please don't stop texting" is a conversation, not an opt-out.
 */

const OPT_OUT = new Set([
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'OPTOUT',
  'REVOKE',
])
// Not YES: a patient answering "yes" to a text-back is a reply, not a consent command.
const OPT_IN = new Set(['START', 'UNSTOP'])

export type ConsentKeyword = { action: 'opt-out' | 'opt-in'; keyword: string }

/** Returns the consent command an inbound message body carries, or null for anything else. */
export function consentKeyword(body: string | null | undefined): ConsentKeyword | null {
  const word = (body ?? '').trim().toUpperCase()
  if (OPT_OUT.has(word)) return { action: 'opt-out', keyword: word }
  if (OPT_IN.has(word)) return { action: 'opt-in', keyword: word }
  return null
}

export const OPT_OUT_KEYWORDS: readonly string[] = [...OPT_OUT]
export const OPT_IN_KEYWORDS: readonly string[] = [...OPT_IN]
