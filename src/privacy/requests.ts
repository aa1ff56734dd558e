/**
 * Data-subject requests: record one (identifiers only as keyed hashes plus a sealed copy), carry
 * it out, and audit it. Requests are small (one person's rows), so they complete within the
 * request; the 30-day due date is the legal deadline the dashboard shows.
 */

import { and, eq } from 'drizzle-orm'
import { audit } from '../audit/audit'
import { findClinic } from '../clinic/find'
import type { Db } from '../db/client'
import { privacyRequests } from '../db/schema'
import type { Bindings, Config } from '../env'
import { rectifySubjectLeads } from '../leads/subject'
import { newId } from '../lib/ids'
import { badRequest, type ProblemFieldError } from '../lib/problem'
import { DAY_MS } from '../lib/time'
import { normalisePhone } from '../phone/phone'
import { type ClinicKeyring, clinicKeyring, contactHash, emailHash } from './crypto'
import { eraseSubject, rectifySubjectPhone, restrictSubject, type SubjectHashes } from './subjects'

export type RequestType = 'access' | 'erasure' | 'rectification' | 'restriction' | 'objection'

/** The legal deadline: one month (GDPR art. 12(3)), taken as 30 days. */
export const DSR_DUE_DAYS = 30

export type PrivacyRequestInput = {
  type: RequestType
  subject: { phone?: string; email?: string }
  changes?: { phone?: string; email?: string }
}

/** What is sealed in `details_sealed`: the identifiers as given (normalised). */
type SealedDetails = {
  phone: string | null
  email: string | null
  changes?: { phone: string | null; email: string | null }
}

type Subject = SubjectHashes & { phone: string | null; email: string | null }

async function resolveSubject(
  config: Config,
  clinicId: string,
  country: string,
  input: { phone?: string; email?: string },
  path: string,
): Promise<Subject> {
  const errors: ProblemFieldError[] = []
  let phone: string | null = null
  if (input.phone !== undefined) {
    const parsed = normalisePhone(input.phone, country)
    if (parsed) phone = parsed.e164
    else errors.push({ path: `${path}.phone`, message: 'Not a phone number' })
  }
  if (errors.length) throw badRequest('The request is not valid.', errors)
  const email = input.email?.trim().toLowerCase() ?? null
  return {
    phone,
    email,
    phoneHash: phone ? await contactHash(config, clinicId, phone) : null,
    emailHash: email ? await emailHash(config, clinicId, email) : null,
  }
}

export type PrivacyRequestRow = typeof privacyRequests.$inferSelect

/**
 * Records a request and carries it out. The audit entries name the request, never the person.
 */
export async function createPrivacyRequest(
  env: Bindings,
  db: Db,
  config: Config,
  clinicId: string,
  actor: string,
  input: PrivacyRequestInput,
  nowMs: number,
): Promise<PrivacyRequestRow> {
  const clinic = await findClinic(db, clinicId)
  const country = clinic?.country ?? 'GB'
  const subject = await resolveSubject(config, clinicId, country, input.subject, 'subject')
  const changes =
    input.type === 'rectification' && input.changes
      ? await resolveSubject(config, clinicId, country, input.changes, 'changes')
      : null

  const keyring = await clinicKeyring(db, config, clinicId)
  const details: SealedDetails = {
    phone: subject.phone,
    email: subject.email,
    ...(changes ? { changes: { phone: changes.phone, email: changes.email } } : {}),
  }
  const id = newId('dsr', nowMs)
  await db.insert(privacyRequests).values({
    id,
    clinicId,
    type: input.type,
    status: 'in-progress',
    subjectHash: subject.phoneHash,
    emailLookup: subject.emailHash,
    detailsSealed: await keyring.seal(JSON.stringify(details)),
    requestedBy: actor,
    createdAt: nowMs,
    dueAt: nowMs + DSR_DUE_DAYS * DAY_MS,
  })
  const target = `privacy-request:${id}`
  await audit(env, clinicId, {
    actor,
    action: 'privacy.request.received',
    target,
    details: { type: input.type },
  })

  const result = await carryOut(env, db, config, clinicId, input.type, subject, changes, nowMs)
  const completedAt = Date.now()
  await db
    .update(privacyRequests)
    .set({
      status: 'completed',
      completedAt,
      resultJson: JSON.stringify(result),
      // After an erasure even the sealed copy of the identifiers goes; the hashes remain so the
      // request stays provable and the suppression records stay findable.
      ...(input.type === 'erasure' ? { detailsSealed: null } : {}),
    })
    .where(and(eq(privacyRequests.id, id), eq(privacyRequests.clinicId, clinicId)))
  await audit(env, clinicId, { actor, action: `privacy.${input.type}`, target, details: result })

  const [row] = await db.select().from(privacyRequests).where(eq(privacyRequests.id, id))
  if (!row) throw new Error('privacy request vanished')
  return row
}

async function carryOut(
  env: Bindings,
  db: Db,
  config: Config,
  clinicId: string,
  type: RequestType,
  subject: Subject,
  changes: Subject | null,
  nowMs: number,
): Promise<Record<string, number>> {
  switch (type) {
    case 'access':
      // The export is produced on demand (GET …/export), always from live data.
      return {}
    case 'erasure':
      return { ...(await eraseSubject(env, db, clinicId, subject)) }
    case 'rectification': {
      if (!changes) return {}
      let appointmentsRelinked = 0
      if (subject.phoneHash && changes.phoneHash) {
        appointmentsRelinked = (
          await rectifySubjectPhone(db, clinicId, subject.phoneHash, changes.phoneHash)
        ).appointmentsRelinked
      }
      // Leads take the corrected phone or email (re-sealed), so the person is found under it.
      const keyring = await clinicKeyring(db, config, clinicId)
      const leadsRectified = await rectifySubjectLeads(db, keyring, clinicId, subject, changes)
      return { appointmentsRelinked, leadsRectified }
    }
    case 'restriction':
      return {
        subjectsRestricted: await restrictSubject(db, clinicId, subject, 'restricted', nowMs),
      }
    case 'objection':
      return { subjectsObjected: await restrictSubject(db, clinicId, subject, 'objected', nowMs) }
  }
}

/** Opens a request's sealed identifiers, or null when they were removed (after an erasure). */
export async function openRequestDetails(
  keyring: ClinicKeyring,
  row: PrivacyRequestRow,
): Promise<SealedDetails | null> {
  if (!row.detailsSealed) return null
  try {
    return JSON.parse(await keyring.open(row.detailsSealed)) as SealedDetails
  } catch {
    return null
  }
}
