/**
 * The receptionist's safety rules as specifications: red flags whatever the spelling, case or
 * punctuation; the reply check never lets an unlisted price out; the sandbox answers a red flag
 * only with the fixed reply.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decideReply } from '../src/assistant/assistant'
import type { ClinicFacts } from '../src/assistant/facts'
import {
  checkReply,
  classifyIntent,
  detectRedFlags,
  formatPrice,
  pricesInPence,
  RED_FLAG_IDS,
  RED_FLAG_LABELS,
  RED_FLAG_REPLY,
  triageReasonInWords,
} from '../src/assistant/safety'
import { formatPence } from '../src/dashboard/format'
import { FAKE_ANTHROPIC, FAKE_MODEL } from './helpers/anthropic'

const SANDBOX = { anthropic: { apiKey: null, baseUrl: FAKE_ANTHROPIC, model: FAKE_MODEL } }

/** Red flags in the words patients use, each with the flag it must raise. */
const RED_FLAG_MESSAGES: [string, string][] = [
  ["my son's front tooth got knocked out at football", 'knocked-out-tooth'],
  ['knocked my tooth out falling off my bike', 'knocked-out-tooth'],
  ['her adult tooth has come out after she fell', 'knocked-out-tooth'],
  ['i have put the tooth in milk, it was knocked out', 'knocked-out-tooth'],
  ['my face is really swollen and I have a fever', 'facial-swelling'],
  ['swelling under my jaw is spreading down my neck', 'facial-swelling'],
  ['cheek swollen up like a balloon', 'facial-swelling'],
  ['the bleeding will not stop after my extraction', 'uncontrolled-bleeding'],
  ["it's been bleeding for hours and won't stop", 'uncontrolled-bleeding'],
  ['I cannot breathe properly', 'breathing-or-swallowing'],
  ['struggling to swallow since this morning', 'breathing-or-swallowing'],
  ['really hard to breathe through my mouth', 'breathing-or-swallowing'],
  ['severe pain after my root canal yesterday', 'severe-pain-after-treatment'],
  ['think I have a dry socket', 'severe-pain-after-treatment'],
  ['chest pain and feeling sick', 'chest-pain'],
  ['lips swelling up after the filler', 'anaphylaxis'],
  ['he has collapsed in the car park', 'unconscious'],
  ['I think my jaw is broken', 'facial-injury'],
  ['took too many paracetamol for the pain', 'overdose'],
  ['I want to kill myself this pain is too much', 'self-harm'],
]

const RED_FLAG_WORDS = [
  ['tooth', 'knocked', 'out'],
  ['face', 'swollen', 'fever'],
  ['bleeding', 'wont', 'stop'],
  ['cant', 'breathe'],
  ['chest', 'pain'],
]

/** Separators between words that must not change what the rules see. */
const separator = fc.constantFrom(
  ' ',
  '  ',
  '\t',
  '\n',
  ', ',
  '. ',
  '! ',
  '? ',
  ' - ',
  '... ',
  ' / ',
  ':) ',
)

/** The message with every word's case scrambled and every gap replaced by a random separator. */
const scrambled = (message: string) =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: message.length, maxLength: message.length }),
      fc.array(separator, { minLength: 40, maxLength: 40 }),
      fc.constantFrom('', '!!!', '?', '...', ' :('),
      fc.constantFrom('', '  ', 'URGENT: ', '>> '),
    )
    .map(([upper, seps, tail, head]) => {
      const cased = [...message].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join('')
      const words = cased.split(' ')
      return `${head}${words.map((w, i) => (i === 0 ? w : `${seps[i % seps.length]}${w}`)).join('')}${tail}`
    })

