// The dashboard's page handlers in workerd: access, roles, CSRF, security headers, forms.
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { appointments, calls, clinics, sessions, trackingNumbers } from '../src/db/schema'
import { newId } from '../src/lib/ids'
import { sha256Hex } from '../src/privacy/crypto'
import { api, call, createTestClinic, ORIGIN } from './helpers/clinic'

const db = createDb(env.DB)

function form(fields: Record<string, string>, headers: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  }
}

const validSettings = {
  name: 'Renamed Clinic',
  textBackEnabled: 'on',
  textBackTemplate: 'Sorry we missed you at {clinic}! Reply STOP to opt out.',
  attributionWindowDays: '10',
  holdOutPercent: '5',
  defaultAppointmentValue: '120.50',
  retentionCallDays: '60',
  retentionRecordingDays: '300',
  retentionEnquiryDays: '700',
}

describe('dashboard access', () => {
  it('sends a signed-out visitor to the sign-in page, remembering where they were going', async () => {
    const res = await call('/calls?status=missed', { redirect: 'manual' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(
      `/login?next=${encodeURIComponent('/calls?status=missed')}`,
    )
    const home = await call('/', { redirect: 'manual' })
    expect(home.headers.get('location')).toBe('/login')
  })

  it('serves the sign-in page with a strict CSP and no inline script', async () => {
    const res = await call('/login')
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("style-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    // PUBLIC_BASE_URL is https in tests, so HSTS is on.
    expect(res.headers.get('strict-transport-security')).toContain('max-age=')
    expect(res.headers.get('server-timing')).toMatch(/^render;dur=\d/)
    const html = await res.text()
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toContain('style=')
    expect(html).toContain('<label for="f-email">')
  })

  it('leaves the JSON API and webhooks outside the dashboard (no redirect, no HTML)', async () => {
    const res = await call('/api/v1/no-such-thing', { redirect: 'manual' })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(res.headers.get('content-security-policy')).toBeNull()
  })

  it('shows the overview with both charts, accessible titles and data tables', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await call('/', { headers: owner.headers })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<main id="main"')
    expect(html).toContain('href="#main"')
    expect(html.match(/<svg[^>]*role="img"/g)).toHaveLength(2)
    expect(html).toContain('<title id="chart-daily-title">')
    expect(html).toContain('<desc id="chart-monthly-desc">')
    expect(html.match(/Show the data as a table/g)).toHaveLength(2)
    expect(html).toContain('£0.00')
  })

  it('keeps receptionists out of settings, team and privacy with a 403 page and hides those links', async () => {
    const clinic = await createTestClinic()
    const receptionist = await clinic.as('receptionist')
    for (const path of ['/settings', '/team', '/privacy', '/api-keys', '/outbox', '/audit']) {
      const res = await call(path, { headers: receptionist.headers })
      expect(res.status, path).toBe(403)
      expect(res.headers.get('content-type')).toContain('text/html')
      expect(await res.text()).toContain('cannot open this page')
    }
    const home = await (await call('/', { headers: receptionist.headers })).text()
    expect(home).toContain('href="/calls"')
    expect(home).not.toContain('href="/settings"')
    expect(home).not.toContain('href="/team"')
    expect(home).not.toContain('href="/privacy"')
  })

  it('lets analysts read settings without a form, and refuses their writes with 403', async () => {
    const clinic = await createTestClinic()
    const analyst = await clinic.as('analyst')
    const page = await call('/settings', { headers: analyst.headers })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).not.toContain('action="/settings"')
    expect(html).toContain('<fieldset class="stack" disabled')
    for (const path of ['/settings', '/treatments', '/numbers', '/team']) {
      const res = await call(path, form(validSettings, analyst.headers))
      expect(res.status, path).toBe(403)
    }
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row?.name).not.toBe('Renamed Clinic')
  })
})

