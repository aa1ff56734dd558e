/**
 * Leads, read and worked by staff: the list (priority first), one lead opened (contact details
 * decrypted: an audited read), its photos (audited), its timeline, and status or assignment
 * changes. One service for the API and the dashboard.
 */
import { asc, desc, eq, inArray, or, sql } from 'drizzle-orm'
import { z } from 'zod'
import { audit } from '../audit/audit'
import { requireAssignee } from '../auth/team'
import type { Db } from '../db/client'
import { findClinicRow, olderThan, ownedBy } from '../db/clinic-row'
import { conversations, enquiries, leadEvents, leadPhotos, leads, treatments } from '../db/schema'
import { queueEmail } from '../email/email'
import type { Bindings, Config } from '../env'
import { jobQueue } from '../jobs/messages'
import { actorOf, type Principal } from '../lib/context'
import { newId } from '../lib/ids'
import { type Cursor, decodeCursor, encodeCursor } from '../lib/pagination'
import { conflict, notFound } from '../lib/problem'
import { IN_LIST_MAX, slices } from '../lib/slices'
import { toIso, toIsoOrNull } from '../lib/time'
import { clinicKeyring } from '../privacy/crypto'
import { contactBlock } from '../privacy/subjects'
import type { Attribution } from './attribution'
import type { ConsentRecord } from './consent'
import { leadPriority, type Priority } from './priority'

export const LEAD_STATUSES = ['new', 'contacted', 'booked', 'lost'] as const
export type LeadStatus = (typeof LEAD_STATUSES)[number]
export type LeadRow = typeof leads.$inferSelect

export const LeadPatchSchema = z
  .object({
    status: z.enum(LEAD_STATUSES).optional(),
    assignedTo: z.string().min(1).max(64).nullable().optional(),
  })
  .refine((p) => p.status !== undefined || p.assignedTo !== undefined, {
    message: 'Give a status or assignedTo.',
  })

export type LeadSummary = {
  id: string
  status: LeadStatus
  source: { kind: string; formId: string | null; channel: string | null }
  attribution: Attribution | null
  consent: ConsentRecord | null
  priority: Priority
  assignedTo: string | null
  lastInteractionAt: string
  createdAt: string
  contact: { nameInitials: string | null; emailMasked: string | null; phoneMasked: string | null }
}

function json<T>(text: string | null): T | null {
  return text ? (JSON.parse(text) as T) : null
}

/** A lead's priority now, from its row and the value of the treatment it asked about. */
export function priorityOf(
  row: LeadRow,
  values: ReadonlyMap<string, number>,
  now: number,
): Priority {
  return leadPriority({
    status: row.status,
    lastKind: row.lastKind,
    treatmentValuePence: row.treatment ? (values.get(row.treatment.toLowerCase()) ?? null) : null,
    lastInteractionAt: row.lastInteractionAt,
    lastReplyAt: row.lastReplyAt,
    hasPhone: row.phoneHash !== null,
    now,
  })
}

/** The clinic's treatment values by lower-cased name (what a form's `treatment` names). */
export async function treatmentValues(db: Db, clinicId: string): Promise<Map<string, number>> {
  const rows = await db
    .select({ name: treatments.name, value: treatments.valuePence })
    .from(treatments)
    .where(eq(treatments.clinicId, clinicId))
  return new Map(rows.map((r) => [r.name.toLowerCase(), r.value]))
}

export function leadSummary(row: LeadRow, priority: Priority): LeadSummary {
  return {
    id: row.id,
    status: row.status,
    source: { kind: row.sourceKind, formId: row.sourceFormId, channel: row.sourceChannel },
    attribution: json<Attribution>(row.attribution),
    consent: json<ConsentRecord>(row.consent),
    priority,
    assignedTo: row.assignedTo,
    lastInteractionAt: toIso(row.lastInteractionAt),
    createdAt: toIso(row.createdAt),
    contact: {
      nameInitials: row.nameInitials,
      emailMasked: row.emailMasked,
      phoneMasked: row.phoneMasked,
    },
  }
}

export type LeadFilters = {
  status?: LeadStatus | undefined
  kind?: string | undefined
}

/**
 * A page of the clinic's leads, most recent interaction first (keyset on it), each with its
 * priority; `open` pages (new, contacted) are sorted priority first within the page.
 */
