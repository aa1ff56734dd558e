/**
 * Conversations: inbound messages join their contact's conversation, the AI answers through the
 * queue job (the sandbox assistant, or the real SDK against a fake Anthropic), safety rules run
 * first, staff take over, and failures end with a person told — never a lost message.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { describe, expect, it, vi } from 'vitest'
import { RED_FLAG_REPLY } from '../src/assistant/safety'
import { answerPatient, handOverUnanswered } from '../src/conversations/ai-reply'
import { replyAsStaff, setConversationStatus } from '../src/conversations/conversations.service'
import { sendConversationMessage } from '../src/conversations/send'
import {
  aiUsage,
  conversationMessages,
  conversations,
  optOuts,
  outboundMessages as outboundMessagesTable,
} from '../src/db/schema'
import { getConfig } from '../src/env'
import { PermanentJobError, RetryLaterError } from '../src/jobs/consumer'
import { DAY_MS } from '../src/lib/time'
import { contactHash } from '../src/privacy/crypto'
import { apiError, fakeAnthropic, modelConfig, toolReply } from './helpers/anthropic'
import { createTestClinic } from './helpers/clinic'
import {
  conversationRow,
  messageSid,
  PATIENT,
  patientWrites,
  thread,
} from './helpers/conversations'
import { postTwilio } from './helpers/twilio'
import { db, fakeTwilio, liveConfig } from './textback-delivery.fixtures'

const T0 = Date.UTC(2026, 10, 23, 10, 0)

/** A live config: Twilio at the local fake and the model at the fake Anthropic. */
function modelDeps(...answers: Parameters<typeof fakeAnthropic>) {
  const model = fakeAnthropic(...answers)
  const twilio = fakeTwilio()
  return {
    model,
    twilio,
    deps: {
      config: { ...liveConfig(), anthropic: modelConfig().anthropic },
      fetch: twilio.fetch,
      modelFetch: model.fetch,
      now: () => T0 + 60_000,
    },
  }
}

const goodReply = (
  reply = 'Yes, we have hygienist appointments on Tuesday morning. Shall I book you in?',
) => toolReply({ intent: 'booking', reply, handoff: false, handoffReason: null })

describe('an inbound message joins its conversation', () => {
  it('files SMS by contact and channel, seals the number and body, and counts unread once per MessageSid', async () => {
    const clinic = await createTestClinic()
    const sid = messageSid()
    const first = await patientWrites(clinic, 'Can I book a check-up?', T0, { sid })
    const again = await patientWrites(clinic, 'Can I book a check-up?', T0 + 5, { sid })
    const whatsapp = await patientWrites(clinic, 'Hello on WhatsApp', T0 + 10, {
      channel: 'whatsapp',
    })
    expect(again.messageId).toBe(first.messageId)
    expect(whatsapp.conversationId).not.toBe(first.conversationId)
    const c = await conversationRow(clinic.clinicId, first.conversationId)
    expect(c.unreadCount).toBe(1)
    expect(c.status).toBe('ai')
    expect(c.phoneMasked).toBe('•••456')
    expect(JSON.stringify(c)).not.toContain(PATIENT.slice(1))
    const stored = await db
      .select()
      .from(conversationMessages)
      .where(eq(conversationMessages.conversationId, first.conversationId))
    expect(stored).toHaveLength(1)
    expect(JSON.stringify(stored)).not.toContain('check-up')
  })

  it('through the webhook: STOP is visible in the thread and the AI answers a question by itself', async () => {
    const clinic = await createTestClinic()
    const from = '+447700900789'
    const post = (Body: string) =>
      postTwilio('/webhooks/twilio/messaging', {
        MessageSid: messageSid(),
        AccountSid: `AC${'1'.repeat(32)}`,
        From: from,
        To: clinic.trackingNumber,
        Body,
      })
    expect((await post('What time do you open on Saturday?')).status).toBe(200)
    const hash = await contactHash(getConfig(env), clinic.clinicId, from)
    const [c] = await db
      .select()
      .from(conversations)
      .where(and(eq(conversations.clinicId, clinic.clinicId), eq(conversations.contactHash, hash)))
    // The runtime's queue runs the real consumer: the sandbox assistant answers, disclosed.
    await vi.waitFor(
      async () => {
        const t = await thread(clinic.clinicId, c!.id)
        expect(t.map((m) => m.author)).toEqual(['patient', 'ai'])
        expect(t[1]!.body).toMatch(/automated/i)
        expect(t[1]!.outbox).toBe('sandboxed')
      },
      { timeout: 10_000, interval: 100 },
    )
    expect((await post('STOP')).status).toBe(200)
    const t = await thread(clinic.clinicId, c!.id)
    expect(t.at(-1)).toMatchObject({ author: 'patient', body: 'STOP' })
  })
})

