import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { clinics, trackingNumbers } from '../src/db/schema'
import { api, call, createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)

async function auditEntries(clinicId: string) {
  return env.CLINIC.getByName(clinicId).listAudit(500, null)
}

describe('clinic settings', () => {
  it('GET /clinic answers every setting with the contract defaults', async () => {
    const clinic = await createTestClinic()
    const analyst = await clinic.as('analyst')
    const res = await api('GET', '/api/v1/clinic', undefined, analyst.headers)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      id: clinic.clinicId,
      name: expect.any(String),
      timezone: 'Europe/London',
      country: 'GB',
      attributionWindowDays: 14,
      defaultAppointmentValuePence: 15000,
      textBack: { enabled: true, template: expect.stringContaining('{clinic}') },
      holdOutPercent: 0,
      callScreening: false,
      ringTimeoutSeconds: 20,
      retention: { callDays: 90, recordingDays: 365, enquiryDays: 730 },
      address: null,
      openingHours: null,
      bookingUrl: null,
      adDestinations: {
        googleAdsCustomerId: null,
        googleConversionAction: null,
        metaPixelId: null,
      },
      reminders: {
        enabled: false,
        offsetsMinutes: [10080, 2880, 120],
        template: expect.stringContaining('{time}'),
      },
      followUps: {
        noReplyHours: 4,
        template: expect.stringContaining('{clinic}'),
        enquiryHours: 48,
        maxPerWeek: 2,
      },
      quietHours: { start: '20:00', end: '08:00' },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      updatedAt: null,
    })
  })

  it('an owner changes settings: 200 with the new values, stored, and audited without values', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api(
      'PATCH',
      '/api/v1/clinic',
      {
        name: 'Bright Smiles',
        timezone: 'America/New_York',
        attributionWindowDays: 21,
        defaultAppointmentValuePence: 9900,
        textBack: {
          enabled: false,
          template: 'Sorry we missed you at {clinic}. Reply STOP to opt out.',
        },
        holdOutPercent: 10,
        callScreening: true,
        ringTimeoutSeconds: 30,
        retention: { callDays: 30, recordingDays: 90, enquiryDays: 365 },
      },
      owner.headers,
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      name: 'Bright Smiles',
      timezone: 'America/New_York',
      attributionWindowDays: 21,
      defaultAppointmentValuePence: 9900,
      textBack: {
        enabled: false,
        template: 'Sorry we missed you at {clinic}. Reply STOP to opt out.',
      },
      holdOutPercent: 10,
      callScreening: true,
      ringTimeoutSeconds: 30,
      retention: { callDays: 30, recordingDays: 90, enquiryDays: 365 },
      updatedAt: expect.any(String),
    })
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row).toMatchObject({ retentionCallDays: 30, callScreening: true, holdOutPercent: 10 })
    const entry = (await auditEntries(clinic.clinicId)).find(
      (e) => e.action === 'clinic.settings.change',
    )
    expect(entry?.actor).toBe(`user:${owner.userId}`)
    expect(entry?.details).toContain('retentionCallDays')
    expect(entry?.details).not.toContain('Bright Smiles')
  })

  it('a partial patch changes only what it names; a null template restores the default', async () => {
    const clinic = await createTestClinic()
    const admin = await clinic.as('admin')
    await api(
      'PATCH',
      '/api/v1/clinic',
      { textBack: { template: 'Custom {clinic}. Reply STOP to opt out.' } },
      admin.headers,
    )
    const res = await api(
      'PATCH',
      '/api/v1/clinic',
      { textBack: { template: null } },
      admin.headers,
    )
    const body = (await res.json()) as { textBack: { enabled: boolean; template: string } }
    expect(body.textBack.enabled).toBe(true)
    expect(body.textBack.template).not.toContain('Custom')
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row?.textBackTemplate).toBeNull()
  })

  it.each([
    ['callDays above 90', { retention: { callDays: 91 } }, 'retention.callDays'],
    ['recordingDays above 365', { retention: { recordingDays: 366 } }, 'retention.recordingDays'],
    ['enquiryDays above 730', { retention: { enquiryDays: 731 } }, 'retention.enquiryDays'],
    ['hold-out above 50%', { holdOutPercent: 51 }, 'holdOutPercent'],
    ['ring timeout under 5 s', { ringTimeoutSeconds: 4 }, 'ringTimeoutSeconds'],
    ['ring timeout over 60 s', { ringTimeoutSeconds: 61 }, 'ringTimeoutSeconds'],
    ['an unknown time zone', { timezone: 'Europe/Atlantis' }, 'timezone'],
    ['a fractional value', { defaultAppointmentValuePence: 12.5 }, 'defaultAppointmentValuePence'],
    ['callScreening as a string', { callScreening: 'yes' }, 'callScreening'],
  ])('refuses %s with 400 naming the field, and changes nothing', async (_, patch, path) => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api('PATCH', '/api/v1/clinic', patch, owner.headers)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const body = (await res.json()) as { errors: { path: string }[] }
    expect(body.errors.map((e) => e.path)).toContain(path)
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row?.updatedAt).toBeNull()
  })

  it('receptionists and analysts cannot change settings (403)', async () => {
    const clinic = await createTestClinic()
    for (const role of ['receptionist', 'analyst'] as const) {
      const member = await clinic.as(role)
      const res = await api('PATCH', '/api/v1/clinic', { holdOutPercent: 5 }, member.headers)
      expect(res.status).toBe(403)
    }
  })

  it('answers without a session 401, and a non-JSON body 415', async () => {
    expect((await call('/api/v1/clinic')).status).toBe(401)
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await call('/api/v1/clinic', {
      method: 'PATCH',
      headers: { ...owner.headers, 'content-type': 'text/plain' },
      body: 'holdOutPercent=5',
    })
    expect(res.status).toBe(415)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })

  it('an API key with clinic:read reads the settings with no Origin header, but never changes them', async () => {
    const clinic = await createTestClinic()
    const key = await clinic.apiKey('clinic:read')
    const headers = { authorization: `Bearer ${key}` }
    expect((await api('GET', '/api/v1/clinic', undefined, headers)).status).toBe(200)
    const res = await api('PATCH', '/api/v1/clinic', { holdOutPercent: 5 }, headers)
    expect(res.status).toBe(403)
    const entry = (await auditEntries(clinic.clinicId)).at(-1)
    expect(entry?.action ?? '').not.toBe('clinic.settings.change')
  })
})

