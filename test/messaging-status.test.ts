/**
 * POST /webhooks/twilio/messaging/status: delivery statuses move forward only, final ones stay,
 * duplicates change nothing, and a callback can recover a send whose sid was never saved.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { outboundMessages } from '../src/db/schema'
import { fromTwilioStatus, nextOutboundStatus, type OutboundStatus } from '../src/messaging/status'
import { deliverTextBack } from '../src/textback/deliver'
import { createTestClinic } from './helpers/clinic'
import { postTwilio } from './helpers/twilio'
import {
  accepted,
  callRow,
  db,
  fakeTwilio,
  liveConfig,
  missedCallWithTextBack,
  outboxRow,
} from './textback-delivery.fixtures'

const PATH = '/webhooks/twilio/messaging/status'

let n = 0
function newSid(): string {
  n++
  return `SM${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}${String(n).padStart(8, '0')}`
}

/** A text-back sent through the fake Twilio with `sid`. */
async function sentTextBack(sid = newSid()) {
  const clinic = await createTestClinic()
  const fixture = await missedCallWithTextBack(clinic)
  await deliverTextBack(fixture.job, env, {
    fetch: fakeTwilio(() => accepted(sid)).fetch,
    config: liveConfig(),
  })
  return { clinic, sid, ...fixture }
}

function status(sid: string, messageStatus: string, extra: Record<string, string> = {}) {
  return {
    MessageSid: sid,
    MessageStatus: messageStatus,
    AccountSid: `AC${'1'.repeat(32)}`,
    ...extra,
  }
}

describe('delivery status state machine', () => {
  const nonTerminal = fc.constantFrom<OutboundStatus>('queued', 'sending', 'sent')
  const terminal = fc.constantFrom<OutboundStatus>('delivered', 'undelivered', 'failed')

  it('ends in the same status for every order of the same callbacks (at most one final status)', () => {
    fc.assert(
      fc.property(
        fc.array(nonTerminal, { maxLength: 6 }),
        fc.option(terminal, { nil: undefined }),
        fc.infiniteStream(fc.nat()),
        (middle, last, seeds) => {
          const events = last ? [...middle, last] : middle
          const shuffled = [...events]
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = seeds.next().value % (i + 1)
            ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
          }
          // Duplicates too: every callback delivered twice.
          const duplicated = shuffled.flatMap((s) => [s, s])
          const apply = (list: OutboundStatus[]) =>
            list.reduce<OutboundStatus>((cur, s) => nextOutboundStatus(cur, s), 'sending')
          expect(apply(duplicated)).toBe(apply(events))
        },
      ),
    )
  })

  it('never leaves a final status', () => {
    fc.assert(
      fc.property(
        terminal,
        fc.constantFrom<OutboundStatus>(
          'queued',
          'sending',
          'sent',
          'delivered',
          'undelivered',
          'failed',
        ),
        (final, incoming) => {
          expect(nextOutboundStatus(final, incoming)).toBe(final)
        },
      ),
    )
  })

  it('maps Twilio statuses onto ours', () => {
    expect(fromTwilioStatus('queued')).toBe('sent')
    expect(fromTwilioStatus('sent')).toBe('sent')
    expect(fromTwilioStatus('delivered')).toBe('delivered')
    expect(fromTwilioStatus('read')).toBe('delivered')
    expect(fromTwilioStatus('undelivered')).toBe('undelivered')
    expect(fromTwilioStatus('failed')).toBe('failed')
    expect(fromTwilioStatus('receiving')).toBeNull()
  })
})

