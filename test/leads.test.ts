/**
 * Forms, submissions and leads (CONTRACT.md "Forms, enquiries and leads"): origins and CORS,
 * validation that names the field and stores nothing, one lead per person, consent with its
 * wording, attribution, photos checked by their bytes and stripped of location, audited reads.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { notifyAttribution } from '../src/attribution/notify'
import { createDb } from '../src/db/client'
import { enquiries, leadEvents, leadPhotos, leads } from '../src/db/schema'
import { getConfig } from '../src/env'
import { CONSENT_VERSION } from '../src/leads/consent'
import { estimateMissedCallRevenue } from '../src/leads/scorecard'
import { contactHash } from '../src/privacy/crypto'
import { api, call, createTestClinic, ORIGIN } from './helpers/clinic'
import { type FormJson, multipart, newForm, SITE, submit } from './helpers/leads'
import { holdsLatitude, jpegWithLocation, pngWithLocation, SCAN } from './helpers/photos'
import { postTwilio } from './helpers/twilio'

const db = createDb(env.DB)
const person = (over: object = {}) => ({
  name: 'Priya Shah',
  email: 'Priya.Shah@example.com',
  phone: '07700 900123',
  message: 'Is composite bonding possible on a chipped front tooth?',
  treatment: 'Composite bonding',
  consent: { marketing: false, ads: true },
  attribution: {
    utmSource: 'google',
    utmCampaign: 'bonding',
    gclid: 'Cj0KCQ-test',
    landingPage: `${SITE}/bonding`,
  },
  ...over,
})

async function leadRows(clinicId: string) {
  return db.select().from(leads).where(eq(leads.clinicId, clinicId))
}

describe('forms', () => {
  it('creates a form with its snippet and hosted page; analysts list them; bad origins are named', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    expect(form.embedSnippet).toBe(
      `<script src="${ORIGIN}/embed.js" data-form="${form.id}" async></script>`,
    )
    expect(form.hostedUrl).toBe(`${ORIGIN}/f/${form.id}`)
    const analyst = await clinic.as('analyst')
    const list = await api('GET', '/api/v1/forms', undefined, analyst.headers)
    expect(((await list.json()) as { items: FormJson[] }).items.map((f) => f.id)).toEqual([form.id])

    const owner = await clinic.as('owner')
    const bad = await api(
      'POST',
      '/api/v1/forms',
      { kind: 'enquiry', name: 'x', allowedOrigins: ['https://site.example/path'] },
      owner.headers,
    )
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await bad.json())).toContain('allowedOrigins.0')
    const renamed = await api(
      'PATCH',
      `/api/v1/forms/${form.id}`,
      { name: 'Bonding enquiries' },
      owner.headers,
    )
    expect(((await renamed.json()) as { name: string }).name).toBe('Bonding enquiries')
    const receptionist = await clinic.as('receptionist')
    expect(
      (await api('POST', '/api/v1/forms', { kind: 'guide', name: 'x' }, receptionist.headers))
        .status,
    ).toBe(403)
  })
})

describe('submissions', () => {
  it('stores a lead with sealed details, consent as worded and the ad click; answers CORS for the site', async () => {
    const clinic = await createTestClinic({ name: 'Smile Studio' })
    const form = await newForm(clinic)
    const res = await submit(form.id, person())
    expect(res.status).toBe(201)
    expect(res.headers.get('access-control-allow-origin')).toBe(SITE)
    const { id, leadId } = (await res.json()) as { id: string; leadId: string }
    const [row] = await leadRows(clinic.clinicId)
    expect(row?.id).toBe(leadId)
    // Nothing personal in clear: only masks and initials.
    const raw = JSON.stringify(row)
    expect(raw).not.toContain('Priya')
    expect(raw.toLowerCase()).not.toContain('priya.shah')
    expect(raw).not.toContain('900123')
    expect(row?.phoneMasked).toBe('•••123')
    expect(row?.emailMasked).toBe('p***@example.com')
    expect(row?.nameInitials).toBe('PS')
    const [enquiry] = await db.select().from(enquiries).where(eq(enquiries.id, id))
    expect(JSON.stringify(enquiry)).not.toContain('chipped')
    const consent = JSON.parse(enquiry!.consent)
    expect(consent.ads).toMatchObject({ given: true, version: CONSENT_VERSION })
    expect(consent.ads.wording).toContain('Smile Studio')
    expect(consent.marketing.given).toBe(false)
    expect(JSON.parse(enquiry!.attribution!)).toEqual({
      utmSource: 'google',
      utmCampaign: 'bonding',
      gclid: 'Cj0KCQ-test',
      landingPage: `${SITE}/bonding`,
    })
  })

  it('one lead per person: the same phone or email again touches the same lead', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const first = (await (await submit(form.id, person({ email: undefined }))).json()) as {
      leadId: string
    }
    const byPhone = (await (
      await submit(form.id, person({ email: 'priya@example.org' }))
    ).json()) as { leadId: string }
    const byEmail = (await (
      await submit(form.id, person({ phone: undefined, email: 'priya@example.org' }))
    ).json()) as { leadId: string }
    expect(byPhone.leadId).toBe(first.leadId)
    expect(byEmail.leadId).toBe(first.leadId)
    expect(await leadRows(clinic.clinicId)).toHaveLength(1)
    expect(
      await db.select().from(enquiries).where(eq(enquiries.leadId, first.leadId)),
    ).toHaveLength(3)
  })

  it('refuses other sites, missing origins and a preflight from elsewhere; the hosted page may post', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    expect((await submit(form.id, person(), { origin: 'https://evil.example' })).status).toBe(403)
    expect((await submit(form.id, person(), { origin: null })).status).toBe(403)
    expect(await leadRows(clinic.clinicId)).toHaveLength(0)
    const preflight = (origin: string) =>
      call(`/api/v1/forms/${form.id}/submissions`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      })
    const ok = await preflight(SITE)
    expect(ok.status).toBe(204)
    expect(ok.headers.get('access-control-allow-origin')).toBe(SITE)
    expect((await preflight('https://evil.example')).status).toBe(403)
    expect((await submit(form.id, person(), { origin: ORIGIN })).status).toBe(201)
  })

  it('bad input gets a 4xx naming the field and stores nothing', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const scorecard = await newForm(clinic, 'scorecard')
    const cases: [string, unknown, number, string | null][] = [
      ['no contact', person({ email: undefined, phone: undefined }), 400, 'email'],
      ['bad phone', person({ phone: 'not a phone' }), 400, 'phone'],
      ['bad email', person({ email: 'nope' }), 400, 'email'],
      ['no consent', { name: 'A', email: 'a@example.com' }, 400, 'consent'],
      ['not JSON', '{"name":', 400, null],
      ['long name', person({ name: 'x'.repeat(500) }), 400, 'name'],
      ['unknown attribution field', person({ attribution: { evil: 'x' } }), 400, 'attribution'],
    ]
    for (const [label, body, status, path] of cases) {
      const res = await submit(form.id, body)
      expect(res.status, label).toBe(status)
      expect(res.headers.get('content-type'), label).toContain('application/problem+json')
      if (path) expect(JSON.stringify(await res.json()), label).toContain(`"path":"${path}`)
    }
    const noAnswers = await submit(scorecard.id, person())
    expect(noAnswers.status).toBe(400)
    expect(JSON.stringify(await noAnswers.json())).toContain('"path":"answers"')
    const text = await call(`/api/v1/forms/${form.id}/submissions`, {
      method: 'POST',
      headers: { origin: SITE, 'content-type': 'text/plain', 'cf-connecting-ip': '192.0.2.77' },
      body: 'hello',
    })
    expect(text.status).toBe(415)
    expect((await submit('frm_nope', person())).status).toBe(404)
    expect(await leadRows(clinic.clinicId)).toHaveLength(0)
  })

  it('a scorecard answers at once with the estimate of the pure function', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic, 'scorecard')
    const answers = { callsPerWeek: 200, answerRatePercent: 70, averageValuePence: 45_000 }
    const res = await submit(form.id, person({ answers }))
    expect(res.status).toBe(201)
    const body = (await res.json()) as { result: unknown }
    expect(body.result).toEqual(estimateMissedCallRevenue(answers))
  })

  it('limits each client: the eleventh submission in a minute is 429 with Retry-After', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) {
      const res = await submit(form.id, person({ email: `p${i}@example.com`, phone: undefined }), {
        clientIp: '203.0.113.200',
      })
      statuses.push(res.status)
      if (res.status === 429) expect(res.headers.get('retry-after')).toBe('60')
    }
    expect(statuses.slice(0, 10).every((s) => s === 201)).toBe(true)
    expect(statuses[10]).toBe(429)
  })
})

describe('photos', () => {
  it('stores JPEG and PNG photos without their location; staff read them (audited)', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    expect(holdsLatitude(jpegWithLocation())).toBe(true)
    const res = await submit(
      form.id,
      multipart(person(), [
        { bytes: jpegWithLocation(), name: 'tooth.jpg', type: 'image/jpeg' },
        { bytes: pngWithLocation(), name: 'smile.png', type: 'image/png' },
      ]),
    )
    expect(res.status).toBe(201)
    const { leadId } = (await res.json()) as { leadId: string }
    const photos = await db.select().from(leadPhotos).where(eq(leadPhotos.leadId, leadId))
    expect(photos.map((p) => p.contentType).sort()).toEqual(['image/jpeg', 'image/png'])
    for (const p of photos) {
      const stored = new Uint8Array(await (await env.BLOBS.get(p.r2Key))!.arrayBuffer())
      expect(holdsLatitude(stored), p.contentType).toBe(false)
      expect(new TextDecoder().decode(stored)).not.toContain('GPSLatitude')
      if (p.contentType === 'image/jpeg') expect([...stored.slice(-SCAN.length)]).toEqual(SCAN)
    }
    const staff = await clinic.as('receptionist')
    const jpeg = photos.find((p) => p.contentType === 'image/jpeg')!
    const read = await api(
      'GET',
      `/api/v1/leads/${leadId}/photos/${jpeg.id}`,
      undefined,
      staff.headers,
    )
    expect(read.status).toBe(200)
    expect(read.headers.get('content-type')).toBe('image/jpeg')
    expect(holdsLatitude(new Uint8Array(await read.arrayBuffer()))).toBe(false)
    const actions = (await env.CLINIC.getByName(clinic.clinicId).listAudit(50, null)).map(
      (e) => e.action,
    )
    expect(actions).toContain('lead.photo.read')
  })

  it('refuses a file that is not an image by its bytes, too many photos, and photos on other forms', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const guide = await newForm(clinic, 'guide')
    const pdf = new TextEncoder().encode('%PDF-1.7 not a photo')
    const fake = await submit(
      form.id,
      multipart(person(), [{ bytes: pdf, name: 'x.jpg', type: 'image/jpeg' }]),
    )
    expect(fake.status).toBe(415)
    const six = Array.from({ length: 6 }, () => ({
      bytes: jpegWithLocation(),
      name: 'a.jpg',
      type: 'image/jpeg',
    }))
    const many = await submit(form.id, multipart(person(), six))
    expect(many.status).toBe(400)
    expect(JSON.stringify(await many.json())).toContain('"path":"photos"')
    const onGuide = await submit(
      guide.id,
      multipart(person(), [{ bytes: jpegWithLocation(), name: 'a.jpg', type: 'image/jpeg' }]),
    )
    expect(onGuide.status).toBe(400)
    expect(await leadRows(clinic.clinicId)).toHaveLength(0)
    expect((await env.BLOBS.list({ prefix: `leads/${clinic.clinicId}/` })).objects).toHaveLength(0)
  })
})

describe('leads', () => {
  it('lists masked leads priority first; opens one decrypted (audited); status changes join the timeline', async () => {
    const clinic = await createTestClinic()
    const enquiry = await newForm(clinic)
    const guide = await newForm(clinic, 'guide')
    await submit(guide.id, {
      name: 'Guide Reader',
      email: 'reader@example.com',
      consent: { marketing: true, ads: false },
    })
    const hot = (await (await submit(enquiry.id, person())).json()) as { leadId: string }
    const staff = await clinic.as('receptionist')
    const list = await api('GET', '/api/v1/leads', undefined, staff.headers)
    const page = (await list.json()) as {
      items: { id: string; priority: { score: number; reasons: string[] }; contact: object }[]
    }
    expect(page.items).toHaveLength(2)
    expect(page.items[0]!.id).toBe(hot.leadId)
    expect(page.items[0]!.priority.score).toBeGreaterThan(page.items[1]!.priority.score)
    expect(page.items[0]!.priority.reasons).toContain('enquired')
    expect(JSON.stringify(page)).not.toContain('Priya')

    const detail = await api('GET', `/api/v1/leads/${hot.leadId}`, undefined, staff.headers)
    const lead = (await detail.json()) as {
      contact: { name: string; email: string; phone: string }
      enquiries: { message: string }[]
      timeline: { kind: string }[]
    }
    expect(lead.contact).toMatchObject({
      name: 'Priya Shah',
      email: 'priya.shah@example.com',
      phone: '+447700900123',
    })
    expect(lead.enquiries[0]!.message).toContain('chipped front tooth')
    const actions = (await env.CLINIC.getByName(clinic.clinicId).listAudit(50, null)).map(
      (e) => e.action,
    )
    expect(actions).toContain('lead.read')

    const patched = await api(
      'PATCH',
      `/api/v1/leads/${hot.leadId}`,
      { status: 'contacted', assignedTo: staff.userId },
      staff.headers,
    )
    expect(patched.status).toBe(200)
    expect(((await patched.json()) as { status: string }).status).toBe('contacted')
    const again = (await (
      await api('GET', `/api/v1/leads/${hot.leadId}`, undefined, staff.headers)
    ).json()) as {
      timeline: { kind: string; details: unknown }[]
    }
    expect(again.timeline.map((t) => t.kind)).toEqual(['status', 'enquiry'])
    expect(again.timeline[0]!.details).toEqual({ from: 'new', to: 'contacted' })

    const stranger = await api(
      'PATCH',
      `/api/v1/leads/${hot.leadId}`,
      { assignedTo: 'usr_nobody' },
      staff.headers,
    )
    expect(stranger.status).toBe(400)
    const analyst = await clinic.as('analyst')
    expect((await api('GET', '/api/v1/leads', undefined, analyst.headers)).status).toBe(403)
    const other = await createTestClinic()
    const outsider = await other.as('owner')
    expect(
      (await api('GET', `/api/v1/leads/${hot.leadId}`, undefined, outsider.headers)).status,
    ).toBe(404)
  })

  it('an appointment for the lead’s phone books the lead and links them', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const { leadId } = (await (await submit(form.id, person())).json()) as { leadId: string }
    const staff = await clinic.as('receptionist')
    const booked = await api(
      'POST',
      '/api/v1/appointments',
      { phone: '+447700900123', createdAt: new Date().toISOString() },
      staff.headers,
    )
    expect(booked.status).toBe(201)
    const appointment = (await booked.json()) as { id: string }
    const [row] = await db.select().from(leads).where(eq(leads.id, leadId))
    expect(row).toMatchObject({ status: 'booked', appointmentId: appointment.id })
  })
})

describe('the hosted form and /embed.js', () => {
  it('serves the form with its consent words, framable only by its sites, setting no cookie', async () => {
    const clinic = await createTestClinic({ name: 'Smile Studio' })
    const form = await newForm(clinic)
    const res = await call(`/f/${form.id}?utm_source=google`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-frame-options')).toBeNull()
    expect(res.headers.get('set-cookie')).toBeNull()
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain(`frame-ancestors 'self' ${SITE}`)
    expect(csp).toContain("script-src 'self'")
    const html = await res.text()
    expect(html).toContain('<label for="f-name">Your name (required)</label>')
    expect(html).toContain('id="f-name-error" hidden')
    expect(html).toContain('Let Smile Studio tell Google and Meta')
    expect(html).toContain('name="photos"')
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3)[^"]*\.(js|css)/)
    expect((await call('/f/frm_nope')).status).toBe(404)
  })

  it('/embed.js is small (under 5 KB gzipped) and frames /f/{id} with the page’s attribution', async () => {
    const res = await call('/embed.js')
    expect(res.headers.get('content-type')).toContain('javascript')
    const text = await res.text()
    expect(text).toContain("'/f/'")
    for (const p of ['utm_source', 'gclid', 'gbraid', 'wbraid', 'fbclid', 'landing', 'ref']) {
      expect(text).toContain(p)
    }
    const gzipped = await new Response(
      new Blob([text]).stream().pipeThrough(new CompressionStream('gzip')),
    ).arrayBuffer()
    expect(gzipped.byteLength).toBeLessThan(5 * 1024)
  })
})

describe('a lead is touched by the person’s messages and calls', () => {
  it('an SMS and a call move its last interaction and join its timeline once each; a call back answers it', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const { leadId } = (await (await submit(form.id, person())).json()) as { leadId: string }
    const sms = {
      MessageSid: `SM${'a'.repeat(24)}${Date.now().toString().slice(-8)}`,
      AccountSid: `AC${'1'.repeat(32)}`,
      From: '+447700900123',
      To: clinic.trackingNumber,
      Body: 'Hello, any news on my enquiry?',
      NumMedia: '0',
    }
    expect((await postTwilio('/webhooks/twilio/messaging', sms)).status).toBe(200)
    // A redelivery changes nothing twice.
    expect((await postTwilio('/webhooks/twilio/messaging', sms)).status).toBe(200)
    const phoneHash = await contactHash(getConfig(env), clinic.clinicId, '+447700900123')
    const later = Date.now() + 1000
    await notifyAttribution(env, clinic.clinicId, {
      kind: 'callback',
      callId: 'call_back_1',
      callerHash: phoneHash,
      at: later,
    })
    const [row] = await db.select().from(leads).where(eq(leads.id, leadId))
    expect(row?.lastKind).toBe('sms')
    expect(row?.lastReplyAt).toBe(later)
    const events = await db.select().from(leadEvents).where(eq(leadEvents.leadId, leadId))
    expect(events.map((e) => e.kind).sort()).toEqual(['enquiry', 'reply', 'sms'])
  })
})

describe('the Leads and Forms pages', () => {
  it('list leads with masks, open one with its details (audited), and add a form with its snippet', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const { leadId } = (await (await submit(form.id, person())).json()) as { leadId: string }
    const staff = await clinic.as('receptionist')
    const list = await (await call('/leads', { headers: staff.headers })).text()
    expect(list).toContain('PS · •••123')
    expect(list).not.toContain('Priya')
    const detail = await (await call(`/leads/${leadId}`, { headers: staff.headers })).text()
    expect(detail).toContain('Priya Shah')
    expect(detail).toContain('chipped front tooth')
    expect(detail).toContain('Google (gclid)')
    const actions = (await env.CLINIC.getByName(clinic.clinicId).listAudit(50, null)).map(
      (e) => e.action,
    )
    expect(actions).toContain('lead.read')

    const owner = await clinic.as('owner')
    const postForm = (body: string) =>
      call('/forms', {
        method: 'POST',
        redirect: 'manual',
        headers: { ...owner.headers, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      })
    const refused = await postForm('kind=guide&name=Guide&origins=not-a-site')
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('Not a website address: not-a-site')
    const added = await postForm(
      `kind=guide&name=Whitening+guide&origins=${encodeURIComponent('https://a.example, https://b.example')}`,
    )
    expect(added.status).toBe(303)
    const page = await (await call('/forms', { headers: owner.headers })).text()
    expect(page).toContain('Whitening guide')
    expect(page).toContain('https://a.example, https://b.example')
    expect(page).toContain('data-form=')
  })
})

describe('booking from the lead page', () => {
  it('books under the lead’s phone: the appointment opens and the lead is booked', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const { leadId } = (await (await submit(form.id, person())).json()) as { leadId: string }
    const staff = await clinic.as('receptionist')
    const pageHtml = await (await call(`/leads/${leadId}`, { headers: staff.headers })).text()
    expect(pageHtml).toContain(`action="/leads/${leadId}/book"`)
    const res = await call(`/leads/${leadId}/book`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...staff.headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'treatmentId=&value=450',
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toMatch(/^\/appointments\//)
    const [row] = await db.select().from(leads).where(eq(leads.id, leadId))
    expect(row?.status).toBe('booked')
    // An email-only lead has nothing to book under: no Book form.
    const emailOnly = (await (
      await submit(form.id, person({ phone: undefined, email: 'only.email@example.com' }))
    ).json()) as { leadId: string }
    const other = await (
      await call(`/leads/${emailOnly.leadId}`, { headers: staff.headers })
    ).text()
    expect(other).not.toContain('/book"')
  })
})

describe('replying from the lead page', () => {
  it('emails a lead through the queue: their last reply and timeline move, audited; their chat links to the inbox', async () => {
    const clinic = await createTestClinic()
    const form = await newForm(clinic)
    const { leadId } = (await (
      await submit(form.id, person({ phone: undefined, email: 'reply.me@example.com' }))
    ).json()) as { leadId: string }
    const staff = await clinic.as('receptionist')
    const before = await (await call(`/leads/${leadId}`, { headers: staff.headers })).text()
    expect(before).toContain(`action="/leads/${leadId}/reply"`)
    expect(before).toContain('No conversation yet')
    const post = (body: string) =>
      call(`/leads/${leadId}/reply`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...staff.headers, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      })
    expect((await post('body=')).status).toBe(400)
    const [untouched] = await db.select().from(leads).where(eq(leads.id, leadId))
    expect(untouched?.lastReplyAt).toBe(null)
    const sent = await post(
      `body=${encodeURIComponent('Yes, bonding can fix that. Call us to book.')}`,
    )
    expect(sent.status).toBe(303)
    const [row] = await db.select().from(leads).where(eq(leads.id, leadId))
    expect(row?.lastReplyAt).not.toBe(null)
    const events = await db.select().from(leadEvents).where(eq(leadEvents.leadId, leadId))
    expect(events.map((e) => e.kind)).toContain('reply')
    const actions = (await env.CLINIC.getByName(clinic.clinicId).listAudit(50, null)).map(
      (e) => e.action,
    )
    expect(actions).toContain('lead.reply')

    // A chat lead: the page links to their conversation in the inbox.
    const chatForm = await newForm(clinic, 'chat')
    const chat = (await (
      await submit(chatForm.id, person({ email: 'chatty@example.com', phone: undefined }))
    ).json()) as { leadId: string; chat: { conversationId: string } }
    const chatPage = await (await call(`/leads/${chat.leadId}`, { headers: staff.headers })).text()
    expect(chatPage).toContain(`href="/inbox/${chat.chat.conversationId}"`)
  })
})