describe('red flags by rules', () => {
  it.each(RED_FLAG_MESSAGES)('"%s" raises %s', (message, flag) => {
    expect(detectRedFlags(message)).toContain(flag)
  })

  it('ordinary messages raise none', () => {
    for (const message of [
      'Can I book a check-up on Tuesday?',
      'How much is teeth whitening?',
      'my gums bleed a bit when I brush',
      'my filling fell out but it does not hurt',
      "my daughter's baby tooth fell out, when should she come in?",
      'what are your opening hours',
      'Thanks, see you then!',
      'I have a problem with bad breath, can I see the hygienist?',
      'there is a faint stain on my front tooth',
    ]) {
      expect(detectRedFlags(message), message).toEqual([])
    }
  })

  it('common misspellings still count', () => {
    expect(detectRedFlags('tooht got nocked out')).toContain('knocked-out-tooth')
    expect(detectRedFlags('face is swolen and i have a temprature')).toContain('facial-swelling')
    expect(detectRedFlags('bleading wont stopp')).toContain('uncontrolled-bleeding')
    expect(detectRedFlags('cant brethe')).toContain('breathing-or-swallowing')
    expect(detectRedFlags("bad breath, and now I can't breathe")).toContain(
      'breathing-or-swallowing',
    )
  })

  it('property: case, spacing and punctuation never change the flags', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...RED_FLAG_MESSAGES.map(([m]) => m))
          .chain((m) => scrambled(m).map((variant) => [m, variant] as const)),
        ([original, variant]) => {
          expect(detectRedFlags(variant)).toEqual(detectRedFlags(original))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('property: a red flag inside any longer message is still found', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RED_FLAG_MESSAGES),
        fc.string({ maxLength: 80 }),
        fc.string({ maxLength: 80 }),
        ([message, flag], before, after) => {
          expect(detectRedFlags(`${before}\n${message}\n${after}`)).toContain(flag)
        },
      ),
      { numRuns: 300 },
    )
  })
})

const treatment = fc.record({
  name: fc.constantFrom(
    'Teeth whitening',
    'Hygienist appointment',
    'Composite bonding',
    'Dermal filler',
  ),
  valuePence: fc.integer({ min: 100, max: 1_000_000 }),
})

function factsWith(treatments: ClinicFacts['treatments']): ClinicFacts {
  return {
    clinicName: 'Test Clinic',
    timezone: 'Europe/London',
    address: null,
    openingHours: null,
    bookingUrl: 'https://book.example.com/x',
    treatments,
  }
}

describe('checkReply', () => {
  it('passes listed prices in any usual writing, and rejects others', () => {
    const facts = factsWith([{ name: 'Teeth whitening', valuePence: 240_000 }])
    for (const ok of [
      'Whitening is £2,400.',
      'Whitening is £2400',
      'That is 2400 pounds',
      '£2,400.00',
    ]) {
      expect(checkReply(ok, facts), ok).toEqual({ ok: true })
    }
    for (const bad of [
      'From £2,399',
      'About £2.5k',
      'It is 2500 pounds',
      'Was £2,400, now £1,999',
    ]) {
      expect(checkReply(bad, facts), bad).toEqual({ ok: false, reason: 'invented-price' })
    }
  })

  it('rejects advice, diagnosis, other links and phone numbers', () => {
    const facts = factsWith([])
    expect(checkReply('Try taking paracetamol until we see you.', facts)).toMatchObject({
      reason: 'medical-advice',
    })
    expect(checkReply('It sounds like an abscess.', facts)).toMatchObject({
      reason: 'medical-advice',
    })
    expect(checkReply("That's perfectly normal after a filling.", facts)).toMatchObject({
      reason: 'medical-advice',
    })
    expect(checkReply('Book at https://evil.example.com/x', facts)).toMatchObject({
      reason: 'unknown-link',
    })
    expect(checkReply('Book at https://book.example.com/x', facts)).toEqual({ ok: true })
    expect(checkReply('Call us on 0113 496 0000.', facts)).toMatchObject({ reason: 'phone-number' })
    expect(checkReply('If it is an emergency call 999, or NHS 111.', facts)).toEqual({ ok: true })
  })

  it('property: a price that is not among the treatments never passes, however it is written', () => {
    fc.assert(
      fc.property(
        fc.array(treatment, { maxLength: 6 }),
        fc.integer({ min: 1, max: 100_000_000 }),
        fc.constantFrom<(p: number) => string>(
          formatPrice,
          formatPence,
          (p) => `£${p / 100}`,
          (p) => `£ ${(p / 100).toFixed(2)}`,
          (p) => `${(p / 100).toFixed(2)} pounds`,
          (p) => `GBP ${(p / 100).toFixed(2)}`,
        ),
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 40 }),
        (treatments, pence, write, before, after) => {
          fc.pre(!treatments.some((t) => t.valuePence === pence))
          const reply = `${before} ${write(pence)} ${after}`
          expect(checkReply(reply, factsWith(treatments)).ok).toBe(false)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('property: every amount written in the usual ways is read back exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), (pence) => {
        expect(pricesInPence(`only ${formatPrice(pence)} today`)).toEqual([pence])
        expect(pricesInPence(`only ${formatPence(pence)} today`)).toEqual([pence])
      }),
    )
  })
})

