/**
 * A data subject's leads (CONTRACT "Privacy", with "Forms, enquiries and leads"): found by the
 * keyed hash of their phone or email, exported with everything decrypted (access), deleted with
 * their enquiries, photos (R2 first) and timeline (erasure), or corrected (rectification).
 * src/privacy/subjects.ts and requests.ts call these; nothing else does.
 */
import { eq, inArray, or } from 'drizzle-orm'
import type { Db } from '../db/client'
import { ownedBy } from '../db/clinic-row'
import { conversions, enquiries, leadEvents, leadPhotos, leads } from '../db/schema'
import { maskEmail } from '../email/email'
import type { Bindings } from '../env'
import { slices } from '../lib/slices'
import { toIso } from '../lib/time'
import { maskPhone } from '../phone/phone'
import type { ClinicKeyring } from '../privacy/crypto'

type Hashes = { phoneHash: string | null; emailHash: string | null }

async function subjectLeadIds(db: Db, clinicId: string, s: Hashes): Promise<string[]> {
  if (!s.phoneHash && !s.emailHash) return []
  const match = or(
    s.phoneHash ? eq(leads.phoneHash, s.phoneHash) : undefined,
    s.emailHash ? eq(leads.emailHash, s.emailHash) : undefined,
  )
  const rows = await db
    .select({ id: leads.id })
    .from(leads)
    .where(ownedBy(leads, clinicId, match))
  return rows.map((r) => r.id)
}

/** Everything held in the subject's leads, decrypted, for the access export. */
export async function exportSubjectLeads(
  db: Db,
  keyring: ClinicKeyring,
  clinicId: string,
  s: Hashes,
) {
  const ids = await subjectLeadIds(db, clinicId, s)
  if (ids.length === 0) return []
  const open = (sealed: string | null) => (sealed ? keyring.open(sealed).catch(() => null) : null)
  const [leadRows, enquiryRows, photoRows] = await Promise.all([
    db
      .select()
      .from(leads)
      .where(ownedBy(leads, clinicId, inArray(leads.id, ids))),
    db
      .select()
      .from(enquiries)
      .where(ownedBy(enquiries, clinicId, inArray(enquiries.leadId, ids))),
    db
      .select()
      .from(leadPhotos)
      .where(ownedBy(leadPhotos, clinicId, inArray(leadPhotos.leadId, ids))),
  ])
  return Promise.all(
    leadRows.map(async (l) => ({
      id: l.id,
      status: l.status,
      name: await open(l.nameSealed),
      email: await open(l.emailSealed),
      phone: await open(l.phoneSealed),
      consent: l.consent ? JSON.parse(l.consent) : null,
      attribution: l.attribution ? JSON.parse(l.attribution) : null,
      createdAt: toIso(l.createdAt),
      lastInteractionAt: toIso(l.lastInteractionAt),
      enquiries: await Promise.all(
        enquiryRows
          .filter((e) => e.leadId === l.id)
          .map(async (e) => ({
            id: e.id,
            kind: e.kind,
            createdAt: toIso(e.createdAt),
            message: await open(e.messageSealed),
            treatment: e.treatment,
            preferredTime: await open(e.preferredTimeSealed),
            consent: JSON.parse(e.consent),
            attribution: e.attribution ? JSON.parse(e.attribution) : null,
          })),
      ),
      photos: photoRows
        .filter((p) => p.leadId === l.id)
        .map((p) => ({ id: p.id, contentType: p.contentType, bytes: p.bytes })),
    })),
  )
}

/** Deletes the subject's leads with their photos (R2 first), enquiries and timeline. */
export async function eraseSubjectLeads(
  env: Bindings,
  db: Db,
  clinicId: string,
  s: Hashes,
): Promise<{ leads: number; enquiries: number; photos: number }> {
  const ids = await subjectLeadIds(db, clinicId, s)
  if (ids.length === 0) return { leads: 0, enquiries: 0, photos: 0 }
  const photos = await db
    .select({ key: leadPhotos.r2Key })
    .from(leadPhotos)
    .where(ownedBy(leadPhotos, clinicId, inArray(leadPhotos.leadId, ids)))
  for (const some of slices(
    photos.map((p) => p.key),
    1000,
  ))
    await env.BLOBS.delete(some)
  const [, removedEnquiries, , , removedLeads] = await db.batch([
    db.delete(leadPhotos).where(ownedBy(leadPhotos, clinicId, inArray(leadPhotos.leadId, ids))),
    db
      .delete(enquiries)
      .where(ownedBy(enquiries, clinicId, inArray(enquiries.leadId, ids)))
      .returning({ id: enquiries.id }),
    db.delete(leadEvents).where(ownedBy(leadEvents, clinicId, inArray(leadEvents.leadId, ids))),
    db.delete(conversions).where(ownedBy(conversions, clinicId, inArray(conversions.leadId, ids))),
    db
      .delete(leads)
      .where(ownedBy(leads, clinicId, inArray(leads.id, ids)))
      .returning({ id: leads.id }),
  ])
  return { leads: removedLeads.length, enquiries: removedEnquiries.length, photos: photos.length }
}

/**
 * Rectification: the subject's leads take the corrected phone or email (hash, sealed copy and
 * mask), so later calls, messages and forms find them under it. Returns the leads changed.
 */
export async function rectifySubjectLeads(
  db: Db,
  keyring: ClinicKeyring,
  clinicId: string,
  from: Hashes,
  to: Hashes & { phone: string | null; email: string | null },
): Promise<number> {
  const ids = await subjectLeadIds(db, clinicId, from)
  if (ids.length === 0) return 0
  const set: Partial<typeof leads.$inferInsert> = { updatedAt: Date.now() }
  if (to.phone && to.phoneHash) {
    Object.assign(set, {
      phoneHash: to.phoneHash,
      phoneSealed: await keyring.seal(to.phone),
      phoneMasked: maskPhone(to.phone),
    })
  }
  if (to.email && to.emailHash) {
    Object.assign(set, {
      emailHash: to.emailHash,
      emailSealed: await keyring.seal(to.email),
      emailMasked: maskEmail(to.email),
    })
  }
  const changed = await db
    .update(leads)
    .set(set)
    .where(ownedBy(leads, clinicId, inArray(leads.id, ids)))
    .returning({ id: leads.id })
  return changed.length
}