describe('the AI answers a patient turn', () => {
  it('asks the real SDK at the fake Anthropic, stores triage and usage, and sends through Twilio', async () => {
    const clinic = await createTestClinic()
    const job = await patientWrites(
      clinic,
      'Can I get a hygienist appointment Tuesday morning?',
      T0,
    )
    const { model, twilio, deps } = modelDeps(goodReply())
    expect(await answerPatient(job, env, deps)).toBe('replied')
    expect(model.requests).toHaveLength(1)
    expect(model.requests[0]!.url.startsWith('https://anthropic.fake.test/')).toBe(true)
    const t = await thread(clinic.clinicId, job.conversationId)
    expect(t[0]!.triage).toMatchObject({ intent: 'booking', handoff: false })
    expect(t[1]).toMatchObject({ author: 'ai', status: 'sent' })
    expect(t[1]!.body).toMatch(/automated/i) // the disclosure on the first AI message
    expect(twilio.requests).toHaveLength(1)
    expect(twilio.requests[0]!.form.get('To')).toBe(PATIENT)
    const [usage] = await db.select().from(aiUsage).where(eq(aiUsage.clinicId, clinic.clinicId))
    expect(usage).toMatchObject({ replies: 1, inputTokens: 812, outputTokens: 64 })
    // A redelivered job sends nothing twice and asks the model nothing more.
    expect(await answerPatient(job, env, deps)).toBe('already-answered')
    expect(model.requests).toHaveLength(1)
    expect(twilio.requests).toHaveLength(1)
  })

  it('answers a red flag by rule, without the model: NHS 111 / 999, needs-human, the flag first', async () => {
    const clinic = await createTestClinic()
    const job = await patientWrites(clinic, 'my son knocked his front tooth out playing rugby', T0)
    const { model, deps } = modelDeps(goodReply())
    expect(await answerPatient(job, env, deps)).toBe('handed-over')
    expect(model.requests).toHaveLength(0)
    const c = await conversationRow(clinic.clinicId, job.conversationId)
    expect(c.status).toBe('needs-human')
    expect(JSON.parse(c.priorityReasons)[0]).toMatch(/^red-flag:/)
    const t = await thread(clinic.clinicId, job.conversationId)
    expect(t[1]!.body).toBe(RED_FLAG_REPLY)
  })

  it('only the newest patient message gets an answer; an older job does nothing', async () => {
    const clinic = await createTestClinic()
    const older = await patientWrites(clinic, 'Hi', T0)
    const newer = await patientWrites(clinic, 'Do you do whitening?', T0 + 1000)
    const { model, deps } = modelDeps(goodReply('We do. Would you like a consultation?'))
    expect(await answerPatient(older, env, deps)).toBe('stale')
    expect(await answerPatient(newer, env, deps)).toBe('replied')
    expect(model.requests).toHaveLength(1)
  })

  it('stays silent after a staff take-over and for an opted-out contact', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const job = await patientWrites(clinic, 'Can I book?', T0)
    await replyAsStaff(env, {
      clinicId: clinic.clinicId,
      conversationId: job.conversationId,
      userId: owner.userId,
      body: 'Hi, this is Sam at reception — which day suits?',
    })
    const { model, deps } = modelDeps(goodReply())
    expect(await answerPatient(job, env, deps)).toBe('not-ai')
    // Handing back: the AI would answer the latest turn, but the staff reply came after it.
    const other = await patientWrites(clinic, 'Hello', T0, { from: '+447700900111' })
    await db.insert(optOuts).values({
      clinicId: clinic.clinicId,
      contactHash: await contactHash(getConfig(env), clinic.clinicId, '+447700900111'),
      optedOut: true,
      keyword: 'STOP',
      updatedAt: T0,
    })
    expect(await answerPatient(other, env, deps)).toBe('blocked')
    expect(model.requests).toHaveLength(0)
  })

  it('retries an overloaded model after its retry-after, then answers', async () => {
    const clinic = await createTestClinic()
    const job = await patientWrites(clinic, 'How much is a check-up?', T0)
    const { model, deps } = modelDeps(
      apiError(529, 'overloaded_error', 'Overloaded', { 'retry-after': '7' }),
      goodReply('A check-up is listed on our price list; shall I book one?'),
    )
    const err = await answerPatient(job, env, deps).catch((e) => e)
    expect(err).toBeInstanceOf(RetryLaterError)
    expect((err as RetryLaterError).delaySeconds).toBe(7)
    // The claim was given back: the retry answers at once.
    expect(await answerPatient(job, env, deps)).toBe('replied')
    expect(model.requests).toHaveLength(2)
  })

  it('does not retry a spent budget, and when retries run out a person is told', async () => {
    const clinic = await createTestClinic()
    const job = await patientWrites(clinic, 'Can I book for Friday?', T0)
    const { deps } = modelDeps(
      apiError(400, 'invalid_request_error', 'Your credit balance is too low to access the API.'),
    )
    await expect(answerPatient(job, env, deps)).rejects.toBeInstanceOf(PermanentJobError)
    // The dead-letter path: the patient's message is not left without a human.
    await handOverUnanswered(job, env, T0 + 120_000)
    const c = await conversationRow(clinic.clinicId, job.conversationId)
    expect(c.status).toBe('needs-human')
    expect(JSON.parse(c.priorityReasons)).toContain('needs-human:model-unavailable')
    const t = await thread(clinic.clinicId, job.conversationId)
    expect(t.map((m) => m.author)).toEqual(['patient'])
  })
})

