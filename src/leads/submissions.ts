/**
 * A form submission, from validated input to stored rows: the person's lead (found by the keyed
 * hash of their phone or email, created when new), the enquiry with its consent and attribution,
 * the photos (already stripped of location, put in R2 first) and a timeline event, written in
 * ONE D1 batch. If the batch fails the photos are deleted again, so nothing half-stored remains.
 */
import { eq, or, sql } from 'drizzle-orm'
import { z } from 'zod'
import { conversationIdFor, type Joined } from '../conversations/store'
import { chatMessageStatements } from '../conversations/web-chat'
import type { Db } from '../db/client'
import { ownedBy } from '../db/clinic-row'
import { enquiries, leadEvents, leadPhotos, leads } from '../db/schema'
import { maskEmail } from '../email/email'
import type { Bindings, Config } from '../env'
import { newId } from '../lib/ids'
import { logWarn } from '../lib/logger'
import { initialsOf } from '../lib/names'
import { maskPhone, normalisePhone } from '../phone/phone'
import { clinicKeyring, contactHash, emailHash } from '../privacy/crypto'
import { AttributionSchema, compactAttribution } from './attribution'
import { type ConsentRecord, recordConsent } from './consent'
import type { FormRow } from './forms.service'
import type { PhotoType } from './photos'
import { estimateMissedCallRevenue, type ScorecardResult } from './scorecard'

/** The JSON fields of a submission (a multipart submission carries them in its `data` part). */
export const SubmissionSchema = z
  .object({
    name: z.string().trim().min(1, 'Tell us your name.').max(120, 'Up to 120 characters, please.'),
    email: z.email('That does not look like an email address.').max(254).optional(),
    phone: z.string().trim().min(1).max(40, 'That does not look like a phone number.').optional(),
    message: z.string().trim().max(5000, 'Up to 5,000 characters, please.').optional(),
    treatment: z.string().trim().max(120).optional(),
    preferredTime: z.string().trim().max(200).optional(),
    answers: z
      .object({
        callsPerWeek: z.number().int().min(0).max(100_000),
        answerRatePercent: z.number().min(0).max(100),
        averageValuePence: z.number().int().min(0).max(10_000_000),
      })
      .optional(),
    consent: z.object({ marketing: z.boolean(), ads: z.boolean() }),
    attribution: AttributionSchema.optional(),
    'cf-turnstile-response': z.string().max(4096).optional(),
  })
  .refine((s) => s.email !== undefined || s.phone !== undefined, {
    message: 'Give an email address or a phone number.',
    path: ['email'],
  })

export type Submission = z.output<typeof SubmissionSchema>

/** What a form kind requires beyond the common fields, as field errors (empty when complete). */
export function kindErrors(
  kind: FormRow['kind'],
  s: Submission,
): { path: string; message: string }[] {
  if (kind === 'scorecard' && !s.answers) {
    return [{ path: 'answers', message: 'The scorecard needs its three answers.' }]
  }
  if (kind === 'book-call' && !s.preferredTime) {
    return [{ path: 'preferredTime', message: 'Say when suits you for the call.' }]
  }
  if (kind === 'book-call' && !s.phone) {
    return [{ path: 'phone', message: 'Give a phone number to be called on.' }]
  }
  if (kind === 'chat' && !s.message) {
    return [{ path: 'message', message: 'Type your first message.' }]
  }
  if (kind === 'guide' && !s.email) {
    return [{ path: 'email', message: 'Give an email address to receive the guide.' }]
  }
  return []
}

/** A photo ready to store: its (location-stripped) bytes and sniffed type. */
export type CleanPhoto = { bytes: Uint8Array; type: PhotoType }

export type Stored = {
  id: string
  leadId: string
  result?: ScorecardResult
  /** A chat form's first message, filed in the person's web conversation. */
  chat?: Joined
  /** This submission made the person's lead (not part of the answer). */
  createdLead?: boolean
}

/** The phone in E.164 (clinic's country as default), or a field error. */
export function phoneOf(raw: string | undefined, country: string): string | null | 'invalid' {
  if (raw === undefined) return null
  return normalisePhone(raw, country)?.e164 ?? 'invalid'
}

/**
 * Stores a validated submission for `form`. `phone` is E.164 (or null); `now` the submission time.
 */
