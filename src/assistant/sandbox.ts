/**
 * The deterministic sandbox receptionist, used without an Anthropic key (development, tests, CI):
 * intent by rules, replies only from the clinic's facts, everything else handed to a human.
 */
import { type ClinicFacts, describeHours } from './facts'
import {
  CLINICAL_HOLDING_REPLY,
  classifyIntent,
  formatPrice,
  HOLDING_REPLY,
  isAcknowledgement,
  looksNonEnglish,
  normaliseForRules,
} from './safety'
import type { ReplyDecision, Triage } from './types'

/** Words too common in treatment names to identify one ("NHS Band 1 check-up" → "check up"). */
const GENERIC = new Set([
  'appointment',
  'consultation',
  'treatment',
  'treatments',
  'teeth',
  'tooth',
  'injection',
  'injections',
  'session',
  'check',
  'with',
  'and',
  'the',
  'for',
  'nhs',
  'band',
])

/** A plural's singular, loosely (`fillers` → `filler`), so "fillers" finds "Dermal filler". */
function singular(word: string): string {
  return word.length > 4 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word
}

/** The phrases that identify a treatment: its distinctive words and each pair of adjacent words. */
function treatmentKeys(name: string): string[] {
  const words = normaliseForRules(name).split(' ').map(singular)
  const keys = words.filter((w) => w.length >= 4 && !GENERIC.has(w))
  for (let i = 0; i + 1 < words.length; i++) keys.push(`${words[i]} ${words[i + 1]}`)
  return keys
}

/** The clinic's treatments the message names (by distinctive word or adjacent pair). */
export function treatmentsNamedIn(
  message: string,
  treatments: ClinicFacts['treatments'],
): ClinicFacts['treatments'] {
  const text = ` ${normaliseForRules(message).split(' ').map(singular).join(' ')} `
  return treatments.filter((t) => treatmentKeys(t.name).some((key) => text.includes(` ${key} `)))
}

function reply(
  body: string | null,
  triage: Omit<Triage, 'redFlags'>,
): Omit<ReplyDecision, 'usage'> {
  return { body, triage: { ...triage, redFlags: [] } }
}

function handOff(intent: Triage['intent'], reason: string, body = HOLDING_REPLY) {
  return reply(body, { intent, handoff: true, reason })
}

function bookingLine(facts: ClinicFacts): string {
  return facts.bookingUrl ? ` You can book online at ${facts.bookingUrl}` : ''
}

/**
 * The sandbox's answer to the patient's latest turn (red flags are handled before this is called).
 * @example sandboxReply('how much is teeth whitening?', facts).body // 'Teeth whitening is £350. …'
 */
export function sandboxReply(latest: string, facts: ClinicFacts): Omit<ReplyDecision, 'usage'> {
  const intent = classifyIntent(latest)
  if (looksNonEnglish(latest)) return handOff(intent, 'not-english')
  if (isAcknowledgement(latest))
    return reply(null, { intent: 'other', handoff: false, reason: null })
  switch (intent) {
    case 'complaint':
      return handOff(
        intent,
        'complaint',
        "I'm sorry to hear that. I've passed your message to the team, and someone will reply as soon as they can.",
      )
    case 'cancel':
      return handOff(
        intent,
        'cancel',
        'Thank you for letting us know. A member of the team will confirm the change with you as soon as they can.',
      )
    case 'clinical':
      return handOff(intent, 'clinical', CLINICAL_HOLDING_REPLY)
    case 'price': {
      const named = treatmentsNamedIn(latest, facts.treatments)
      if (named.length === 0 || named.length > 3) return handOff(intent, 'price-unknown')
      const prices = named.map((t) => `${t.name}: ${formatPrice(t.valuePence)}`).join('; ')
      return reply(`${prices}.${bookingLine(facts)}`, { intent, handoff: false, reason: null })
    }
    case 'hours': {
      const hours = describeHours(facts.openingHours)
      if (!hours) return handOff(intent, 'hours-unknown')
      return reply(`Our opening hours:\n${hours}`, { intent, handoff: false, reason: null })
    }
    case 'location':
      if (!facts.address) return handOff(intent, 'location-unknown')
      return reply(`You'll find us at ${facts.address}.`, { intent, handoff: false, reason: null })
    case 'booking':
      if (!facts.bookingUrl) {
        return handOff(
          intent,
          'booking',
          'Thank you! A member of the team will get back to you to find a time.',
        )
      }
      return reply(
        `You can book online at ${facts.bookingUrl}. If you'd rather we found a time for you, reply here and the team will help.`,
        { intent, handoff: false, reason: null },
      )
    case 'other':
      return handOff(intent, 'other')
  }
}
