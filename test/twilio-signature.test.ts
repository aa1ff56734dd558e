import fc from 'fast-check'
import twilio from 'twilio'
import { describe, expect, it } from 'vitest'
import { isValidTwilioSignature, twilioSignature } from '../src/twilio/signature'

describe('Twilio signature', () => {
  it('matches twilio-node for any URL and params', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.webUrl({ withQueryParameters: true }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 30 }), {
          maxKeys: 8,
        }),
        fc.string({ minLength: 1, maxLength: 40 }),
        async (url, params, token) => {
          const ours = await twilioSignature(token, url, new URLSearchParams(params))
          expect(ours).toBe(twilio.getExpectedTwilioSignature(token, url, params))
        },
      ),
      { numRuns: 100 },
    )
  })

  it('rejects a signature made with another token or URL', async () => {
    const params = new URLSearchParams({ CallSid: 'CA1', From: '+447700900123' })
    const good = twilio.getExpectedTwilioSignature(
      'token-a',
      'https://x.test/a',
      Object.fromEntries(params),
    )
    expect(await isValidTwilioSignature('token-a', 'https://x.test/a', params, good)).toBe(true)
    expect(await isValidTwilioSignature('token-b', 'https://x.test/a', params, good)).toBe(false)
    expect(await isValidTwilioSignature('token-a', 'https://x.test/b', params, good)).toBe(false)
    expect(await isValidTwilioSignature('token-a', 'https://x.test/a', params, undefined)).toBe(
      false,
    )
  })
})
