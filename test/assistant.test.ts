/**
 * The AI receptionist through the real @anthropic-ai/sdk against a fake Anthropic at
 * ANTHROPIC_BASE_URL: the request it sends, its structured answer, and every failure mode.
 */
import { describe, expect, it } from 'vitest'
import {
  type AssistantTurn,
  decideReply,
  ModelBudgetError,
  ModelUnavailableError,
} from '../src/assistant/assistant'
import type { ClinicFacts } from '../src/assistant/facts'
import {
  CLINICAL_HOLDING_REPLY,
  disclosureLine,
  HOLDING_REPLY,
  RED_FLAG_REPLY,
} from '../src/assistant/safety'
import {
  apiError,
  FAKE_ANTHROPIC,
  FAKE_KEY,
  FAKE_MODEL,
  fakeAnthropic,
  modelConfig,
  textReply,
  toolReply,
} from './helpers/anthropic'

const FACTS: ClinicFacts = {
  clinicName: 'Bright Smiles Leeds',
  timezone: 'Europe/London',
  address: '14 Park Row, Leeds LS1 5HD',
  openingHours: { mon: [['08:30', '17:30']], sat: [['09:00', '13:00']] },
  bookingUrl: 'https://book.example.com/bright',
  treatments: [
    { name: 'Teeth whitening', valuePence: 35_000 },
    { name: 'Hygienist appointment', valuePence: 7_500 },
  ],
}

function turn(message: string, overrides: Partial<AssistantTurn> = {}): AssistantTurn {
  return {
    facts: FACTS,
    history: [
      { author: 'system', body: 'Sorry we missed your call at Bright Smiles Leeds.' },
      { author: 'patient', body: message },
    ],
    needsDisclosure: false,
    channel: 'sms',
    ...overrides,
  }
}

const PRICE_ANSWER = {
  intent: 'price',
  reply: 'Teeth whitening is £350. You can book at https://book.example.com/bright',
  handoff: false,
  handoffReason: null,
}

