/**
 * Everything the platform holds about one data subject, found through their keyed hashes
 * (phone: `contactHash`, email: `emailHash`, both clinic-scoped): gather it (access), erase it,
 * rectify it, and the suppression check every outbound feature must make.
 */
import { and, eq, inArray, or } from 'drizzle-orm'
import type { Db } from '../db/client'
import { ownedBy } from '../db/clinic-row'
import {
  appointments,
  calls,
  conversationMessages,
  conversations,
  inboundMessages,
  optOuts,
  outboundMessages,
  privacyRequests,
  subjectRestrictions,
} from '../db/schema'
import type { Bindings } from '../env'
import { eraseSubjectLeads, exportSubjectLeads } from '../leads/subject'
import { withDurableRetry } from '../lib/durable'
import { toIso, toIsoOrNull } from '../lib/time'
import type { ClinicKeyring } from './crypto'

/** The subject's keyed hashes (any may be absent). */
export type SubjectHashes = { phoneHash: string | null; emailHash: string | null }

function hashesOf(subject: SubjectHashes): string[] {
  return [subject.phoneHash, subject.emailHash].filter((h): h is string => h !== null)
}

/** Why no automated or staff message may go to this contact now, or null when one may. */
export async function contactBlock(
  db: Db,
  clinicId: string,
  contactHash: string,
): Promise<'opted-out' | 'restricted' | null> {
  if (await isOptedOut(db, clinicId, contactHash)) return 'opted-out'
  if (await isSubjectSuppressed(db, clinicId, contactHash)) return 'restricted'
  return null
}

/** True when the contact sent STOP (or another opt-out keyword) to this clinic and not START since. */
export async function isOptedOut(db: Db, clinicId: string, contactHash: string): Promise<boolean> {
  const [row] = await db
    .select({ optedOut: optOuts.optedOut })
    .from(optOuts)
    .where(and(eq(optOuts.clinicId, clinicId), eq(optOuts.contactHash, contactHash)))
    .limit(1)
  return row?.optedOut === true
}

/**
 * True when the subject has restricted processing or objected (GDPR arts. 18 and 21). Every
 * feature that contacts or profiles a person — text-backs, AI replies, follow-ups, conversion
 * uploads to ad platforms — must call this first and skip the person when it answers true.
 * (SMS opt-out, STOP, is a separate consent record in `opt_outs`, checked by messaging.)
 */
export async function isSubjectSuppressed(
  db: Db,
  clinicId: string,
  subjectHash: string,
): Promise<boolean> {
  const [row] = await db
    .select({ restricted: subjectRestrictions.restricted, objected: subjectRestrictions.objected })
    .from(subjectRestrictions)
    .where(
      and(
        eq(subjectRestrictions.clinicId, clinicId),
        eq(subjectRestrictions.subjectHash, subjectHash),
      ),
    )
    .limit(1)
  return row ? row.restricted || row.objected : false
}

/** Sets restriction and/or objection for each of the subject's hashes (upsert, never unsets). */
export async function restrictSubject(
  db: Db,
  clinicId: string,
  subject: SubjectHashes,
  flag: 'restricted' | 'objected',
  nowMs: number,
): Promise<number> {
  const hashes = hashesOf(subject)
  for (const subjectHash of hashes) {
    await db
      .insert(subjectRestrictions)
      .values({ clinicId, subjectHash, [flag]: true, updatedAt: nowMs })
      .onConflictDoUpdate({
        target: [subjectRestrictions.clinicId, subjectRestrictions.subjectHash],
        set: { [flag]: true, updatedAt: nowMs },
      })
  }
  return hashes.length
}

async function openOrNull(keyring: ClinicKeyring, sealed: string | null): Promise<string | null> {
  if (sealed === null) return null
  try {
    return await keyring.open(sealed)
  } catch {
    // A shredded or rotated-away key: the text is gone for everyone, say so rather than fail.
    return null
  }
}

