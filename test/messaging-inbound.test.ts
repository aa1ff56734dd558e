/**
 * POST /webhooks/twilio/messaging: consent keywords, WhatsApp, idempotency, replies to text-backs,
 * and no raw number or message text at rest.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { inboundMessages, optOuts, outboundMessages } from '../src/db/schema'
import { getConfig } from '../src/env'
import type { TextBackJob } from '../src/jobs/messages'
import { DAY_MS } from '../src/lib/time'
import { consentKeyword, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS } from '../src/messaging/keywords'
import { contactHash } from '../src/privacy/crypto'
import { deliverTextBack } from '../src/textback/deliver'
import { createTestClinic, type TestClinic } from './helpers/clinic'
import { postTwilio } from './helpers/twilio'
import {
  CALLER,
  db,
  fakeTwilio,
  liveConfig,
  missedCallWithTextBack,
  outboxRow,
  twilioError,
} from './textback-delivery.fixtures'

const PATH = '/webhooks/twilio/messaging'

let sidCounter = 0
function messageSid(): string {
  sidCounter++
  return `SM${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}${String(sidCounter).padStart(8, '0')}`
}

function inbound(clinic: TestClinic, body: string, overrides: Record<string, string> = {}) {
  return {
    MessageSid: messageSid(),
    AccountSid: `AC${'1'.repeat(32)}`,
    From: CALLER,
    To: clinic.trackingNumber,
    Body: body,
    NumMedia: '0',
    ...overrides,
  }
}

/** Delivers the text-back through a fake Twilio that accepts it: a text-back really sent. */
async function sendForReal(job: TextBackJob) {
  expect(await deliverTextBack(job, env, { fetch: fakeTwilio().fetch, config: liveConfig() })).toBe(
    'sent',
  )
}

async function optOutRow(clinicId: string, e164 = CALLER) {
  const hash = await contactHash(getConfig(env), clinicId, e164)
  const [row] = await db
    .select()
    .from(optOuts)
    .where(and(eq(optOuts.clinicId, clinicId), eq(optOuts.contactHash, hash)))
  return row
}

async function inboundRows(clinicId: string) {
  return db.select().from(inboundMessages).where(eq(inboundMessages.clinicId, clinicId))
}

async function expectEmptyTwiml(res: Response) {
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/xml/)
  expect(await res.text()).toMatch(/<Response\/>$/)
}

describe('consent keywords', () => {
  it('recognise every opt-out and opt-in keyword in any case, with surrounding whitespace', () => {
    const keyword = fc.constantFrom(...OPT_OUT_KEYWORDS, ...OPT_IN_KEYWORDS)
    const casing = fc.array(fc.boolean(), { minLength: 12, maxLength: 12 })
    const space = fc.stringMatching(/^[ \t\r\n]{0,4}$/)
    fc.assert(
      fc.property(keyword, casing, space, space, (word, upper, before, after) => {
        const typed = [...word].map((ch, i) => (upper[i] ? ch : ch.toLowerCase())).join('')
        const result = consentKeyword(`${before}${typed}${after}`)
        expect(result).toEqual({
          action: OPT_OUT_KEYWORDS.includes(word) ? 'opt-out' : 'opt-in',
          keyword: word,
        })
      }),
    )
  })

  it('ignore keywords inside a longer message', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...OPT_OUT_KEYWORDS, ...OPT_IN_KEYWORDS),
        fc.stringMatching(/^[a-z]{1,10}$/),
        (word, extra) => {
          expect(consentKeyword(`${word} ${extra}`)).toBeNull()
          expect(consentKeyword(`${extra} ${word}`)).toBeNull()
        },
      ),
    )
    expect(consentKeyword('Yes please')).toBeNull()
    expect(consentKeyword('YES')).toBeNull()
    expect(consentKeyword('')).toBeNull()
  })
})