describe('staff replies and WhatsApp', () => {
  it('a staff reply takes over, goes out from the tracking number, and handing back lets the AI answer the next message', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('receptionist')
    const job = await patientWrites(clinic, 'Is parking available?', T0)
    const queued = await replyAsStaff(env, {
      clinicId: clinic.clinicId,
      conversationId: job.conversationId,
      userId: owner.userId,
      body: 'Yes, two spaces at the back.',
    })
    const twilio = fakeTwilio()
    expect(
      await sendConversationMessage(
        {
          type: 'conversation-send',
          clinicId: clinic.clinicId,
          conversationId: job.conversationId,
          messageId: queued.id,
        },
        env,
        { config: liveConfig(), fetch: twilio.fetch },
      ),
    ).toBe('sent')
    expect(twilio.requests[0]!.form.get('From')).toBe(clinic.trackingNumber)
    expect((await conversationRow(clinic.clinicId, job.conversationId)).status).toBe('human')
    await setConversationStatus(env, {
      clinicId: clinic.clinicId,
      conversationId: job.conversationId,
      status: 'ai',
      userId: owner.userId,
    })
    const next = await patientWrites(clinic, 'Thanks! And do you open Saturdays?', Date.now())
    const { deps } = modelDeps(goodReply('We open Saturday mornings.'))
    expect(await answerPatient(next, env, { ...deps, now: () => Date.now() })).toBe('replied')
  })

  it('refuses a staff reply to a patient who sent STOP', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const job = await patientWrites(clinic, 'STOP', T0)
    await db.insert(optOuts).values({
      clinicId: clinic.clinicId,
      contactHash: await contactHash(getConfig(env), clinic.clinicId, PATIENT),
      optedOut: true,
      keyword: 'STOP',
      updatedAt: T0,
    })
    await expect(
      replyAsStaff(env, {
        clinicId: clinic.clinicId,
        conversationId: job.conversationId,
        userId: owner.userId,
        body: 'Hello?',
      }),
    ).rejects.toMatchObject({ status: 409 })
  })

  it('outside the 24-hour window, the AI stays silent and staff replies go as the approved template', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const job = await patientWrites(clinic, 'Hi there', T0, { channel: 'whatsapp' })
    const later = () => T0 + 2 * DAY_MS
    const { model, deps } = modelDeps(goodReply())
    expect(await answerPatient(job, env, { ...deps, now: later })).toBe('blocked')
    expect(model.requests).toHaveLength(0)
    const queued = await replyAsStaff(
      env,
      {
        clinicId: clinic.clinicId,
        conversationId: job.conversationId,
        userId: owner.userId,
        body: 'Sorry for the wait!',
      },
      later(),
    )
    const send = {
      type: 'conversation-send' as const,
      clinicId: clinic.clinicId,
      conversationId: job.conversationId,
      messageId: queued.id,
    }
    const template = `HX${'a'.repeat(32)}`
    const base = liveConfig()
    const twilio = fakeTwilio()
    expect(
      await sendConversationMessage(send, env, {
        config: { ...base, twilio: { ...base.twilio, whatsappTemplateSid: template } },
        fetch: twilio.fetch,
        now: later,
      }),
    ).toBe('sent')
    const form = twilio.requests[0]!.form
    expect(form.get('To')).toBe(`whatsapp:${PATIENT}`)
    expect(form.get('ContentSid')).toBe(template)
    expect(JSON.parse(form.get('ContentVariables') ?? '{}')['2']).toBe('Sorry for the wait!')
    expect(form.get('Body')).toBeNull()
  })
})