describe('tracking numbers', () => {
  it('adds a number in UK national form, normalised to E.164, and lists it', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/numbers',
      { phoneNumber: '0113 496 0123', forwardTo: '+44 (0)113 496 0124', label: 'Reception' },
      owner.headers,
    )
    expect(res.status).toBe(201)
    const number = await res.json()
    expect(number).toEqual({
      id: expect.stringMatching(/^num_/),
      phoneNumber: '+441134960123',
      forwardTo: '+441134960124',
      label: 'Reception',
      createdAt: expect.any(String),
    })
    const list = await api('GET', '/api/v1/numbers', undefined, owner.headers)
    const body = (await list.json()) as { items: { phoneNumber: string }[]; nextCursor: null }
    expect(body.items.map((n) => n.phoneNumber)).toEqual([clinic.trackingNumber, '+441134960123'])
    expect(body.nextCursor).toBeNull()
    expect((await auditEntries(clinic.clinicId)).map((e) => e.action)).toContain('number.add')
  })

  it('answers 409 when the number already belongs to any clinic', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/numbers',
      { phoneNumber: other.trackingNumber, forwardTo: '+441134960555' },
      owner.headers,
    )
    expect(res.status).toBe(409)
    const mine = await api(
      'POST',
      '/api/v1/numbers',
      { phoneNumber: clinic.trackingNumber, forwardTo: '+441134960555' },
      owner.headers,
    )
    expect(mine.status).toBe(409)
  })

  it('refuses something that is not a phone number, and a number forwarding to itself', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const bad = await api(
      'POST',
      '/api/v1/numbers',
      { phoneNumber: 'call me maybe', forwardTo: '+441134960555' },
      owner.headers,
    )
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe(
      'phoneNumber',
    )
    const loop = await api(
      'POST',
      '/api/v1/numbers',
      { phoneNumber: '+441134960777', forwardTo: '01134960777' },
      owner.headers,
    )
    expect(loop.status).toBe(400)
  })

  it('changes the forwarding line and removes the number; another clinic’s number answers 404', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const owner = await clinic.as('owner')
    const [theirs] = await db
      .select()
      .from(trackingNumbers)
      .where(eq(trackingNumbers.clinicId, other.clinicId))
    const [mine] = await db
      .select()
      .from(trackingNumbers)
      .where(eq(trackingNumbers.clinicId, clinic.clinicId))
    expect(
      (await api('PATCH', `/api/v1/numbers/${theirs!.id}`, { label: 'x' }, owner.headers)).status,
    ).toBe(404)
    expect(
      (await api('DELETE', `/api/v1/numbers/${theirs!.id}`, undefined, owner.headers)).status,
    ).toBe(404)
    const patched = await api(
      'PATCH',
      `/api/v1/numbers/${mine!.id}`,
      { forwardTo: '0113 496 0888' },
      owner.headers,
    )
    expect(patched.status).toBe(200)
    expect(((await patched.json()) as { forwardTo: string }).forwardTo).toBe('+441134960888')
    const removed = await api('DELETE', `/api/v1/numbers/${mine!.id}`, undefined, owner.headers)
    expect(removed.status).toBe(204)
    expect(
      (await api('DELETE', `/api/v1/numbers/${mine!.id}`, undefined, owner.headers)).status,
    ).toBe(404)
    const still = await db.select().from(trackingNumbers).where(eq(trackingNumbers.id, theirs!.id))
    expect(still).toHaveLength(1)
    expect((await auditEntries(clinic.clinicId)).map((e) => e.action)).toContain('number.remove')
  })

  it('receptionists can list numbers but not add or remove them', async () => {
    const clinic = await createTestClinic()
    const receptionist = await clinic.as('receptionist')
    expect((await api('GET', '/api/v1/numbers', undefined, receptionist.headers)).status).toBe(200)
    const res = await api(
      'POST',
      '/api/v1/numbers',
      { phoneNumber: '+441134960321', forwardTo: '+441134960322' },
      receptionist.headers,
    )
    expect(res.status).toBe(403)
  })

  it('refuses a cookie-authenticated add without an Origin header (403)', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/numbers',
      { phoneNumber: '+441134960421', forwardTo: '+441134960422' },
      { cookie: owner.cookie },
    )
    expect(res.status).toBe(403)
  })
})