describe('dashboard forms', () => {
  it('refuses a cross-site form post (CSRF) and one with no Origin at all', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const crossSite = await call(
      '/settings',
      form(validSettings, { cookie: owner.cookie, origin: 'https://evil.example' }),
    )
    expect(crossSite.status).toBe(403)
    expect(await crossSite.text()).toContain('was not sent from the dashboard')
    const noOrigin = await call('/settings', form(validSettings, { cookie: owner.cookie }))
    expect(noOrigin.status).toBe(403)
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row?.name).not.toBe('Renamed Clinic')
  })

  it('accepts a same-origin form post identified by Sec-Fetch-Site', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await call(
      '/settings',
      form(validSettings, { cookie: owner.cookie, 'sec-fetch-site': 'same-origin' }),
    )
    expect(res.status).toBe(303)
  })

  it('saves settings, then shows the new template in the preview', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await call('/settings', form(validSettings, owner.headers))
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/settings?notice=saved')
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row).toMatchObject({
      name: 'Renamed Clinic',
      textBackTemplate: 'Sorry we missed you at {clinic}! Reply STOP to opt out.',
      attributionWindowDays: 10,
      holdOutPercent: 5,
      defaultAppointmentValuePence: 12050,
      callScreening: false,
      retentionCallDays: 60,
    })
    const page = await (await call('/settings?notice=saved', { headers: owner.headers })).text()
    expect(page).toContain('Settings saved.')
    expect(page).toContain('Sorry we missed you at Renamed Clinic! Reply STOP to opt out.')
  })

  it('saves what the AI may tell patients (address, booking link, hours typed per day) and refuses unreadable hours', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const facts = {
      ...validSettings,
      address: '12 High Street, Leeds LS1 4AB',
      bookingUrl: 'https://book.example.com/renamed',
      hours_mon: '9:00-13:00, 14:00–17:30',
      hours_sat: '09:00-12:30',
      hours_sun: 'closed',
    }
    expect((await call('/settings', form(facts, owner.headers))).status).toBe(303)
    const saved = (await (await api('GET', '/api/v1/clinic', undefined, owner.headers)).json()) as {
      address: string
      bookingUrl: string
      openingHours: unknown
    }
    expect(saved).toMatchObject({
      address: '12 High Street, Leeds LS1 4AB',
      bookingUrl: 'https://book.example.com/renamed',
      openingHours: {
        mon: [
          ['09:00', '13:00'],
          ['14:00', '17:30'],
        ],
        sat: [['09:00', '12:30']],
      },
    })
    const page = await (await call('/settings', { headers: owner.headers })).text()
    expect(page).toContain('value="09:00-13:00, 14:00-17:30"')
    const bad = await call(
      '/settings',
      form({ ...facts, hours_tue: 'nine till five' }, owner.headers),
    )
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('Write times like 09:00-17:30')
    const backwards = await call(
      '/settings',
      form({ ...facts, hours_wed: '17:00-09:00' }, owner.headers),
    )
    expect(backwards.status).toBe(400)
  })

  it('re-renders bad settings with inline messages instead of failing', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await call(
      '/settings',
      form({ ...validSettings, retentionCallDays: '400', textBackTemplate: '' }, owner.headers),
    )
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('role="alert"')
    expect(html).toContain('Use at most 90.')
    expect(html).toContain('aria-invalid="true"')
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row?.retentionCallDays).toBe(90)
  })

  it('sets reminders, follow-ups and quiet hours from the settings page; bad ones are named', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const reminders = {
      ...validSettings,
      remindersEnabled: 'on',
      reminderOffsets: '3d, 90m',
      reminderTemplate: 'See you {time} at {clinic}.',
      quietStart: '21:00',
      quietEnd: '07:30',
      followUpNoReplyHours: '6',
      followUpEnquiryHours: '0',
      followUpWeeklyCap: '1',
    }
    const res = await call('/settings', form(reminders, owner.headers))
    expect(res.status).toBe(303)
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row).toMatchObject({
      remindersEnabled: true,
      reminderOffsets: '[4320,90]',
      reminderTemplate: 'See you {time} at {clinic}.',
      quietStart: '21:00',
      quietEnd: '07:30',
      followUpNoReplyHours: 6,
      followUpEnquiryHours: 0,
      followUpWeeklyCap: 1,
    })
    const page = await (await call('/settings', { headers: owner.headers })).text()
    expect(page).toContain('value="3d, 90m"')
    const bad = await call(
      '/settings',
      form(
        { ...reminders, reminderOffsets: 'a week', reminderTemplate: 'See you soon' },
        owner.headers,
      ),
    )
    expect(bad.status).toBe(400)
    const html = await bad.text()
    expect(html).toContain('Write times like 7d, 2d, 2h')
    expect(html).toContain('Include {time}')
  })

  it('answers a JSON post to a form route with 415, never a 500', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await call('/settings', {
      method: 'POST',
      headers: { ...owner.headers, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(415)
  })

  it('signs up through the form, starts a session and lands on the overview', async () => {
    const email = `new-${Date.now()}@clinic.test`
    const res = await call(
      '/signup',
      form(
        {
          clinicName: 'Fresh Smiles',
          email,
          password: 'a-long-password-1',
          timezone: 'Europe/London',
        },
        { origin: ORIGIN },
      ),
    )
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/')
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!
    const home = await call('/', { headers: { cookie } })
    expect(home.status).toBe(200)
    expect(await home.text()).toContain('Fresh Smiles')
  })

  it('re-renders sign-up with a message when the password is too short', async () => {
    const res = await call(
      '/signup',
      form({ clinicName: 'X', email: 'x@clinic.test', password: 'short' }, { origin: ORIGIN }),
    )
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('Use at least 12 characters.')
  })

  it('answers a wrong password on the sign-in form inline with 401', async () => {
    const res = await call(
      '/login',
      form({ email: 'nobody@clinic.test', password: 'wrong-password' }, { origin: ORIGIN }),
    )
    expect(res.status).toBe(401)
    expect(await res.text()).toContain('The email or password is not correct.')
  })

  it('signs out with a POST that revokes the session server-side', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await call('/logout', form({}, owner.headers))
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/login?notice=signed-out')
    const token = decodeURIComponent(owner.cookie.split('=')[1]!).split('.')[0]!
    const [row] = await db
      .select({ revokedAt: sessions.revokedAt })
      .from(sessions)
      .where(eq(sessions.tokenHash, await sha256Hex(token)))
    expect(row?.revokedAt).toBeTypeOf('number')
    // The old cookie no longer opens anything.
    const again = await call('/', { headers: owner.headers, redirect: 'manual' })
    expect(again.status).toBe(303)
  })

  it('treats an expired session as signed out', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const token = decodeURIComponent(owner.cookie.split('=')[1]!).split('.')[0]!
    await db
      .update(sessions)
      .set({ expiresAt: Date.now() - 1000 })
      .where(eq(sessions.tokenHash, await sha256Hex(token)))
    const res = await call('/', { headers: owner.headers, redirect: 'manual' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/login')
  })

  it('shows a new API key once, and only its prefix afterwards', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await call('/api-keys', form({ name: 'Dentally' }, owner.headers))
    // Redirect-after-POST: a reload of the page cannot create a second key.
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/api-keys')
    const flash = (res.headers.get('set-cookie') ?? '').split(';')[0]!
    const shown = await call('/api-keys', {
      headers: { ...owner.headers, cookie: `${owner.headers.cookie}; ${flash}` },
    })
    const key = /rb_live_[A-Za-z0-9_-]+/.exec(await shown.text())?.[0]
    expect(key).toBeDefined()
    const later = await (await call('/api-keys', { headers: owner.headers })).text()
    expect(later).toContain('Dentally')
    expect(later).not.toContain(key!)
  })

  it('lists the exact Twilio webhook URLs to paste on the numbers page', async () => {
    const clinic = await createTestClinic()
    const admin = await clinic.as('admin')
    const html = await (await call('/numbers', { headers: admin.headers })).text()
    for (const path of ['voice', 'voice/status', 'messaging', 'messaging/status']) {
      expect(html).toContain(`<code>https://ringback.test/webhooks/twilio/${path}</code>`)
    }
  })

  it('adds a number in any UK form, and shows the service’s field error for a bad one', async () => {
    const clinic = await createTestClinic()
    const admin = await clinic.as('admin')
    const bad = await call(
      '/numbers',
      form({ phoneNumber: 'not a number', forwardTo: '0113 496 0999' }, admin.headers),
    )
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('Not a valid phone number.')
    const ok = await call(
      '/numbers',
      form(
        { phoneNumber: '0113 496 0555', forwardTo: '0113 496 0556', label: 'Reception' },
        admin.headers,
      ),
    )
    expect(ok.status).toBeLessThan(400)
    const rows = await db
      .select()
      .from(trackingNumbers)
      .where(eq(trackingNumbers.clinicId, clinic.clinicId))
    expect(rows.map((r) => r.phoneNumber)).toContain('+441134960555')
  })

  it('adds a treatment, and re-renders a bad value with its message', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const bad = await call('/treatments', form({ name: 'Implant', value: 'lots' }, owner.headers))
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('Enter an amount in pounds')
    const ok = await call('/treatments', form({ name: 'Implant', value: '£2,450' }, owner.headers))
    expect(ok.status).toBe(303)
    const html = await (await call('/treatments', { headers: owner.headers })).text()
    expect(html).toContain('£2,450.00')
  })
})