/** The subject-access export: machine-readable JSON of everything held (art. 15 and 20). */
export async function exportSubject(
  db: Db,
  keyring: ClinicKeyring,
  clinicId: string,
  subject: SubjectHashes,
) {
  const hashes = hashesOf(subject)
  const phone = subject.phoneHash
  const callRows = phone
    ? await db
        .select()
        .from(calls)
        .where(and(eq(calls.clinicId, clinicId), eq(calls.callerHash, phone)))
        .orderBy(calls.startedAt)
    : []
  const appointmentRows = phone
    ? await db
        .select()
        .from(appointments)
        .where(and(eq(appointments.clinicId, clinicId), eq(appointments.callerHash, phone)))
        .orderBy(appointments.createdAt)
    : []
  const inboundRows = phone
    ? await db
        .select()
        .from(inboundMessages)
        .where(and(eq(inboundMessages.clinicId, clinicId), eq(inboundMessages.senderHash, phone)))
        .orderBy(inboundMessages.receivedAt)
    : []
  const outboundRows = phone
    ? await db
        .select()
        .from(outboundMessages)
        .where(
          and(eq(outboundMessages.clinicId, clinicId), eq(outboundMessages.recipientHash, phone)),
        )
        .orderBy(outboundMessages.createdAt)
    : []
  // By phone (SMS, WhatsApp, web chat) or email (a web chat started with an email only).
  const conversationRows = hashes.length
    ? await db
        .select()
        .from(conversations)
        .where(ownedBy(conversations, clinicId, inArray(conversations.contactHash, hashes)))
    : []
  const consentRows = hashes.length
    ? await db
        .select()
        .from(optOuts)
        .where(ownedBy(optOuts, clinicId, inArray(optOuts.contactHash, hashes)))
    : []
  const restrictionRows = hashes.length
    ? await db
        .select()
        .from(subjectRestrictions)
        .where(
          ownedBy(subjectRestrictions, clinicId, inArray(subjectRestrictions.subjectHash, hashes)),
        )
    : []
  const requestRows = await subjectRequests(db, clinicId, subject)

  return {
    leads: await exportSubjectLeads(db, keyring, clinicId, subject),
    calls: callRows.map((c) => ({
      id: c.id,
      direction: c.direction,
      status: c.status,
      startedAt: toIso(c.startedAt),
      endedAt: toIsoOrNull(c.endedAt),
      durationSeconds: c.durationSeconds,
      voicemailSeconds: c.voicemailSeconds,
      hasRecording: c.recordingKey !== null,
      calledBackAt: toIsoOrNull(c.calledBackAt),
      textBackStatus: c.textBackStatus,
      textedBackAt: toIsoOrNull(c.textedBackAt),
      recoveredAppointmentId: c.recoveredAppointmentId,
    })),
    appointments: appointmentRows.map((a) => ({
      id: a.id,
      externalId: a.externalId,
      createdAt: toIso(a.createdAt),
      scheduledFor: toIsoOrNull(a.scheduledFor),
      treatmentId: a.treatmentId,
      valuePence: a.valuePence,
      attributionStatus: a.attributionStatus,
      attributionPath: a.attributionPath,
      attributedCallId: a.attributedCallId,
    })),
    messages: {
      received: await Promise.all(
        inboundRows.map(async (m) => ({
          id: m.id,
          channel: m.channel,
          receivedAt: toIso(m.receivedAt),
          body: await openOrNull(keyring, m.bodySealed),
          inReplyToCallId: m.inReplyToCallId,
        })),
      ),
      sent: await Promise.all(
        outboundRows.map(async (m) => ({
          id: m.id,
          kind: m.kind,
          channel: m.channel,
          createdAt: toIso(m.createdAt),
          sentAt: toIsoOrNull(m.sentAt),
          status: m.status,
          body: await openOrNull(keyring, m.bodySealed),
        })),
      ),
    },
    // The threads those messages belong to (their texts are under `messages`).
    conversations: conversationRows.map((c) => ({
      id: c.id,
      channel: c.channel,
      status: c.status,
      lastMessageAt: toIso(c.lastMessageAt),
    })),
    consent: consentRows.map((o) => ({
      optedOut: o.optedOut,
      keyword: o.keyword,
      updatedAt: toIso(o.updatedAt),
    })),
    restrictions: restrictionRows.map((r) => ({
      restricted: r.restricted,
      objected: r.objected,
      updatedAt: toIso(r.updatedAt),
    })),
    privacyRequests: requestRows.map((r) => ({
      id: r.id,
      type: r.type,
      status: r.status,
      createdAt: toIso(r.createdAt),
      completedAt: toIsoOrNull(r.completedAt),
    })),
  }
}

export type SubjectExport = Awaited<ReturnType<typeof exportSubject>>

function subjectRequests(db: Db, clinicId: string, subject: SubjectHashes) {
  const match = [
    subject.phoneHash ? eq(privacyRequests.subjectHash, subject.phoneHash) : undefined,
    subject.emailHash ? eq(privacyRequests.emailLookup, subject.emailHash) : undefined,
  ].filter((m) => m !== undefined)
  if (match.length === 0) return Promise.resolve([])
  return db
    .select()
    .from(privacyRequests)
    .where(and(eq(privacyRequests.clinicId, clinicId), or(...match)))
    .orderBy(privacyRequests.createdAt)
}

