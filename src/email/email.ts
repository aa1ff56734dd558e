/**
 * Outbound email behind one small interface. With a RESEND_API_KEY the real sender talks to
 * Resend (at RESEND_BASE_URL, so tests can point it at a fake); without one the sandbox keeps
 * the email in the outbox instead. Either way one `outbound_messages` row per idempotency key
 * records the intent, with the recipient masked and the body sealed — never an address in clear.
 */
import { and, eq } from 'drizzle-orm'
import { Resend } from 'resend'
import type { Db } from '../db/client'
import { outboundMessages } from '../db/schema'
import type { Config } from '../env'
import type { EmailJob } from '../jobs/messages'
import { idempotencyKey, newId } from '../lib/ids'
import { clinicKeyring, emailHash } from '../privacy/crypto'
import { emailSuppressed } from './resend-webhooks'
import { unsubscribeLink } from './unsubscribe'

/** One email to one recipient. */
export type OutgoingEmail = {
  /** The clinic the email is sent for: its key seals the stored copy. */
  clinicId: string
  to: string
  subject: string
  text: string
  html?: string
  /** Stable per intent (e.g. `invite:<userId>:<tokenPrefix>`): a retry never sends twice. */
  idempotencyKey: string
  /**
   * An email the person may opt out of (marketing, the weekly digest): it carries List-Unsubscribe
   * (one click, RFC 8058) and is not sent to an address that unsubscribed. Service email (invites,
   * resets, alerts, data-subject notices) never is.
   */
  unsubscribable?: boolean
}

export type EmailResult = {
  /** The outbox row's id. */
  id: string
  status: 'sent' | 'sandboxed' | 'duplicate' | 'suppressed'
}

/** Sends email. Obtain one with `createEmailSender(config, db)`. */
export interface EmailSender {
  readonly mode: 'resend' | 'sandbox'
  send(email: OutgoingEmail): Promise<EmailResult>
}

export class EmailSendError extends Error {
  override name = 'EmailSendError'
}

/** `o***@demo.clinic`: enough to recognise a colleague's address in a list, not to use it. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  if (at < 1) return '***'
  return `${email[0]}***${email.slice(at)}`
}

/** Records the intent once per idempotency key; says whether an earlier attempt already sent it. */
async function recordIntent(
  db: Db,
  config: Config,
  email: OutgoingEmail,
  status: 'sending' | 'sandboxed',
): Promise<{ id: string; fresh: boolean; alreadySent: boolean }> {
  const keyring = await clinicKeyring(db, config, email.clinicId)
  const id = newId('msg')
  const inserted = await db
    .insert(outboundMessages)
    .values({
      id,
      clinicId: email.clinicId,
      dedupeKey: idempotencyKey('email', email.idempotencyKey),
      kind: 'email',
      channel: 'email',
      segments: 0,
      recipientHash: await emailHash(config, email.clinicId, email.to),
      toMasked: maskEmail(email.to),
      bodySealed: await keyring.seal(`Subject: ${email.subject}\n\n${email.text}`),
      status,
      attempts: status === 'sending' ? 1 : 0,
    })
    .onConflictDoNothing()
    .returning({ id: outboundMessages.id })
  if (inserted.length > 0) return { id, fresh: true, alreadySent: false }
  const [existing] = await db
    .select({ id: outboundMessages.id, status: outboundMessages.status })
    .from(outboundMessages)
    .where(
      and(
        eq(outboundMessages.clinicId, email.clinicId),
        eq(outboundMessages.dedupeKey, idempotencyKey('email', email.idempotencyKey)),
      ),
    )
    .limit(1)
  if (!existing) return { id, fresh: false, alreadySent: false }
  // A failed or interrupted send may go again: Resend dedupes on the same Idempotency-Key.
  const alreadySent = !['queued', 'sending', 'failed'].includes(existing.status)
  return { id: existing.id, fresh: false, alreadySent }
}

/** Keeps the email in the outbox; nothing leaves the Worker. */
export function createSandboxEmailSender(config: Config, db: Db): EmailSender {
  return {
    mode: 'sandbox',
    async send(email) {
      const { id, fresh } = await recordIntent(db, config, email, 'sandboxed')
      return { id, status: fresh ? 'sandboxed' : 'duplicate' }
    },
  }
}

