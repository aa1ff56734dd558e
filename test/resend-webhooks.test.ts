/**
 * Resend's signed webhooks (issue 13 item 4): verified with the official SDK (Svix / Standard
 * Webhooks scheme), a bounce or complaint suppresses the address for that clinic, the one email
 * path then sends nothing to it; bad signatures and sandbox mode are a 400 that change nothing.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it, vi } from 'vitest'
import { emailSuppressions, outboundMessages } from '../src/db/schema'
import { createEmailSender, deliverEmailJob, queueEmail } from '../src/email/email'
import { handleResendWebhook } from '../src/email/resend-webhooks'
import { type Config, getConfig } from '../src/env'
import type { EmailJob } from '../src/jobs/messages'
import { newId } from '../src/lib/ids'
import { emailHash } from '../src/privacy/crypto'
import { call, createTestClinic } from './helpers/clinic'
import { db } from './textback-delivery.fixtures'

const SECRET = `whsec_${btoa('resend-webhook-secret-32-bytes!!')}`
const config = (): Config => ({
  ...getConfig(env),
  resend: { ...getConfig(env).resend, webhookSecret: SECRET },
})

function signed(type: string, emailId: string, secret = SECRET) {
  const payload = JSON.stringify({
    type,
    created_at: new Date().toISOString(),
    data: { email_id: emailId },
  })
  const id = `msg_${crypto.randomUUID()}`
  const timestamp = new Date()
  const signature = new Webhook(secret).sign(id, timestamp, payload)
  return {
    payload,
    headers: { id, timestamp: String(Math.floor(timestamp.getTime() / 1000)), signature },
  }
}

async function sentEmail(clinicId: string, to: string) {
  const id = newId('msg')
  const providerSid = `em_${crypto.randomUUID()}`
  await db.insert(outboundMessages).values({
    id,
    clinicId,
    dedupeKey: `email:test:${id}`,
    kind: 'email',
    channel: 'email',
    recipientHash: await emailHash(getConfig(env), clinicId, to),
    toMasked: 'p***@example.com',
    bodySealed: 'x',
    status: 'sent',
    providerSid,
    segments: 0,
    createdAt: Date.now(),
  })
  return { id, providerSid }
}

describe('Resend webhooks', () => {
  it('a bounce suppresses the address for the clinic; nothing more is emailed to it; twice changes nothing', async () => {
    const clinic = await createTestClinic()
    const to = 'bouncy@example.com'
    const email = await sentEmail(clinic.clinicId, to)
    const e = signed('email.bounced', email.providerSid)
    expect(
      await handleResendWebhook({ db, config: config() }, e.payload, e.headers, Date.now()),
    ).toBe('suppressed')
    expect(
      await handleResendWebhook({ db, config: config() }, e.payload, e.headers, Date.now()),
    ).toBe('suppressed')
    const rows = await db
      .select()
      .from(emailSuppressions)
      .where(eq(emailSuppressions.clinicId, clinic.clinicId))
    expect(rows.map((r) => r.reason)).toEqual(['bounced'])
    const [row] = await db.select().from(outboundMessages).where(eq(outboundMessages.id, email.id))
    expect(row).toMatchObject({ status: 'undelivered', lastError: 'bounced' })

    // The next email to that address goes nowhere.
    const jobs: EmailJob[] = []
    await queueEmail(
      {
        db,
        config: getConfig(env),
        jobs: {
          send: async (j: EmailJob) => {
            jobs.push(j)
          },
        },
      },
      {
        clinicId: clinic.clinicId,
        to,
        subject: 'Hello',
        text: 'Hi',
        idempotencyKey: 'after-bounce',
      },
    )
    expect((await deliverEmailJob(jobs[0]!, { db, config: getConfig(env) })).status).toBe(
      'suppressed',
    )
    const outbox = await db
      .select()
      .from(outboundMessages)
      .where(
        and(eq(outboundMessages.clinicId, clinic.clinicId), eq(outboundMessages.channel, 'email')),
      )
    expect(outbox).toHaveLength(1)
  })

  it('other events are recorded as ignored; a bad signature or sandbox mode is a 400', async () => {
    const clinic = await createTestClinic()
    const email = await sentEmail(clinic.clinicId, 'fine@example.com')
    const delivered = signed('email.delivered', email.providerSid)
    expect(
      await handleResendWebhook(
        { db, config: config() },
        delivered.payload,
        delivered.headers,
        Date.now(),
      ),
    ).toBe('ignored')
    const forged = signed(
      'email.complained',
      email.providerSid,
      `whsec_${btoa('another-secret-another-secret!!')}`,
    )
    await expect(
      handleResendWebhook({ db, config: config() }, forged.payload, forged.headers, Date.now()),
    ).rejects.toMatchObject({ status: 400 })
    expect(
      await db
        .select()
        .from(emailSuppressions)
        .where(eq(emailSuppressions.clinicId, clinic.clinicId)),
    ).toEqual([])
    const res = await call('/webhooks/resend', {
      method: 'POST',
      body: delivered.payload,
      headers: {
        'svix-id': delivered.headers.id,
        'svix-timestamp': delivered.headers.timestamp,
        'svix-signature': delivered.headers.signature,
      },
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toMatch(/problem\+json/)
  })
})

describe('one-click unsubscribe', () => {
  it('optional email carries List-Unsubscribe; POST unsubscribes (GET does not); service email still goes', async () => {
    const clinic = await createTestClinic()
    const to = 'owner.unsub@example.com'
    const seen: Request[] = []
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Request(input, init))
      return Response.json({ id: `em_${seen.length}` })
    })
    try {
      const withResend: Config = {
        ...getConfig(env),
        resend: {
          ...getConfig(env).resend,
          apiKey: 're_test_1',
          baseUrl: 'https://resend.fake.test',
        },
      }
      const sender = createEmailSender(withResend, db)
      const base = { clinicId: clinic.clinicId, to, subject: 'Last week', text: 'Figures' }
      await sender.send({ ...base, idempotencyKey: 'digest-1', unsubscribable: true })
      const sent = (await seen[0]!.json()) as { headers?: Record<string, string>; text: string }
      const link = /<([^>]+)>/.exec(sent.headers?.['List-Unsubscribe'] ?? '')?.[1] ?? ''
      expect(link).toMatch(/\/unsubscribe\/[^/]+$/)
      expect(link).not.toContain('owner.unsub')
      expect(sent.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click')
      expect(sent.text).toContain(`Unsubscribe: ${link}`)
      await sender.send({ ...base, idempotencyKey: 'reset-1' })
      expect(((await seen[1]!.json()) as { headers?: unknown }).headers).toBeUndefined()

      const path = new URL(link).pathname
      expect((await call(path)).status).toBe(200)
      const hash = await emailHash(getConfig(env), clinic.clinicId, to)
      const rows = () =>
        db.select().from(emailSuppressions).where(eq(emailSuppressions.emailHash, hash))
      expect(await rows()).toEqual([])
      expect((await call(path, { method: 'POST' })).status).toBe(200)
      expect((await rows()).map((r) => r.reason)).toEqual(['unsubscribed'])
      expect((await call(`${path}x`, { method: 'POST' })).status).toBe(410)
    } finally {
      vi.unstubAllGlobals()
    }
    // Now: the digest is not sent; a password reset still is.
    const job = (key: string, unsubscribable: boolean): Promise<EmailJob> =>
      new Promise((resolve) =>
        queueEmail(
          { db, config: getConfig(env), jobs: { send: async (j: EmailJob) => resolve(j) } },
          {
            clinicId: clinic.clinicId,
            to,
            subject: 's',
            text: 't',
            idempotencyKey: key,
            unsubscribable,
          },
        ),
      )
    const digest = await deliverEmailJob(await job('digest-2', true), {
      db,
      config: getConfig(env),
    })
    expect(digest.status).toBe('suppressed')
    const reset = await deliverEmailJob(await job('reset-2', false), { db, config: getConfig(env) })
    expect(reset.status).toBe('sandboxed')
  })
})