/** Counts per kind of what an erasure removed: never an identifier. */
export type ErasureCounts = {
  calls: number
  recordings: number
  appointmentsUnlinked: number
  inboundMessages: number
  outboundMessages: number
  consentRecords: number
  conversations: number
  workingSetRows: number
  leads: number
  enquiries: number
  photos: number
}

/**
 * Erasure (art. 17). Deletes the subject's call events, recordings (R2), messages and the
 * attribution working set's rows; unlinks their appointments (the booking and the anonymous
 * aggregates stay, with no way back to the person). Kept on purpose, each holding only the hash:
 * an opt-out (STOP) record — without it the next missed call would text them again, which PECR
 * forbids — and any restriction/objection, for the same reason. Idempotent: a second run finds
 * nothing and removes nothing.
 */
export async function eraseSubject(
  env: Bindings,
  db: Db,
  clinicId: string,
  subject: SubjectHashes,
): Promise<ErasureCounts> {
  const counts: ErasureCounts = {
    calls: 0,
    recordings: 0,
    appointmentsUnlinked: 0,
    inboundMessages: 0,
    outboundMessages: 0,
    consentRecords: 0,
    conversations: 0,
    workingSetRows: 0,
    ...(await eraseSubjectLeads(env, db, clinicId, subject)),
  }
  const phone = subject.phoneHash
  if (phone) {
    // Recordings first, so a crash cannot leave an object nothing points to.
    const recorded = await db
      .select({ key: calls.recordingKey })
      .from(calls)
      .where(and(eq(calls.clinicId, clinicId), eq(calls.callerHash, phone)))
    const keys = recorded.map((r) => r.key).filter((k): k is string => k !== null)
    for (let i = 0; i < keys.length; i += 1000) await env.BLOBS.delete(keys.slice(i, i + 1000))
    counts.recordings = keys.length

    counts.calls = (
      await db
        .delete(calls)
        .where(and(eq(calls.clinicId, clinicId), eq(calls.callerHash, phone)))
        .returning({ id: calls.id })
    ).length
    counts.appointmentsUnlinked = (
      await db
        .update(appointments)
        .set({ callerHash: null })
        .where(and(eq(appointments.clinicId, clinicId), eq(appointments.callerHash, phone)))
        .returning({ id: appointments.id })
    ).length
    counts.inboundMessages = (
      await db
        .delete(inboundMessages)
        .where(and(eq(inboundMessages.clinicId, clinicId), eq(inboundMessages.senderHash, phone)))
        .returning({ id: inboundMessages.id })
    ).length
    counts.outboundMessages = (
      await db
        .delete(outboundMessages)
        .where(
          and(eq(outboundMessages.clinicId, clinicId), eq(outboundMessages.recipientHash, phone)),
        )
        .returning({ id: outboundMessages.id })
    ).length
    // An opt-in record (START) is no longer needed; an opt-out (STOP) is kept as suppression.
    counts.consentRecords = (
      await db
        .delete(optOuts)
        .where(
          and(
            eq(optOuts.clinicId, clinicId),
            eq(optOuts.contactHash, phone),
            eq(optOuts.optedOut, false),
          ),
        )
        .returning({ hash: optOuts.contactHash })
    ).length
  }
  // Their conversations (by phone, or a web chat's email), with every message in them.
  const theirs = ownedBy(
    conversations,
    clinicId,
    inArray(conversations.contactHash, hashesOf(subject)),
  )
  if (hashesOf(subject).length) {
    const threads = db.select({ id: conversations.id }).from(conversations).where(theirs)
    await db
      .delete(conversationMessages)
      .where(
        ownedBy(
          conversationMessages,
          clinicId,
          inArray(conversationMessages.conversationId, threads),
        ),
      )
    counts.conversations = (
      await db.delete(conversations).where(theirs).returning({ id: conversations.id })
    ).length
  }
  for (const hash of hashesOf(subject)) {
    const erased = await withDurableRetry(() => env.CLINIC.getByName(clinicId).eraseSubject(hash))
    counts.workingSetRows += erased.rows + erased.keys
  }
  return counts
}

/**
 * Rectification (art. 16) of the phone number a subject is known by: their appointments are
 * re-linked to the corrected number's hash. Calls and messages are not rewritten: they are
 * records of what the network delivered from that number, which is accurate as it stands.
 */
export async function rectifySubjectPhone(
  db: Db,
  clinicId: string,
  fromHash: string,
  toHash: string,
): Promise<{ appointmentsRelinked: number }> {
  if (fromHash === toHash) return { appointmentsRelinked: 0 }
  const rows = await db
    .update(appointments)
    .set({ callerHash: toHash })
    .where(and(eq(appointments.clinicId, clinicId), eq(appointments.callerHash, fromHash)))
    .returning({ id: appointments.id })
  return { appointmentsRelinked: rows.length }
}