/** Sends through Resend's API (official SDK, fetch-based) with an Idempotency-Key header. */
export function createResendEmailSender(config: Config, db: Db, apiKey: string): EmailSender {
  const resend = new Resend(apiKey, { baseUrl: config.resend.baseUrl.replace(/\/+$/, '') })
  return {
    mode: 'resend',
    async send(email) {
      const intent = await recordIntent(db, config, email, 'sending')
      if (intent.alreadySent) return { id: intent.id, status: 'duplicate' }
      const unsubscribe = email.unsubscribable ? await unsubscribeLink(config, email) : null
      const { data, error } = await resend.emails.send(
        {
          from: config.resend.from,
          to: email.to,
          subject: email.subject,
          text: unsubscribe ? `${email.text}\nUnsubscribe: ${unsubscribe}\n` : email.text,
          ...(email.html ? { html: email.html } : {}),
          ...(unsubscribe
            ? {
                headers: {
                  'List-Unsubscribe': `<${unsubscribe}>`,
                  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
                },
              }
            : {}),
        },
        { idempotencyKey: email.idempotencyKey },
      )
      if (error || !data) {
        // Resend's error names and messages describe the request, not the recipient.
        const reason = error ? `${error.name}: ${error.message}` : 'no response'
        await db
          .update(outboundMessages)
          .set({ status: 'failed', lastError: reason.slice(0, 200), updatedAt: Date.now() })
          .where(eq(outboundMessages.id, intent.id))
        throw new EmailSendError(`Resend refused the email (${error?.name ?? 'unknown'})`)
      }
      const now = Date.now()
      await db
        .update(outboundMessages)
        .set({ status: 'sent', providerSid: data.id, sentAt: now, updatedAt: now })
        .where(eq(outboundMessages.id, intent.id))
      return { id: intent.id, status: 'sent' }
    },
  }
}

/** The email sender this configuration calls for: Resend with a key, the sandbox without. */
export function createEmailSender(config: Config, db: Db): EmailSender {
  return config.resend.apiKey
    ? createResendEmailSender(config, db, config.resend.apiKey)
    : createSandboxEmailSender(config, db)
}

/** What a queued email needs: the clinic and the intent's key travel in clear, the rest sealed. */
export type EmailQueueDeps = {
  db: Db
  config: Config
  jobs: { send(job: EmailJob): Promise<unknown> }
}

/**
 * Queues an email instead of sending it inline: the request that asked for it answers at once
 * (and in the same time whether or not anything was sent, for password resets), and the queue
 * retries a failed send with backoff. The address and the text are sealed with the clinic's key
 * inside the message; the idempotency key makes a redelivered job send nothing twice.
 */
export async function queueEmail(deps: EmailQueueDeps, email: OutgoingEmail): Promise<void> {
  const keyring = await clinicKeyring(deps.db, deps.config, email.clinicId)
  const sealed = await keyring.seal(
    JSON.stringify({ to: email.to, text: email.text, html: email.html ?? null }),
  )
  await deps.jobs.send({
    type: 'email',
    clinicId: email.clinicId,
    idempotencyKey: email.idempotencyKey,
    subject: email.subject,
    sealed,
    ...(email.unsubscribable ? { unsubscribable: true } : {}),
  })
}

/** The queue consumer's half: opens the job and sends it through the one email interface. */
export async function deliverEmailJob(
  job: EmailJob,
  deps: { db: Db; config: Config; sender?: EmailSender },
): Promise<EmailResult> {
  const keyring = await clinicKeyring(deps.db, deps.config, job.clinicId)
  const opened = JSON.parse(await keyring.open(job.sealed)) as {
    to: string
    text: string
    html: string | null
  }
  // A bounced or complaining address gets nothing more; one that unsubscribed gets no optional
  // email (src/email/resend-webhooks.ts, src/email/unsubscribe.ts).
  const hash = await emailHash(deps.config, job.clinicId, opened.to)
  if (await emailSuppressed(deps.db, job.clinicId, hash, job.unsubscribable === true)) {
    return { id: '', status: 'suppressed' }
  }
  const sender = deps.sender ?? createEmailSender(deps.config, deps.db)
  return sender.send({
    clinicId: job.clinicId,
    to: opened.to,
    subject: job.subject,
    text: opened.text,
    ...(opened.html ? { html: opened.html } : {}),
    idempotencyKey: job.idempotencyKey,
    ...(job.unsubscribable ? { unsubscribable: true } : {}),
  })
}