describe('appointments', () => {
  it('explains a recovered appointment in words and hides other clinics’ appointments', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const callerHash = 'abcdef0123456789'.repeat(4)
    const callId = newId('call')
    const t = Date.now() - 2 * 86_400_000
    await db.insert(calls).values({
      id: callId,
      clinicId: clinic.clinicId,
      callSid: `CA${callId}`,
      direction: 'inbound',
      callerHash,
      callerKind: 'mobile',
      startedAt: t,
      status: 'missed',
      calledBackAt: t + 600_000,
    })
    const appointmentId = newId('apt')
    await db.insert(appointments).values({
      id: appointmentId,
      clinicId: clinic.clinicId,
      callerHash,
      createdAt: t + 3_600_000,
      receivedAt: t + 3_600_000,
      attributionStatus: 'recovered',
      attributedCallId: callId,
      attributionPath: 'callback',
      ruleVersion: 1,
      valuePence: 45000,
    })
    const res = await call(`/appointments/${appointmentId}`, { headers: owner.headers })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('Recovered.')
    expect(html).toContain('Caller abcdef')
    expect(html).toContain('attribution rules version 1')
    expect(html).toContain('Path: callback')
    expect(html).toContain('£450.00')

    const other = await (await createTestClinic()).as('owner')
    const hidden = await call(`/appointments/${appointmentId}`, { headers: other.headers })
    expect(hidden.status).toBe(404)
    const stillThere = await db
      .select({ id: appointments.id })
      .from(appointments)
      .where(and(eq(appointments.id, appointmentId), eq(appointments.clinicId, clinic.clinicId)))
    expect(stillThere).toHaveLength(1)
  })

  it('lists a missed caller with no callback in "To call back", by hash label only', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const callId = newId('call')
    await db.insert(calls).values({
      id: callId,
      clinicId: clinic.clinicId,
      callSid: `CA${callId}`,
      direction: 'inbound',
      callerHash: '9f8e7d6c5b4a'.padEnd(64, '0'),
      callerKind: 'mobile',
      startedAt: Date.now() - 3_600_000,
      status: 'missed',
    })
    const html = await (await call('/', { headers: owner.headers })).text()
    expect(html).toContain('Caller 9f8e7d')
    expect(html).not.toMatch(/\+44\d{9,}/)
  })
})

describe('settings: ad destinations', () => {
  it('saves the Google Ads and Meta ids (dashes dropped), refuses a malformed one, clears when empty', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const ads = {
      googleAdsCustomerId: '123-456-7890',
      googleConversionAction: '987654',
      metaPixelId: '11223344',
    }
    const saved = await call('/settings', form({ ...validSettings, ...ads }, owner.headers))
    expect(saved.status).toBe(303)
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row).toMatchObject({
      googleAdsCustomerId: '1234567890',
      googleConversionAction: '987654',
      metaPixelId: '11223344',
    })
    const refused = await call(
      '/settings',
      form({ ...validSettings, ...ads, googleAdsCustomerId: '12' }, owner.headers),
    )
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('Ten digits, as Google Ads shows it')
    await call(
      '/settings',
      form(
        { ...validSettings, googleAdsCustomerId: '', googleConversionAction: '', metaPixelId: '' },
        owner.headers,
      ),
    )
    const [cleared] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(cleared?.metaPixelId).toBeNull()
  })
})
