/**
 * What a submission asks to happen next, through the one email queue: a guide form emails the
 * guide (a link valid for a week, to the file in R2 or the form's guide URL); a scorecard emails
 * its estimate; a book-a-call request tells the clinic's staff (a link to the lead, never the
 * person's details). The service consent recorded with the submission covers these: they are
 * what the person asked for.
 */
import { emailStaff } from '../alerts/alerts'
import { emitTrigger } from '../automations/engine'
import { enquiryFollowUpRow, schedule } from '../automations/scheduled'
import { findClinic } from '../clinic/find'
import type { Db } from '../db/client'
import { findClinicRow } from '../db/clinic-row'
import { leads } from '../db/schema'
import { queueEmail } from '../email/email'
import { bookCallNoticeEmail, guideEmail, scorecardEmail } from '../email/templates'
import type { Bindings, Config } from '../env'
import { idempotencyKey } from '../lib/ids'
import { formatPence } from '../lib/money'
import { openLinkToken, signLinkToken } from '../privacy/crypto'
import type { FormRow } from './forms.service'
import type { Stored, Submission } from './submissions'

/** How long a guide link works. */
export const GUIDE_LINK_DAYS = 7
const DAY_MS = 86_400_000

/** Where an uploaded guide file lives in R2. */
export function guideKey(clinicId: string, formId: string): string {
  return `guides/${clinicId}/${formId}`
}

/** The guide link's token: the form (and its clinic), signed, expiring. */
export function guideToken(config: Config, form: Pick<FormRow, 'id' | 'clinicId'>, now: number) {
  return signLinkToken(
    config,
    'guide',
    `${form.clinicId}:${form.id}`,
    now + GUIDE_LINK_DAYS * DAY_MS,
  )
}

/** The form a guide link points at, or null when the link is forged or expired. */
export async function openGuideToken(config: Config, token: string, now: number) {
  const payload = await openLinkToken(config, 'guide', token, now)
  const [clinicId, formId] = payload?.split(':') ?? []
  return clinicId && formId ? { clinicId, formId } : null
}

export async function followUpSubmission(
  env: Bindings,
  db: Db,
  config: Config,
  input: {
    form: FormRow & { clinic: { name: string } }
    submission: Submission
    stored: Stored
    now: number
  },
): Promise<void> {
  const { form, submission: s, stored, now } = input
  const deps = { db, config, jobs: env.JOBS }
  const clinicName = form.clinic.name
  if (form.kind === 'guide' && s.email) {
    const link = `${config.publicBaseUrl}/g/${await guideToken(config, form, now)}`
    await queueEmail(deps, {
      clinicId: form.clinicId,
      to: s.email,
      ...guideEmail(clinicName, link, GUIDE_LINK_DAYS),
      idempotencyKey: idempotencyKey('guide', stored.id),
    })
  }
  if (form.kind === 'scorecard' && s.email && stored.result) {
    const r = stored.result
    const figures = {
      missedCallsPerMonth: r.missedCallsPerMonth,
      lost: formatPence(r.lostRevenuePencePerMonth),
      recoverable: formatPence(r.recoverableRevenuePencePerMonth),
    }
    await queueEmail(deps, {
      clinicId: form.clinicId,
      to: s.email,
      ...scorecardEmail(clinicName, figures, `${config.publicBaseUrl}/f/${form.id}`),
      idempotencyKey: idempotencyKey('scorecard', stored.id),
    })
  }
  if (form.kind === 'book-call') {
    const notice = bookCallNoticeEmail(`${config.publicBaseUrl}/leads/${stored.leadId}`)
    await emailStaff(env, form.clinicId, notice, (userId) =>
      idempotencyKey('book-call', stored.id, userId),
    )
  }
  const lead = await findClinicRow(db, leads, form.clinicId, stored.leadId)
  if (!lead) return
  // An enquiry from someone who chose marketing messages: one follow-up if they have not booked.
  const clinic = await findClinic(db, form.clinicId)
  if (
    form.kind === 'enquiry' &&
    s.consent.marketing &&
    lead.phoneHash &&
    lead.phoneSealed &&
    clinic
  ) {
    const row = enquiryFollowUpRow(clinic, {
      id: lead.id,
      phoneHash: lead.phoneHash,
      phoneSealed: lead.phoneSealed,
      at: now,
    })
    if (row) await schedule(env, db, [row])
  }
  if (stored.createdLead) {
    await emitTrigger(env, db, {
      clinicId: form.clinicId,
      trigger: 'lead-created',
      key: lead.id,
      at: now,
      contactHash: lead.phoneHash ?? lead.emailHash,
      subject: { leadId: lead.id, channel: form.kind === 'chat' ? 'web' : 'form' },
    })
  }
}