describe('decideReply with the model (real SDK, fake Anthropic)', () => {
  it('calls the Messages API at ANTHROPIC_BASE_URL once, with the model, key, facts-only prompt and the reply tool', async () => {
    const anthropic = fakeAnthropic(toolReply(PRICE_ANSWER))
    await decideReply(turn('How much is whitening?'), {
      config: modelConfig(),
      fetch: anthropic.fetch,
    })

    expect(anthropic.requests).toHaveLength(1)
    const [req] = anthropic.requests
    expect(req!.method).toBe('POST')
    expect(req!.url).toBe(`${FAKE_ANTHROPIC}/v1/messages`)
    // This SDK version sends the key as a bearer token.
    expect(req!.headers.get('authorization')).toBe(`Bearer ${FAKE_KEY}`)
    expect(req!.body.model).toBe(FAKE_MODEL)
    expect(req!.body.tool_choice).toEqual({ type: 'tool', name: 'reply' })
    expect(req!.body.tools.map((t) => t.name)).toEqual(['reply'])
    expect(req!.body.system).toContain('Bright Smiles Leeds')
    expect(req!.body.system).toContain('Teeth whitening: £350')
    expect(req!.body.system).toContain('14 Park Row, Leeds LS1 5HD')
    expect(req!.body.system).toContain('Monday: 08:30–17:30')
    expect(req!.body.system).toContain('Sunday: closed')
    expect(req!.body.system).not.toContain('How much is whitening')
    expect(req!.body.messages).toHaveLength(1)
    expect(req!.body.messages[0]!.content).toContain('Patient: How much is whitening?')
  })

  it("returns the model's reply, its triage and the tokens used", async () => {
    const anthropic = fakeAnthropic(
      toolReply(PRICE_ANSWER, { input_tokens: 1234, output_tokens: 56 }),
    )
    const decision = await decideReply(turn('How much is whitening?'), {
      config: modelConfig(),
      fetch: anthropic.fetch,
    })
    expect(decision).toEqual({
      body: PRICE_ANSWER.reply,
      triage: { intent: 'price', redFlags: [], handoff: false, reason: null },
      usage: { inputTokens: 1234, outputTokens: 56 },
    })
  })

  it('prepends the disclosure to the first AI message only', async () => {
    const first = await decideReply(turn('How much is whitening?', { needsDisclosure: true }), {
      config: modelConfig(),
      fetch: fakeAnthropic(toolReply(PRICE_ANSWER)).fetch,
    })
    expect(first.body).toBe(`${disclosureLine('Bright Smiles Leeds')}\n${PRICE_ANSWER.reply}`)
    const later = await decideReply(turn('How much is whitening?'), {
      config: modelConfig(),
      fetch: fakeAnthropic(toolReply(PRICE_ANSWER)).fetch,
    })
    expect(later.body).toBe(PRICE_ANSWER.reply)
  })

  it('a red flag gets the fixed reply and a hand-over without any model call', async () => {
    const anthropic = fakeAnthropic(toolReply(PRICE_ANSWER))
    const decision = await decideReply(
      turn('my face is swollen and I have a temperature', { needsDisclosure: true }),
      { config: modelConfig(), fetch: anthropic.fetch },
    )
    expect(anthropic.requests).toHaveLength(0)
    expect(decision).toEqual({
      body: RED_FLAG_REPLY,
      triage: {
        intent: 'clinical',
        redFlags: ['facial-swelling'],
        handoff: true,
        reason: 'red-flag:facial-swelling',
      },
      usage: null,
    })
  })

  it('429 with retry-after → ModelUnavailableError carrying the wait, after one request (SDK retries off)', async () => {
    const anthropic = fakeAnthropic(
      apiError(429, 'rate_limit_error', 'Number of request tokens has exceeded your rate limit', {
        'retry-after': '30',
      }),
    )
    const error = await decideReply(turn('Can I book a check-up?'), {
      config: modelConfig(),
      fetch: anthropic.fetch,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelUnavailableError)
    expect((error as ModelUnavailableError).retryAfterSeconds).toBe(30)
    expect(anthropic.requests).toHaveLength(1)
  })

  it('529 overloaded → ModelUnavailableError', async () => {
    const anthropic = fakeAnthropic(apiError(529, 'overloaded_error', 'Overloaded'))
    await expect(
      decideReply(turn('Can I book a check-up?'), {
        config: modelConfig(),
        fetch: anthropic.fetch,
      }),
    ).rejects.toBeInstanceOf(ModelUnavailableError)
    expect(anthropic.requests).toHaveLength(1)
  })

  it('a 500 and a network failure → ModelUnavailableError without retry-after', async () => {
    for (const answer of [
      apiError(500, 'api_error', 'Internal server error'),
      'network-error' as const,
    ]) {
      const error = await decideReply(turn('Can I book a check-up?'), {
        config: modelConfig(),
        fetch: fakeAnthropic(answer).fetch,
      }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ModelUnavailableError)
      expect((error as ModelUnavailableError).retryAfterSeconds).toBeUndefined()
    }
  })

  it('a 200 whose body is not JSON is retried like an outage, never guessed from', async () => {
    const garbage = new Response('<html>502 Bad Gateway</html>', {
      status: 200,
      headers: { 'content-type': 'application/json' },
    })
    await expect(
      decideReply(turn('Can I book a check-up?'), {
        config: modelConfig(),
        fetch: fakeAnthropic(garbage).fetch,
      }),
    ).rejects.toBeInstanceOf(ModelUnavailableError)
  })

  it('a spent credit balance (400) or a billing error → ModelBudgetError, not retryable', async () => {
    const answers = [
      apiError(
        400,
        'invalid_request_error',
        'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      ),
      apiError(402, 'billing_error', 'Payment required'),
    ]
    for (const answer of answers) {
      const error = await decideReply(turn('Can I book a check-up?'), {
        config: modelConfig(),
        fetch: fakeAnthropic(answer).fetch,
      }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ModelBudgetError)
      expect(error).not.toBeInstanceOf(ModelUnavailableError)
    }
  })

  it('a request refused for good (401) hands over with the holding reply', async () => {
    const decision = await decideReply(turn('Can I book a check-up?'), {
      config: modelConfig(),
      fetch: fakeAnthropic(apiError(401, 'authentication_error', 'invalid x-api-key')).fetch,
    })
    expect(decision.body).toBe(HOLDING_REPLY)
    expect(decision.triage).toMatchObject({ handoff: true, reason: 'model-refused:401' })
  })

  it('malformed output (missing fields, wrong types, or no tool call) → hand-over with the holding reply, tokens still counted', async () => {
    const malformed = [
      toolReply({ intent: 'price', reply: 'Whitening is £350' }),
      toolReply({ intent: 'discount', reply: 'Hi', handoff: 'no', handoffReason: null }),
      toolReply('not even an object'),
      textReply('Whitening is £350, book now!'),
    ]
    for (const answer of malformed) {
      const decision = await decideReply(turn('Can I book a check-up?'), {
        config: modelConfig(),
        fetch: fakeAnthropic(answer).fetch,
      })
      expect(decision.body).toBe(HOLDING_REPLY)
      expect(decision.triage).toMatchObject({ handoff: true, reason: 'invalid-model-output' })
      expect(decision.usage).not.toBeNull()
    }
  })

  it('an invented price is never sent: hand-over with the holding reply', async () => {
    const decision = await decideReply(turn('How much are veneers?'), {
      config: modelConfig(),
      fetch: fakeAnthropic(
        toolReply({
          intent: 'price',
          reply: 'Veneers start from £495 per tooth.',
          handoff: false,
          handoffReason: null,
        }),
      ).fetch,
    })
    expect(decision.body).toBe(HOLDING_REPLY)
    expect(decision.triage).toEqual({
      intent: 'price',
      redFlags: [],
      handoff: true,
      reason: 'unsafe-reply:invented-price',
    })
  })

  it('medical advice is never sent, and a clinical question is always handed over', async () => {
    const advice = await decideReply(turn('My tooth aches, what can I do?'), {
      config: modelConfig(),
      fetch: fakeAnthropic(
        toolReply({
          intent: 'clinical',
          reply: 'Sounds like an abscess. Take ibuprofen 400mg and rinse with salt water.',
          handoff: false,
          handoffReason: null,
        }),
      ).fetch,
    })
    expect(advice.body).toBe(CLINICAL_HOLDING_REPLY)
    expect(advice.triage).toMatchObject({ intent: 'clinical', handoff: true })

    const polite = await decideReply(turn('My tooth aches, what can I do?'), {
      config: modelConfig(),
      fetch: fakeAnthropic(
        toolReply({
          intent: 'clinical',
          reply: 'Thank you, a member of the team will reply shortly.',
          handoff: false,
          handoffReason: null,
        }),
      ).fetch,
    })
    expect(polite.body).toBe('Thank you, a member of the team will reply shortly.')
    expect(polite.triage).toMatchObject({ handoff: true, reason: 'clinical' })
  })

  it("a free-text hand-over reason from the model is not stored (it could carry the patient's words)", async () => {
    const decision = await decideReply(turn('I want to speak to Dr Patel about my x-rays'), {
      config: modelConfig(),
      fetch: fakeAnthropic(
        toolReply({
          intent: 'other',
          reply: 'A member of the team will reply soon.',
          handoff: true,
          handoffReason: 'Jane Smith wants her x-rays',
        }),
      ).fetch,
    })
    expect(decision.triage.reason).toBe('other')
  })
})

describe('decideReply without a key (sandbox)', () => {
  const sandbox = { anthropic: { apiKey: null, baseUrl: FAKE_ANTHROPIC, model: FAKE_MODEL } }

  it('answers from the facts and never calls out', async () => {
    const anthropic = fakeAnthropic(toolReply(PRICE_ANSWER))
    const decision = await decideReply(turn('how much is teeth whitening?'), {
      config: sandbox,
      fetch: anthropic.fetch,
    })
    expect(anthropic.requests).toHaveLength(0)
    expect(decision.body).toBe(
      'Teeth whitening: £350. You can book online at https://book.example.com/bright',
    )
    expect(decision.triage).toEqual({ intent: 'price', redFlags: [], handoff: false, reason: null })
    expect(decision.usage).toBeNull()
  })

  it('hands over a price it does not know, and a booking with no link', async () => {
    const veneers = await decideReply(turn('how much are veneers?'), { config: sandbox })
    expect(veneers.body).toBe(HOLDING_REPLY)
    expect(veneers.triage).toMatchObject({ handoff: true, reason: 'price-unknown' })
    const noLink = await decideReply(
      turn('Can I book a check-up?', { facts: { ...FACTS, bookingUrl: null } }),
      { config: sandbox },
    )
    expect(noLink.triage).toMatchObject({ intent: 'booking', handoff: true, reason: 'booking' })
  })

  it('answers only the latest patient turn, and nothing when the patient has not written since', async () => {
    const decision = await decideReply(
      {
        ...turn(''),
        history: [
          { author: 'patient', body: 'my face is swollen and I have a fever' },
          { author: 'staff', body: 'We will call you now.' },
          { author: 'patient', body: 'Thanks!' },
        ],
      },
      { config: sandbox },
    )
    expect(decision.body).toBeNull()
    expect(decision.triage.redFlags).toEqual([])
    const none = await decideReply(
      { ...turn(''), history: [{ author: 'staff', body: 'Hello' }] },
      { config: sandbox },
    )
    expect(none).toEqual({
      body: null,
      triage: { intent: 'other', redFlags: [], handoff: false, reason: null },
      usage: null,
    })
  })
})