export async function listLeads(
  db: Db,
  clinicId: string,
  filters: LeadFilters,
  page: { limit: number; cursor: string | null | undefined },
  now: number,
): Promise<{ items: LeadSummary[]; nextCursor: string | null }> {
  const after: Cursor | null = decodeCursor(page.cursor ?? undefined)
  const rows = await db
    .select()
    .from(leads)
    .where(
      ownedBy(
        leads,
        clinicId,
        filters.status ? eq(leads.status, filters.status) : undefined,
        filters.kind ? eq(leads.sourceKind, filters.kind) : undefined,
        olderThan(leads.lastInteractionAt, leads.id, after),
      ),
    )
    .orderBy(desc(leads.lastInteractionAt), desc(leads.id))
    .limit(page.limit + 1)
  const more = rows.length > page.limit
  const pageRows = rows.slice(0, page.limit)
  const last = pageRows[pageRows.length - 1]
  const values = await treatmentValues(db, clinicId)
  const items = pageRows
    .map((r) => leadSummary(r, priorityOf(r, values, now)))
    .sort((a, b) => b.priority.score - a.priority.score)
  return {
    items,
    nextCursor: more && last ? encodeCursor({ t: last.lastInteractionAt, id: last.id }) : null,
  }
}

export type LeadTimelineEntry = { kind: string; ref: string | null; at: string; details: unknown }

export type LeadDetail = LeadSummary & {
  contact: LeadSummary['contact'] & {
    name: string | null
    email: string | null
    phone: string | null
  }
  enquiries: Array<{
    id: string
    formId: string
    kind: string
    message: string | null
    treatment: string | null
    preferredTime: string | null
    scorecard: unknown
    createdAt: string
  }>
  photos: Array<{ id: string; contentType: string; bytes: number }>
  timeline: LeadTimelineEntry[]
  appointmentId: string | null
  lastReplyAt: string | null
  /** Their conversations in the inbox (by phone, or a web chat's email), where staff reply. */
  conversations: Array<{ id: string; channel: string; status: string; lastMessageAt: string }>
}

/** One lead with its contact details and enquiries decrypted: an audited read. */
export async function getLead(
  db: Db,
  env: Bindings,
  config: Config,
  principal: Principal,
  id: string,
  now: number,
): Promise<LeadDetail> {
  const clinicId = principal.clinicId
  const row = await findClinicRow(db, leads, clinicId, id)
  if (!row) throw notFound()
  const [enquiryRows, photoRows, eventRows, values] = await Promise.all([
    db
      .select()
      .from(enquiries)
      .where(ownedBy(enquiries, clinicId, eq(enquiries.leadId, id)))
      .orderBy(desc(enquiries.createdAt))
      .limit(50),
    db
      .select()
      .from(leadPhotos)
      .where(ownedBy(leadPhotos, clinicId, eq(leadPhotos.leadId, id)))
      .orderBy(asc(leadPhotos.createdAt)),
    db
      .select()
      .from(leadEvents)
      .where(ownedBy(leadEvents, clinicId, eq(leadEvents.leadId, id)))
      .orderBy(desc(leadEvents.at))
      .limit(200),
    treatmentValues(db, clinicId),
  ])
  const keyring = await clinicKeyring(db, config, clinicId)
  const open = (sealed: string | null) => (sealed ? keyring.open(sealed).catch(() => null) : null)
  await audit(env, clinicId, {
    actor: actorOf(principal),
    action: 'lead.read',
    target: `lead:${id}`,
  })
  const summary = leadSummary(row, priorityOf(row, values, now))
  return {
    ...summary,
    contact: {
      ...summary.contact,
      name: await open(row.nameSealed),
      email: await open(row.emailSealed),
      phone: await open(row.phoneSealed),
    },
    enquiries: await Promise.all(
      enquiryRows.map(async (e) => ({
        id: e.id,
        formId: e.formId,
        kind: e.kind,
        message: await open(e.messageSealed),
        treatment: e.treatment,
        preferredTime: await open(e.preferredTimeSealed),
        scorecard: json(e.scorecard),
        createdAt: toIso(e.createdAt),
      })),
    ),
    photos: photoRows.map((p) => ({ id: p.id, contentType: p.contentType, bytes: p.bytes })),
    timeline: eventRows.map((e) => ({
      kind: e.kind,
      ref: e.ref,
      at: toIso(e.at),
      details: json(e.details),
    })),
    appointmentId: row.appointmentId,
    lastReplyAt: toIsoOrNull(row.lastReplyAt),
    conversations: await leadConversations(db, row),
  }
}