describe('POST /webhooks/twilio/messaging', () => {
  for (const body of [
    'STOP',
    'stop',
    '  Stop\n',
    'UNSUBSCRIBE',
    'cancel',
    ' End ',
    'quit',
    'StopAll',
  ]) {
    it(`opts the sender out on ${JSON.stringify(body)} and answers an empty <Response/>`, async () => {
      const clinic = await createTestClinic()
      const res = await postTwilio(PATH, inbound(clinic, body))

      await expectEmptyTwiml(res)
      expect(await optOutRow(clinic.clinicId)).toMatchObject({
        optedOut: true,
        keyword: body.trim().toUpperCase(),
      })
    })
  }

  it('opts the sender back in on START', async () => {
    const clinic = await createTestClinic()
    await postTwilio(PATH, inbound(clinic, 'STOP'))
    await postTwilio(PATH, inbound(clinic, 'start'))

    expect(await optOutRow(clinic.clinicId)).toMatchObject({ optedOut: false, keyword: 'START' })
  })

  it('scopes an opt-out to the clinic whose number was texted', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    await postTwilio(PATH, inbound(clinic, 'STOP'))

    expect(await optOutRow(clinic.clinicId)).toMatchObject({ optedOut: true })
    expect(await optOutRow(other.clinicId)).toBeUndefined()
  })

  it('writes an audit entry for an opt-out without the number or the message', async () => {
    const clinic = await createTestClinic()
    await postTwilio(PATH, inbound(clinic, 'STOP'))

    const entries = await env.CLINIC.getByName(clinic.clinicId).listAudit(20, null)
    const optOut = entries.find((e) => e.action === 'messaging.opt-out')
    expect(optOut).toBeDefined()
    expect(JSON.stringify(optOut)).not.toContain(CALLER.slice(3))
  })

  it('handles WhatsApp: strips the whatsapp: prefix and records the channel', async () => {
    const clinic = await createTestClinic()
    const res = await postTwilio(
      PATH,
      inbound(clinic, 'Hello, can I book?', {
        From: `whatsapp:${CALLER}`,
        To: `whatsapp:${clinic.trackingNumber}`,
        ProfileName: 'Pat',
        WaId: CALLER.slice(1),
      }),
    )

    await expectEmptyTwiml(res)
    const [row] = await inboundRows(clinic.clinicId)
    expect(row).toMatchObject({
      channel: 'whatsapp',
      senderHash: await contactHash(getConfig(env), clinic.clinicId, CALLER),
    })
  })

  it('opts out a WhatsApp sender too', async () => {
    const clinic = await createTestClinic()
    await postTwilio(
      PATH,
      inbound(clinic, 'STOP', {
        From: `whatsapp:${CALLER}`,
        To: `whatsapp:${clinic.trackingNumber}`,
      }),
    )
    expect(await optOutRow(clinic.clinicId)).toMatchObject({ optedOut: true })
  })

  it('stores the body sealed under a hashed sender', async () => {
    const clinic = await createTestClinic()
    await postTwilio(PATH, inbound(clinic, 'Can I come in Tuesday?'))

    const [row] = await inboundRows(clinic.clinicId)
    expect(row!.bodySealed).toMatch(/^rb1\./)
    expect(row!.senderHash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('answers <Response/> and records nothing for a number that is not ours', async () => {
    const clinic = await createTestClinic()
    const res = await postTwilio(PATH, inbound(clinic, 'STOP', { To: '+441134969999' }))

    await expectEmptyTwiml(res)
    expect(await optOutRow(clinic.clinicId)).toBeUndefined()
    expect(await inboundRows(clinic.clinicId)).toHaveLength(0)
  })

  it('ignores a duplicate delivery of the same MessageSid', async () => {
    const clinic = await createTestClinic()
    const params = inbound(clinic, 'Hi there')
    const first = await postTwilio(PATH, params, { idempotencyToken: 'tok-1' })
    const retried = await postTwilio(PATH, params, { idempotencyToken: 'tok-1' })
    const redelivered = await postTwilio(PATH, params, { idempotencyToken: 'tok-2' })

    for (const res of [first, retried, redelivered]) await expectEmptyTwiml(res)
    expect(await inboundRows(clinic.clinicId)).toHaveLength(1)
  })

  it('refuses a missing MessageSid with a problem+json 400', async () => {
    const clinic = await createTestClinic()
    const { MessageSid: _, ...params } = inbound(clinic, 'STOP')
    const res = await postTwilio(PATH, params)

    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await optOutRow(clinic.clinicId)).toBeUndefined()
  })

  it('refuses a bad signature with 403 and changes nothing', async () => {
    const clinic = await createTestClinic()
    const res = await postTwilio(PATH, inbound(clinic, 'STOP'), { signature: 'bm9wZQ==' })

    expect(res.status).toBe(403)
    expect(await optOutRow(clinic.clinicId)).toBeUndefined()
  })
})

describe('replies to a text-back', () => {
  it('links a reply within 14 days to the missed call the text-back was for', async () => {
    const clinic = await createTestClinic()
    const { job, callId } = await missedCallWithTextBack(clinic)
    await sendForReal(job)

    await postTwilio(PATH, inbound(clinic, 'Yes please, call me back'))

    const [row] = await inboundRows(clinic.clinicId)
    expect(row!.inReplyToCallId).toBe(callId)
  })

  it('links a WhatsApp reply from the same number too', async () => {
    const clinic = await createTestClinic()
    const { job, callId } = await missedCallWithTextBack(clinic)
    await sendForReal(job)

    await postTwilio(
      PATH,
      inbound(clinic, 'Hi', {
        From: `whatsapp:${CALLER}`,
        To: `whatsapp:${clinic.trackingNumber}`,
      }),
    )

    const [row] = await inboundRows(clinic.clinicId)
    expect(row!.inReplyToCallId).toBe(callId)
  })

  it('does not count a message from someone who got no text-back', async () => {
    const clinic = await createTestClinic()
    const { job } = await missedCallWithTextBack(clinic, '+447700900456')
    await sendForReal(job)

    await postTwilio(PATH, inbound(clinic, 'Hello'))

    const [row] = await inboundRows(clinic.clinicId)
    expect(row!.inReplyToCallId).toBeNull()
  })

  it('does not count a text-back kept in the sandbox outbox', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId } = await missedCallWithTextBack(clinic)
    expect(await deliverTextBack(job, env)).toBe('sandboxed') // the test env is in sandbox mode
    expect((await outboxRow(clinic.clinicId, outboxId)).status).toBe('sandboxed')

    await postTwilio(PATH, inbound(clinic, 'Yes please, call me back'))

    const [row] = await inboundRows(clinic.clinicId)
    expect(row!.inReplyToCallId).toBeNull()
  })

  it('does not count a text-back Twilio refused', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId } = await missedCallWithTextBack(clinic)
    const refusing = fakeTwilio(() => twilioError(400, 21211))
    await expect(
      deliverTextBack(job, env, { fetch: refusing.fetch, config: liveConfig() }),
    ).rejects.toThrow()
    expect((await outboxRow(clinic.clinicId, outboxId)).status).toBe('failed')

    await postTwilio(PATH, inbound(clinic, 'Hello?'))

    const [row] = await inboundRows(clinic.clinicId)
    expect(row!.inReplyToCallId).toBeNull()
  })

  it('does not count a text-back that was never sent', async () => {
    const clinic = await createTestClinic()
    await missedCallWithTextBack(clinic) // still queued

    await postTwilio(PATH, inbound(clinic, 'Hello'))

    const [row] = await inboundRows(clinic.clinicId)
    expect(row!.inReplyToCallId).toBeNull()
  })

  it('does not count a reply more than 14 days after the text-back', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId } = await missedCallWithTextBack(clinic)
    await sendForReal(job)
    await db
      .update(outboundMessages)
      .set({ sentAt: Date.now() - 15 * DAY_MS, createdAt: Date.now() - 15 * DAY_MS })
      .where(eq(outboundMessages.id, outboxId))

    await postTwilio(PATH, inbound(clinic, 'Hello'))

    const [row] = await inboundRows(clinic.clinicId)
    expect(row!.inReplyToCallId).toBeNull()
  })

  it('does not count STOP as a reply', async () => {
    const clinic = await createTestClinic()
    const { job } = await missedCallWithTextBack(clinic)
    await sendForReal(job)

    await postTwilio(PATH, inbound(clinic, 'STOP'))

    const [row] = await inboundRows(clinic.clinicId)
    expect(row!.inReplyToCallId).toBeNull()
    expect(await optOutRow(clinic.clinicId)).toMatchObject({ optedOut: true })
  })

  it('does not link a reply to another clinic’s text-back', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const { job } = await missedCallWithTextBack(other)
    await sendForReal(job)

    await postTwilio(PATH, inbound(clinic, 'Hello'))

    const [row] = await inboundRows(clinic.clinicId)
    expect(row!.inReplyToCallId).toBeNull()
  })
})

describe('privacy at rest', () => {
  it('keeps no raw number or message text in any D1 row', async () => {
    const clinic = await createTestClinic()
    const secretText = 'My tooth hurts near the left molar'
    const { job } = await missedCallWithTextBack(clinic)
    await deliverTextBack(job, env)
    await postTwilio(PATH, inbound(clinic, secretText))
    await postTwilio(
      PATH,
      inbound(clinic, 'STOP', {
        From: `whatsapp:${CALLER}`,
        To: `whatsapp:${clinic.trackingNumber}`,
      }),
    )

    const tables = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'",
    ).all<{ name: string }>()
    for (const { name } of tables.results) {
      const text = JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results)
      expect(text, name).not.toContain(CALLER.slice(1))
      expect(text, name).not.toContain(CALLER.replace('+44', '0'))
      expect(text, name).not.toContain(secretText)
    }
  })
})