describe('treatments', () => {
  it('adds, lists, revalues and removes treatments', async () => {
    const clinic = await createTestClinic()
    const admin = await clinic.as('admin')
    const add = await api(
      'POST',
      '/api/v1/treatments',
      { name: 'Composite bonding', valuePence: 25000 },
      admin.headers,
    )
    expect(add.status).toBe(201)
    const treatment = (await add.json()) as { id: string }
    expect(treatment).toEqual({
      id: expect.stringMatching(/^trt_/),
      name: 'Composite bonding',
      valuePence: 25000,
      createdAt: expect.any(String),
    })
    await api('POST', '/api/v1/treatments', { name: 'Hygiene', valuePence: 6500 }, admin.headers)
    const list = await api('GET', '/api/v1/treatments?limit=1', undefined, admin.headers)
    const page = (await list.json()) as { items: { name: string }[]; nextCursor: string }
    expect(page.items.map((t) => t.name)).toEqual(['Composite bonding'])
    expect(page.nextCursor).toEqual(expect.any(String))

    const patched = await api(
      'PATCH',
      `/api/v1/treatments/${treatment.id}`,
      { valuePence: 27500 },
      admin.headers,
    )
    expect(((await patched.json()) as { valuePence: number }).valuePence).toBe(27500)
    expect(
      (await api('DELETE', `/api/v1/treatments/${treatment.id}`, undefined, admin.headers)).status,
    ).toBe(204)
  })

  it('refuses a negative or fractional value and an empty name', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    for (const body of [
      { name: 'X', valuePence: -1 },
      { name: 'X', valuePence: 10.5 },
      { name: '  ', valuePence: 100 },
      { name: 'X' },
    ]) {
      expect((await api('POST', '/api/v1/treatments', body, owner.headers)).status).toBe(400)
    }
  })

  it('analysts read treatments but cannot add them; other clinics’ treatments answer 404', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const analyst = await clinic.as('analyst')
    const theirOwner = await other.as('owner')
    const theirs = (await (
      await api(
        'POST',
        '/api/v1/treatments',
        { name: 'Implant', valuePence: 200000 },
        theirOwner.headers,
      )
    ).json()) as { id: string }
    expect((await api('GET', '/api/v1/treatments', undefined, analyst.headers)).status).toBe(200)
    expect(
      (await api('POST', '/api/v1/treatments', { name: 'X', valuePence: 1 }, analyst.headers))
        .status,
    ).toBe(403)
    const owner = await clinic.as('owner')
    expect(
      (await api('PATCH', `/api/v1/treatments/${theirs.id}`, { valuePence: 1 }, owner.headers))
        .status,
    ).toBe(404)
    expect(
      (await api('DELETE', `/api/v1/treatments/${theirs.id}`, undefined, owner.headers)).status,
    ).toBe(404)
    const list = (await (
      await api('GET', '/api/v1/treatments', undefined, owner.headers)
    ).json()) as {
      items: unknown[]
    }
    expect(list.items).toHaveLength(0)
  })
})

describe('ad destinations (conversion uploads)', () => {
  it('are clinic settings: digits only (dashes dropped), cleared with null, refused when not an id', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const set = await api(
      'PATCH',
      '/api/v1/clinic',
      {
        adDestinations: {
          googleAdsCustomerId: '123-456-7890',
          googleConversionAction: '987654',
          metaPixelId: '112233445566',
        },
      },
      owner.headers,
    )
    expect(set.status).toBe(200)
    expect(((await set.json()) as { adDestinations: unknown }).adDestinations).toEqual({
      googleAdsCustomerId: '1234567890',
      googleConversionAction: '987654',
      metaPixelId: '112233445566',
    })
    const bad = await api(
      'PATCH',
      '/api/v1/clinic',
      { adDestinations: { googleAdsCustomerId: 'abc' } },
      owner.headers,
    )
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await bad.json())).toContain('adDestinations.googleAdsCustomerId')
    const cleared = await api(
      'PATCH',
      '/api/v1/clinic',
      { adDestinations: { metaPixelId: null } },
      owner.headers,
    )
    expect(
      ((await cleared.json()) as { adDestinations: { metaPixelId: unknown } }).adDestinations
        .metaPixelId,
    ).toBeNull()
  })
})