async function leadConversations(db: Db, lead: typeof leads.$inferSelect) {
  const hashes = [lead.phoneHash, lead.emailHash].filter((h): h is string => h !== null)
  if (hashes.length === 0) return []
  const c = conversations
  const rows = await db
    .select({ id: c.id, channel: c.channel, status: c.status, lastMessageAt: c.lastMessageAt })
    .from(c)
    .where(ownedBy(c, lead.clinicId, inArray(c.contactHash, hashes)))
    .orderBy(desc(c.lastMessageAt))
    .limit(10)
  return rows.map((r) => ({ ...r, lastMessageAt: toIso(r.lastMessageAt) }))
}

/**
 * A staff member answers a lead by email (a lead who left an email and no conversation to answer
 * in): through the one email queue, idempotent per reply, counted as the clinic's reply on the
 * lead and its timeline. A service message: they asked; no marketing goes this way.
 */
export async function replyToLeadByEmail(
  deps: { db: Db; env: Bindings; config: Config },
  principal: Principal,
  input: { leadId: string; body: string; clinicName: string },
  now: number,
): Promise<void> {
  const { db, env, config } = deps
  const clinicId = principal.clinicId
  const row = await findClinicRow(db, leads, clinicId, input.leadId)
  if (!row) throw notFound()
  if (!row.emailSealed || !row.emailHash) throw conflict('This lead left no email address.')
  if (await contactBlock(db, clinicId, row.emailHash)) {
    throw conflict('This person has restricted or objected to processing: no email may be sent.')
  }
  const keyring = await clinicKeyring(db, config, clinicId)
  const replyId = newId('lrp', now)
  await queueEmail(
    { db, config, jobs: jobQueue(env) },
    {
      clinicId,
      to: await keyring.open(row.emailSealed),
      subject: `Your enquiry to ${input.clinicName}`,
      text: `${input.body}\n\n— ${input.clinicName}\n(Reply to this email to answer.)`,
      idempotencyKey: `lead-reply:${replyId}`,
    },
  )
  await db.batch(
    leadTouchStatements(db, {
      clinicId,
      contactHash: row.emailHash,
      kind: 'email',
      ref: replyId,
      at: now,
      answered: true,
    }),
  )
  await audit(env, clinicId, {
    actor: actorOf(principal),
    action: 'lead.reply',
    target: `lead:${row.id}`,
  })
}

/** A lead's photo from R2: an audited read; 404 for another clinic's or a purged one. */
export async function readLeadPhoto(
  db: Db,
  env: Bindings,
  principal: Principal,
  leadId: string,
  photoId: string,
): Promise<{ body: ReadableStream; contentType: string; bytes: number }> {
  const clinicId = principal.clinicId
  const [photo] = await db
    .select()
    .from(leadPhotos)
    .where(ownedBy(leadPhotos, clinicId, eq(leadPhotos.leadId, leadId), eq(leadPhotos.id, photoId)))
    .limit(1)
  if (!photo) throw notFound()
  const object = await env.BLOBS.get(photo.r2Key)
  if (!object) throw notFound()
  await audit(env, clinicId, {
    actor: actorOf(principal),
    action: 'lead.photo.read',
    target: `lead:${leadId}`,
  })
  return { body: object.body, contentType: photo.contentType, bytes: photo.bytes }
}

/** Changes a lead's status or assignment; the change joins its timeline. */
export async function updateLead(
  db: Db,
  env: Bindings,
  principal: Principal,
  id: string,
  patch: z.output<typeof LeadPatchSchema>,
  now: number,
): Promise<LeadSummary> {
  const clinicId = principal.clinicId
  const row = await findClinicRow(db, leads, clinicId, id)
  if (!row) throw notFound()
  if (patch.assignedTo) await requireAssignee(db, clinicId, patch.assignedTo)
  const set: Partial<typeof leads.$inferInsert> = { updatedAt: now }
  if (patch.status !== undefined) set.status = patch.status
  if (patch.assignedTo !== undefined) set.assignedTo = patch.assignedTo
  const changedStatus = patch.status !== undefined && patch.status !== row.status
  const [updated] = await db.batch([
    db
      .update(leads)
      .set(set)
      .where(ownedBy(leads, clinicId, eq(leads.id, id)))
      .returning(),
    ...(changedStatus
      ? [
          db.insert(leadEvents).values({
            id: newId('lev', now),
            clinicId,
            leadId: id,
            kind: 'status',
            ref: newId('chg', now),
            details: JSON.stringify({ from: row.status, to: patch.status }),
            at: now,
          }),
        ]
      : []),
  ])
  const next = updated[0]
  if (!next) throw notFound()
  await audit(env, clinicId, {
    actor: actorOf(principal),
    action: 'lead.change',
    target: `lead:${id}`,
    details: { fields: Object.keys(patch).sort().join(',') },
  })
  return leadSummary(next, priorityOf(next, await treatmentValues(db, clinicId), now))
}