describe('POST /webhooks/twilio/messaging/status', () => {
  it('records delivered for a sent message and answers an empty <Response/>', async () => {
    const { clinic, sid, outboxId } = await sentTextBack()

    const res = await postTwilio(PATH, status(sid, 'delivered'))

    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/)
    expect(await res.text()).toMatch(/<Response\/>$/)
    expect((await outboxRow(clinic.clinicId, outboxId)).status).toBe('delivered')
  })

  it('never moves delivered back to sent when callbacks arrive out of order', async () => {
    const { clinic, sid, outboxId } = await sentTextBack()

    await postTwilio(PATH, status(sid, 'delivered'))
    await postTwilio(PATH, status(sid, 'sent'))
    await postTwilio(PATH, status(sid, 'queued'))

    expect((await outboxRow(clinic.clinicId, outboxId)).status).toBe('delivered')
  })

  it('ends delivered when sent and delivered callbacks race', async () => {
    const { clinic, sid, outboxId } = await sentTextBack()

    await Promise.all([
      postTwilio(PATH, status(sid, 'queued')),
      postTwilio(PATH, status(sid, 'delivered')),
      postTwilio(PATH, status(sid, 'sent')),
    ])

    expect((await outboxRow(clinic.clinicId, outboxId)).status).toBe('delivered')
  })

  it('keeps failed final and records the error code; the call shows the text-back failed', async () => {
    const { clinic, sid, outboxId, callId } = await sentTextBack()

    await postTwilio(PATH, status(sid, 'failed', { ErrorCode: '30006' }))
    await postTwilio(PATH, status(sid, 'delivered'))

    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      status: 'failed',
      lastError: 'twilio-30006',
    })
    expect((await callRow(clinic.clinicId, callId)).textBackStatus).toBe('failed')
  })

  it('keeps undelivered final', async () => {
    const { clinic, sid, outboxId } = await sentTextBack()

    await postTwilio(PATH, status(sid, 'undelivered', { ErrorCode: '30003' }))
    await postTwilio(PATH, status(sid, 'sent'))

    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      status: 'undelivered',
      lastError: 'twilio-30003',
    })
  })

  it('treats the same callback twice as once', async () => {
    const { clinic, sid, outboxId } = await sentTextBack()
    await postTwilio(PATH, status(sid, 'delivered'), { idempotencyToken: 'st-1' })
    const before = await outboxRow(clinic.clinicId, outboxId)

    const again = await postTwilio(PATH, status(sid, 'delivered'), { idempotencyToken: 'st-1' })

    expect(again.status).toBe(200)
    expect(await outboxRow(clinic.clinicId, outboxId)).toEqual(before)
  })

  it('answers 200 and does nothing for a sid it does not know', async () => {
    const res = await postTwilio(PATH, status(newSid(), 'delivered'))

    expect(res.status).toBe(200)
    expect(await res.text()).toMatch(/<Response\/>$/)
  })

  it('refuses a callback without MessageStatus with a problem+json 400', async () => {
    const res = await postTwilio(PATH, { MessageSid: newSid() })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })

  it('recovers a send that crashed before its sid was saved, from the outbox id in the callback URL', async () => {
    const clinic = await createTestClinic()
    const { outboxId, callId } = await missedCallWithTextBack(clinic)
    // The Worker claimed the send, Twilio took the message, and the Worker died.
    await db
      .update(outboundMessages)
      .set({ status: 'sending', attempts: 1, updatedAt: Date.now() })
      .where(eq(outboundMessages.id, outboxId))
    const sid = newSid()

    await postTwilio(PATH, status(sid, 'sent'), { query: `?ob=${outboxId}` })

    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      status: 'sent',
      providerSid: sid,
    })
    expect((await callRow(clinic.clinicId, callId)).textBackStatus).toBe('sent')
    // A retried job now sees it sent and does not send again.
    const twilio = fakeTwilio()
    // (The sealed number is never opened: the row is already settled.)
    const job = {
      type: 'text-back' as const,
      clinicId: clinic.clinicId,
      callId,
      outboxId,
      toSealed: 'unused',
    }
    expect(await deliverTextBack(job, env, { fetch: twilio.fetch, config: liveConfig() })).toBe(
      'already-done',
    )
    expect(twilio.requests).toHaveLength(0)
  })

  it('does not let an outbox id take over a row that already has another sid', async () => {
    const { clinic, sid, outboxId } = await sentTextBack()

    await postTwilio(PATH, status(newSid(), 'failed'), { query: `?ob=${outboxId}` })

    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      status: 'sent',
      providerSid: sid,
    })
  })
})