describe('the sandbox and red flags', () => {
  it('property: a red-flag message is answered with RED_FLAG_REPLY and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...RED_FLAG_MESSAGES.map(([m]) => m)).chain(scrambled),
        fc.array(treatment, { maxLength: 4 }),
        fc.boolean(),
        fc.constantFrom('sms' as const, 'whatsapp' as const, 'web' as const),
        fc.string({ maxLength: 60 }),
        async (message, treatments, needsDisclosure, channel, earlier) => {
          const decision = await decideReply(
            {
              facts: factsWith(treatments),
              history: [
                { author: 'patient', body: earlier },
                { author: 'ai', body: 'Thanks, how can we help?' },
                { author: 'patient', body: message },
              ],
              needsDisclosure,
              channel,
            },
            { config: SANDBOX },
          )
          expect(decision.body).toBe(RED_FLAG_REPLY)
          expect(decision.triage.handoff).toBe(true)
          expect(decision.triage.reason).toMatch(/^red-flag:/)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('the fixed reply points to NHS 111 and 999 and gives no advice', () => {
    expect(RED_FLAG_REPLY).toContain('111')
    expect(RED_FLAG_REPLY).toContain('999')
    expect(checkReply(RED_FLAG_REPLY, factsWith([]))).toEqual({ ok: true })
  })

  it('bare keywords are enough to raise a flag', () => {
    for (const words of RED_FLAG_WORDS) {
      expect(detectRedFlags(words.join(' ')).length, words.join(' ')).toBeGreaterThan(0)
    }
  })
})

describe('intent rules', () => {
  it.each([
    ['Can I book a hygienist appointment?', 'booking'],
    ['How much is composite bonding?', 'price'],
    ['Are you open on Saturdays?', 'hours'],
    ['Where is the nearest car park?', 'location'],
    ['My tooth hurts when I drink cold water', 'clinical'],
    ['I want to make a complaint', 'complaint'],
    ["I can't make Thursday, please cancel", 'cancel'],
    ['Who is this?', 'other'],
  ] as const)('"%s" → %s', (message, intent) => {
    expect(classifyIntent(message)).toBe(intent)
  })
})

describe('reasons in words', () => {
  it('every red flag has a label, and reasons read as words', () => {
    for (const id of RED_FLAG_IDS) expect(RED_FLAG_LABELS[id], id).toBeTruthy()
    expect(triageReasonInWords('red-flag:chest-pain')).toBe('Red flag: Chest pain')
    expect(triageReasonInWords('unsafe-reply:invented-price')).toBe(
      'Reply held back (invented-price)',
    )
    expect(triageReasonInWords('clinical')).toBe('Clinical question')
    expect(triageReasonInWords('needs-human:model-unavailable')).toBe(
      'The AI could not answer in time: a person must reply',
    )
    // The engine's reasons: a hand-over names its cause; an intent reads as what the patient wants.
    expect(triageReasonInWords('needs-human:red-flag:chest-pain')).toBe('Red flag: Chest pain')
    expect(triageReasonInWords('needs-human:clinical')).toBe('Clinical question')
    expect(triageReasonInWords('intent:booking')).toBe('Wants to book')
  })
})