export async function storeSubmission(
  db: Db,
  env: Bindings,
  config: Config,
  input: {
    form: FormRow
    clinicName: string
    submission: Submission
    phone: string | null
    photos: CleanPhoto[]
    now: number
  },
): Promise<Stored> {
  const { form, submission: s, phone, now } = input
  const clinicId = form.clinicId
  const keyring = await clinicKeyring(db, config, clinicId)
  const phoneHash = phone ? await contactHash(config, clinicId, phone) : null
  const email = s.email?.trim().toLowerCase() ?? null
  const mailHash = email ? await emailHash(config, clinicId, email) : null
  const consent: ConsentRecord = recordConsent(input.clinicName, s.consent, new Date(now))
  const attribution = compactAttribution(s.attribution)
  const result =
    form.kind === 'scorecard' && s.answers ? estimateMissedCallRevenue(s.answers) : undefined

  const byContact = or(
    phoneHash ? eq(leads.phoneHash, phoneHash) : undefined,
    mailHash ? eq(leads.emailHash, mailHash) : undefined,
  )
  // At most two leads match (one by phone, one by email); the phone's is the person's lead.
  const matches = await db
    .select({ id: leads.id, phoneHash: leads.phoneHash, emailHash: leads.emailHash })
    .from(leads)
    .where(ownedBy(leads, clinicId, byContact))
    .limit(2)
  const existing = matches.find((m) => phoneHash && m.phoneHash === phoneHash) ?? matches[0]
  // A contact detail joins the lead only if the lead has none of its kind and no other lead
  // holds it (one lead per person; two leads that turn out to be one person are not merged).
  const others = matches.filter((m) => m !== existing)
  const takePhone =
    phone !== null &&
    (!existing?.phoneHash || existing.phoneHash === phoneHash) &&
    !others.some((m) => m.phoneHash === phoneHash)
  const takeEmail =
    email !== null &&
    (!existing?.emailHash || existing.emailHash === mailHash) &&
    !others.some((m) => m.emailHash === mailHash)
  const leadId = existing?.id ?? newId('led')
  const enquiryId = newId('enq', now)
  const sealed = {
    name: await keyring.seal(s.name),
    phone: phone ? await keyring.seal(phone) : null,
    email: email ? await keyring.seal(email) : null,
  }
  const contact = {
    nameSealed: sealed.name,
    nameInitials: initialsOf(s.name),
    ...(takePhone && phone
      ? { phoneHash, phoneSealed: sealed.phone, phoneMasked: maskPhone(phone) }
      : {}),
    ...(takeEmail && email
      ? { emailHash: mailHash, emailSealed: sealed.email, emailMasked: maskEmail(email) }
      : {}),
  }
  const touch = {
    lastKind: form.kind,
    lastInteractionAt: now,
    consent: JSON.stringify(consent),
    updatedAt: now,
    ...(s.treatment ? { treatment: s.treatment } : {}),
  }
  const leadWrite = existing
    ? db
        .update(leads)
        .set({
          ...contact,
          ...touch,
          status: sql`CASE WHEN ${leads.status} = 'lost' THEN 'new' ELSE ${leads.status} END`,
        })
        .where(ownedBy(leads, clinicId, eq(leads.id, leadId)))
    : db.insert(leads).values({
        id: leadId,
        clinicId,
        ...contact,
        ...touch,
        sourceKind: form.kind,
        sourceFormId: form.id,
        attribution: attribution ? JSON.stringify(attribution) : null,
        createdAt: now,
      })

  // A chat's first message opens (or rejoins) the person's web conversation in the same batch.
  const chat =
    form.kind === 'chat' && s.message
      ? await chatMessageStatements(db, keyring, {
          clinicId,
          conversationId: await conversationIdFor(clinicId, (phoneHash ?? mailHash)!, 'web'),
          contactHash: (phoneHash ?? mailHash)!,
          displayName: s.name,
          phone,
          first: true,
          id: enquiryId,
          body: s.message,
          at: now,
        })
      : []

  const keys = input.photos.map(() => `leads/${clinicId}/${leadId}/${newId('pho')}`)
  await Promise.all(
    input.photos.map((p, i) =>
      env.BLOBS.put(keys[i]!, p.bytes, { httpMetadata: { contentType: p.type } }),
    ),
  )
  let results: unknown[]
  try {
    results = await db.batch([
      leadWrite,
      db.insert(enquiries).values({
        id: enquiryId,
        clinicId,
        formId: form.id,
        leadId,
        kind: form.kind,
        messageSealed: s.message ? await keyring.seal(s.message) : null,
        treatment: s.treatment ?? null,
        preferredTimeSealed: s.preferredTime ? await keyring.seal(s.preferredTime) : null,
        scorecard: s.answers ? JSON.stringify({ answers: s.answers, result }) : null,
        consent: JSON.stringify(consent),
        attribution: attribution ? JSON.stringify(attribution) : null,
        createdAt: now,
      }),
      db
        .insert(leadEvents)
        .values({
          id: newId('lev', now),
          clinicId,
          leadId,
          kind: form.kind,
          ref: enquiryId,
          at: now,
        })
        .onConflictDoNothing(),
      ...input.photos.map((p, i) =>
        db.insert(leadPhotos).values({
          id: keys[i]!.split('/').pop()!,
          clinicId,
          leadId,
          enquiryId,
          r2Key: keys[i]!,
          contentType: p.type,
          bytes: p.bytes.length,
          createdAt: now,
        }),
      ),
      ...chat,
    ])
  } catch (err) {
    // Nothing points at the photos: take them back out of R2, then let the caller answer.
    if (keys.length)
      await env.BLOBS.delete(keys).catch(() => logWarn('photo clean-up failed', { clinicId }))
    throw err
  }
  // The join's fourth statement reads the message back (see joinStatements).
  const joined = chat.length
    ? (results[results.length - chat.length + 3] as Joined[])[0]
    : undefined
  return {
    id: enquiryId,
    leadId,
    ...(result ? { result } : {}),
    ...(joined ? { chat: joined } : {}),
    createdLead: !existing,
  }
}