describe('retention and rights', () => {
  it('purges a conversation 24 months after its last message, keeping a newer one', async () => {
    const { purgeClinic } = await import('../src/privacy/purge')
    const clinic = await createTestClinic()
    const now = Date.UTC(2026, 11, 1)
    const old = await patientWrites(clinic, 'Old question', now - 740 * DAY_MS, {
      from: '+447700900601',
    })
    const recent = await patientWrites(clinic, 'New question', now - 100 * DAY_MS, {
      from: '+447700900602',
    })
    const counts = await purgeClinic(env, clinic.clinicId, now)
    expect(counts.conversations).toMatchObject({ conversations: 1, conversationMessages: 1 })
    const left = await db
      .select({ id: conversations.id })
      .from(conversations)
      .where(eq(conversations.clinicId, clinic.clinicId))
    expect(left.map((r) => r.id)).toEqual([recent.conversationId])
    expect(left.map((r) => r.id)).not.toContain(old.conversationId)
  })

  it('erasure removes the subject’s conversations and their messages; access lists them', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const job = await patientWrites(clinic, 'Please forget me after this', T0)
    const { api } = await import('./helpers/clinic')
    const access = await api(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'access', subject: { phone: PATIENT } },
      owner.headers,
    )
    const { id } = (await access.json()) as { id: string }
    const exported = (await (
      await api('GET', `/api/v1/privacy/requests/${id}/export`, undefined, owner.headers)
    ).json()) as { conversations: { id: string }[] }
    expect(exported.conversations.map((c) => c.id)).toEqual([job.conversationId])
    const erase = await api(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'erasure', subject: { phone: PATIENT } },
      owner.headers,
    )
    expect(erase.status).toBe(201)
    const rows = await db
      .select()
      .from(conversationMessages)
      .where(eq(conversationMessages.conversationId, job.conversationId))
    expect(rows).toHaveLength(0)
    expect(
      await db.select().from(conversations).where(eq(conversations.id, job.conversationId)),
    ).toHaveLength(0)
  })
})