/** A booking for a person: their phone's hash, the appointment and when it was made. */
export type LeadBooking = { appointmentId: string; phoneHash: string; at: number }

/**
 * The statements that mark the leads of these bookings `booked` and link each to its (latest)
 * appointment, with a timeline event per booking, and the bookings that found a lead. One query
 * per 90 phones, so a CSV import of thousands costs a handful. Idempotent.
 */
export async function bookedLeadStatements(db: Db, clinicId: string, bookings: LeadBooking[]) {
  const leadOf = new Map<string, string>()
  for (const some of slices([...new Set(bookings.map((b) => b.phoneHash))], IN_LIST_MAX)) {
    const found = await db
      .select({ id: leads.id, phoneHash: leads.phoneHash })
      .from(leads)
      .where(ownedBy(leads, clinicId, inArray(leads.phoneHash, some)))
    for (const f of found) leadOf.set(f.phoneHash!, f.id)
  }
  const booked = bookings.filter((b) => leadOf.has(b.phoneHash)).sort((a, b) => a.at - b.at)
  const statements = booked.flatMap((b) => {
    const leadId = leadOf.get(b.phoneHash)!
    return [
      db
        .update(leads)
        .set({
          status: 'booked',
          appointmentId: b.appointmentId,
          lastInteractionAt: sql`max(${leads.lastInteractionAt}, ${b.at})`,
          updatedAt: b.at,
        })
        .where(ownedBy(leads, clinicId, eq(leads.id, leadId))),
      db
        .insert(leadEvents)
        .values({
          id: newId('lev', b.at),
          clinicId,
          leadId,
          kind: 'appointment',
          ref: b.appointmentId,
          at: b.at,
        })
        .onConflictDoNothing(),
    ]
  })
  return { statements, booked }
}

/** What touched a person: their call or message (`kind` is `call`, `sms`, `whatsapp`), or staff answering them. */
export type LeadTouch = {
  clinicId: string
  /** The person's keyed hash: a phone hash (calls, SMS, WhatsApp) or, for web chat, an email hash. */
  contactHash: string
  kind: string
  /** The call or message id: the timeline holds each touch once, however often it is replayed. */
  ref: string
  at: number
  /** Staff answered them (a call back or a reply): counts as their last reply. */
  answered?: boolean
}

/**
 * Statements for the caller's batch that touch the lead of a contact hash, if there is one: the
 * last interaction (and kind, or last reply) moves forward, never back, and the timeline gets
 * the touch once. Idempotent, so a redelivered webhook or job changes nothing twice.
 */
/** A lead by either of its keyed hashes (they never collide: different inputs, one key). */
const byContact = (hash: string) => or(eq(leads.phoneHash, hash), eq(leads.emailHash, hash))

export function leadTouchStatements(db: Db, t: LeadTouch) {
  const later = sql`max(${leads.lastInteractionAt}, ${t.at})`
  const set = t.answered
    ? {
        lastReplyAt: sql`max(coalesce(${leads.lastReplyAt}, 0), ${t.at})`,
        lastInteractionAt: later,
      }
    : {
        lastKind: sql`CASE WHEN ${t.at} >= ${leads.lastInteractionAt} THEN ${t.kind} ELSE ${leads.lastKind} END`,
        lastInteractionAt: later,
      }
  return [
    db
      .update(leads)
      .set({ ...set, updatedAt: t.at })
      .where(ownedBy(leads, t.clinicId, byContact(t.contactHash))),
    db
      .insert(leadEvents)
      .select(
        // lead_events' columns in table order: id, clinic_id, lead_id, kind, ref, details, at.
        sql`SELECT ${newId('lev', t.at)}, ${leads.clinicId}, ${leads.id}, ${t.answered ? 'reply' : t.kind}, ${t.ref}, NULL, ${t.at}
          FROM ${leads} WHERE ${leads.clinicId} = ${t.clinicId} AND ${byContact(t.contactHash)}`,
      )
      .onConflictDoNothing(),
  ] as const
}

/** The phone hash a booking for the lead is made under; null for another clinic's or an email-only lead. */
export async function leadPhoneHash(db: Db, clinicId: string, id: string): Promise<string | null> {
  return (await findClinicRow(db, leads, clinicId, id))?.phoneHash ?? null
}
