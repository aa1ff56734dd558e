/**
 * Leads' retention (CONTRACT "Forms, enquiries and leads", Retention): a lead quiet for 24 months
 * goes with its enquiries, photos (R2) and timeline; an active lead stays, but where its visitors
 * came from is cleared 2 years after each submission. Counts go on the receipts.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { enquiries, leadEvents, leadPhotos, leads } from '../src/db/schema'
import { DAY_MS } from '../src/lib/time'
import { purgeClinic } from '../src/privacy/purge'
import { api, createTestClinic } from './helpers/clinic'
import { multipart, newForm, submit } from './helpers/leads'
import { jpegWithLocation } from './helpers/photos'

const db = createDb(env.DB)

describe('retention purge: enquiries and leads', () => {
  it('deletes a quiet lead with its enquiries, photos and timeline; clears old attribution on an active one', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const submitPerson = async (email: string, withPhoto: boolean) => {
      const data = {
        name: 'A Person',
        email,
        consent: { marketing: false, ads: true },
        attribution: { utmSource: 'google', gclid: 'G-1' },
      }
      const photos = withPhoto ? [{ bytes: jpegWithLocation(), name: 'a.jpg' }] : []
      const res = await submit(form.id, multipart(data, photos))
      expect(res.status).toBe(201)
      return (await res.json()) as { id: string; leadId: string }
    }
    const quiet = await submitPerson('quiet@example.com', true)
    const active = await submitPerson('active@example.com', false)
    const now = Date.now()
    const longAgo = now - 800 * DAY_MS
    await db.update(leads).set({ lastInteractionAt: longAgo }).where(eq(leads.id, quiet.leadId))
    await db.update(enquiries).set({ createdAt: longAgo }).where(eq(enquiries.id, active.id))
    const [photo] = await db.select().from(leadPhotos).where(eq(leadPhotos.leadId, quiet.leadId))
    expect(await env.BLOBS.head(photo!.r2Key)).not.toBeNull()

    const result = await purgeClinic(env, clinic.clinicId, now)
    expect(result.enquiries).toMatchObject({ photos: 1, enquiries: 1 })
    expect(result.leads).toMatchObject({ leadEvents: 1, leads: 1 })
    expect(result['marketing-attribution']?.enquiryAttribution).toBe(1)

    expect(await env.BLOBS.head(photo!.r2Key)).toBeNull()
    const left = await db.select().from(leads).where(eq(leads.clinicId, clinic.clinicId))
    expect(left.map((l) => l.id)).toEqual([active.leadId])
    expect(await db.select().from(leadEvents).where(eq(leadEvents.leadId, quiet.leadId))).toEqual(
      [],
    )
    const [kept] = await db.select().from(enquiries).where(eq(enquiries.id, active.id))
    expect(kept?.attribution).toBeNull()
    // A second run finds nothing more.
    const again = await purgeClinic(env, clinic.clinicId, now)
    expect(again.leads?.leads ?? 0).toBe(0)
  })
})

describe('data-subject requests by email find lead data', () => {
  async function setUp() {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const form = await newForm(clinic)
    const data = {
      name: 'Sam Jones',
      email: 'sam.jones@example.com',
      message: 'About my crown',
      consent: { marketing: true, ads: false },
    }
    const res = await submit(
      form.id,
      multipart(data, [{ bytes: jpegWithLocation(), name: 'a.jpg' }]),
    )
    const { leadId } = (await res.json()) as { leadId: string }
    return { clinic, owner, leadId }
  }

  it('access exports the lead with its details, enquiry and photo list', async () => {
    const { owner } = await setUp()
    const made = await api(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'access', subject: { email: 'Sam.Jones@example.com' } },
      owner.headers,
    )
    const { id } = (await made.json()) as { id: string }
    const exported = (await (
      await api('GET', `/api/v1/privacy/requests/${id}/export`, undefined, owner.headers)
    ).json()) as { leads: { name: string; enquiries: { message: string }[]; photos: unknown[] }[] }
    expect(exported.leads).toHaveLength(1)
    expect(exported.leads[0]).toMatchObject({ name: 'Sam Jones' })
    expect(exported.leads[0]!.enquiries[0]!.message).toBe('About my crown')
    expect(exported.leads[0]!.photos).toHaveLength(1)
  })

  it('erasure deletes the lead, its enquiries and its photos from R2; rectification moves it to the new email', async () => {
    const { clinic, owner, leadId } = await setUp()
    const [photo] = await db.select().from(leadPhotos).where(eq(leadPhotos.leadId, leadId))
    const fixed = await api(
      'POST',
      '/api/v1/privacy/requests',
      {
        type: 'rectification',
        subject: { email: 'sam.jones@example.com' },
        changes: { email: 'sam@example.org' },
      },
      owner.headers,
    )
    expect(fixed.status).toBe(201)
    const [moved] = await db.select().from(leads).where(eq(leads.id, leadId))
    expect(moved?.emailMasked).toBe('s***@example.org')
    const erased = await api(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'erasure', subject: { email: 'sam@example.org' } },
      owner.headers,
    )
    expect(erased.status).toBe(201)
    expect(await db.select().from(leads).where(eq(leads.clinicId, clinic.clinicId))).toEqual([])
    expect(await db.select().from(enquiries).where(eq(enquiries.leadId, leadId))).toEqual([])
    expect(await env.BLOBS.head(photo!.r2Key)).toBeNull()
  })
})
