import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createDb } from '../src/db/client'
import { clinics, outboundMessages } from '../src/db/schema'
import {
  createEmailSender,
  createResendEmailSender,
  deliverEmailJob,
  EmailSendError,
  maskEmail,
  queueEmail,
} from '../src/email/email'
import { type Config, getConfig } from '../src/env'
import type { EmailJob } from '../src/jobs/messages'
import { newId } from '../src/lib/ids'
import { clinicKeyring } from '../src/privacy/crypto'

const db = createDb(env.DB)
const config = getConfig(env)
const FAKE_RESEND = 'https://resend.fake.test'
const withResend: Config = {
  ...config,
  resend: {
    apiKey: 're_test_123',
    baseUrl: FAKE_RESEND,
    from: 'Ringback <no-reply@ringback.test>',
    webhookSecret: null,
  },
}

async function newClinic(): Promise<string> {
  const id = newId('cln')
  await db.insert(clinics).values({ id, name: 'Email Clinic' })
  return id
}

const email = (clinicId: string, key = newId('k')) => ({
  clinicId,
  to: 'olivia.patel@demo.clinic',
  subject: 'Welcome',
  text: 'Your link: https://ringback.test/x',
  idempotencyKey: key,
})

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('email', () => {
  it('masks an address to its first letter and domain', () => {
    expect(maskEmail('olivia@demo.clinic')).toBe('o***@demo.clinic')
    expect(maskEmail('not-an-address')).toBe('***')
  })

  it('without a Resend key the sandbox keeps the email in the outbox, sealed and masked', async () => {
    const clinicId = await newClinic()
    const sender = createEmailSender(config, db)
    expect(sender.mode).toBe('sandbox')
    const result = await sender.send(email(clinicId))
    expect(result.status).toBe('sandboxed')
    const [row] = await db.select().from(outboundMessages).where(eq(outboundMessages.id, result.id))
    expect(row).toMatchObject({ channel: 'email', kind: 'email', status: 'sandboxed' })
    expect(row?.toMasked).toBe('o***@demo.clinic')
    expect(JSON.stringify(row)).not.toContain('olivia.patel')
    expect(JSON.stringify(row)).not.toContain('Your link')
    const opened = await (await clinicKeyring(db, config, clinicId)).open(row!.bodySealed)
    expect(opened).toBe('Subject: Welcome\n\nYour link: https://ringback.test/x')
  })

  it('the same idempotency key is kept once', async () => {
    const clinicId = await newClinic()
    const sender = createEmailSender(config, db)
    const first = await sender.send(email(clinicId, 'invite:usr_1'))
    const second = await sender.send(email(clinicId, 'invite:usr_1'))
    expect(second).toEqual({ id: first.id, status: 'duplicate' })
    const rows = await db
      .select()
      .from(outboundMessages)
      .where(eq(outboundMessages.clinicId, clinicId))
    expect(rows).toHaveLength(1)
  })

  it('with a key it posts to Resend at RESEND_BASE_URL with the Idempotency-Key header', async () => {
    const clinicId = await newClinic()
    const seen: Request[] = []
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Request(input, init))
      return Response.json({ id: 'resend-msg-1' })
    })
    const sender = createEmailSender(withResend, db)
    expect(sender.mode).toBe('resend')
    const result = await sender.send(email(clinicId, 'password-reset:abc'))
    expect(result.status).toBe('sent')
    expect(seen).toHaveLength(1)
    const req = seen[0]!
    expect(req.url).toBe(`${FAKE_RESEND}/emails`)
    expect(req.method).toBe('POST')
    expect(req.headers.get('authorization')).toBe('Bearer re_test_123')
    expect(req.headers.get('idempotency-key')).toBe('password-reset:abc')
    expect(await req.json()).toMatchObject({
      from: 'Ringback <no-reply@ringback.test>',
      to: 'olivia.patel@demo.clinic',
      subject: 'Welcome',
      text: 'Your link: https://ringback.test/x',
    })
    const [row] = await db.select().from(outboundMessages).where(eq(outboundMessages.id, result.id))
    expect(row).toMatchObject({ status: 'sent', providerSid: 'resend-msg-1' })

    // A retry of a sent email does not call Resend again.
    expect((await sender.send(email(clinicId, 'password-reset:abc'))).status).toBe('duplicate')
    expect(seen).toHaveLength(1)
  })

  it('a Resend error throws, marks the row failed without personal data, and a retry sends', async () => {
    const clinicId = await newClinic()
    let fail = true
    vi.stubGlobal('fetch', async () =>
      fail
        ? Response.json(
            { name: 'validation_error', message: 'Invalid `from` field', statusCode: 422 },
            { status: 422 },
          )
        : Response.json({ id: 'resend-msg-2' }),
    )
    const sender = createResendEmailSender(withResend, db, 're_test_123')
    await expect(sender.send(email(clinicId, 'invite:retry'))).rejects.toBeInstanceOf(
      EmailSendError,
    )
    const [row] = await db
      .select()
      .from(outboundMessages)
      .where(eq(outboundMessages.clinicId, clinicId))
    expect(row?.status).toBe('failed')
    expect(row?.lastError).not.toContain('olivia')
    fail = false
    expect((await sender.send(email(clinicId, 'invite:retry'))).status).toBe('sent')
  })
})

describe('queued email', () => {
  it('seals the recipient and text inside the job, and the consumer sends it once however often it is delivered', async () => {
    const clinicId = await newClinic()
    const sent: EmailJob[] = []
    await queueEmail(
      { db, config, jobs: { send: async (job: EmailJob) => void sent.push(job) } },
      email(clinicId, 'reset:abc'),
    )
    expect(sent).toHaveLength(1)
    const job = sent[0] as EmailJob
    expect(JSON.stringify(job)).not.toContain('olivia.patel')
    expect(JSON.stringify(job)).not.toContain('ringback.test/x')
    expect(job).toMatchObject({ type: 'email', clinicId, idempotencyKey: 'reset:abc' })

    const first = await deliverEmailJob(job, { db, config })
    const again = await deliverEmailJob(job, { db, config })
    expect(first.status).toBe('sandboxed')
    expect(again).toEqual({ id: first.id, status: 'duplicate' })
    const rows = await db
      .select()
      .from(outboundMessages)
      .where(eq(outboundMessages.clinicId, clinicId))
    expect(rows).toHaveLength(1)
    const opened = await (await clinicKeyring(db, config, clinicId)).open(rows[0]!.bodySealed)
    expect(opened).toContain('https://ringback.test/x')
  })
})