describe('WhatsApp text-backs only for contacts who opted in', () => {
  const sendStart = (
    clinic: Awaited<ReturnType<typeof createTestClinic>>,
    from: string,
    Body: string,
  ) =>
    postTwilio('/webhooks/twilio/messaging', {
      MessageSid: messageSid(),
      AccountSid: `AC${'1'.repeat(32)}`,
      From: `whatsapp:${from}`,
      To: `whatsapp:${clinic.trackingNumber}`,
      Body,
    })

  it('texts back by WhatsApp after START on WhatsApp, by SMS otherwise, and by SMS again after STOP', async () => {
    const { deliverTextBack } = await import('../src/textback/deliver')
    const { missedCallWithTextBack, CALLER } = await import('./textback-delivery.fixtures')
    const clinic = await createTestClinic()
    // No opt-in yet: SMS.
    const first = await missedCallWithTextBack(clinic)
    let twilio = fakeTwilio()
    expect(
      await deliverTextBack(first.job, env, { config: liveConfig(), fetch: twilio.fetch }),
    ).toBe('sent')
    expect(twilio.requests[0]!.form.get('To')).toBe(CALLER)

    expect((await sendStart(clinic, CALLER, 'START')).status).toBe(200)
    const second = await missedCallWithTextBack(clinic)
    twilio = fakeTwilio()
    expect(
      await deliverTextBack(second.job, env, { config: liveConfig(), fetch: twilio.fetch }),
    ).toBe('sent')
    expect(twilio.requests[0]!.form.get('To')).toBe(`whatsapp:${CALLER}`)
    expect(twilio.requests[0]!.form.get('From')).toBe(`whatsapp:${clinic.trackingNumber}`)
    const [row] = await db
      .select()
      .from(outboundMessagesTable)
      .where(eq(outboundMessagesTable.id, second.outboxId))
    expect(row!.channel).toBe('whatsapp')

    // STOP on WhatsApp ends it: no WhatsApp text-back (and the opt-out suppresses any text-back).
    expect((await sendStart(clinic, CALLER, 'STOP')).status).toBe(200)
    const c = await db
      .select()
      .from(conversations)
      .where(
        and(eq(conversations.clinicId, clinic.clinicId), eq(conversations.channel, 'whatsapp')),
      )
    expect(c[0]!.whatsappOptInAt).toBeNull()
  })

  it('outside the 24-hour window uses the approved template, or falls back to SMS without one', async () => {
    const { deliverTextBack } = await import('../src/textback/deliver')
    const { missedCallWithTextBack, CALLER } = await import('./textback-delivery.fixtures')
    const clinic = await createTestClinic()
    expect((await sendStart(clinic, CALLER, 'START')).status).toBe(200)
    const later = () => Date.now() + 2 * DAY_MS
    const noTemplate = await missedCallWithTextBack(clinic)
    let twilio = fakeTwilio()
    await deliverTextBack(noTemplate.job, env, {
      config: liveConfig(),
      fetch: twilio.fetch,
      now: later,
    })
    expect(twilio.requests[0]!.form.get('To')).toBe(CALLER)
    const withTemplate = await missedCallWithTextBack(clinic)
    const base = liveConfig()
    const template = `HX${'b'.repeat(32)}`
    twilio = fakeTwilio()
    await deliverTextBack(withTemplate.job, env, {
      config: { ...base, twilio: { ...base.twilio, whatsappTemplateSid: template } },
      fetch: twilio.fetch,
      now: later,
    })
    expect(twilio.requests[0]!.form.get('To')).toBe(`whatsapp:${CALLER}`)
    expect(twilio.requests[0]!.form.get('ContentSid')).toBe(template)
  })
})
