/**
 * Conversions (CONTRACT "Forms, enquiries and leads", Conversions): a booked lead from an ad with
 * ads consent is uploaded to Google (gclid) or Meta (fbclid) — identifiers normalised and hashed
 * at send time, never stored; Meta's 7-day limit; an event id that makes resending harmless;
 * sandbox never counts as sent; failures retried or given up as the platform answers.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { clinics, conversions, leads } from '../src/db/schema'
import { type Config, getConfig } from '../src/env'
import { PermanentJobError, RetryLaterError } from '../src/jobs/consumer'
import type { ConversionUploadJob } from '../src/jobs/messages'
import {
  META_MAX_EVENT_AGE_MS,
  normaliseEmailFor,
  normalisePhoneFor,
  queueConversion,
  uploadConversion,
} from '../src/leads/conversions'
import { contactHash, sha256Hex } from '../src/privacy/crypto'
import { api, call, createTestClinic, type TestClinic } from './helpers/clinic'
import { newForm, submit } from './helpers/leads'
import { captureQueue } from './helpers/queue'

const db = createDb(env.DB)
const PHONE = '+447700900888'
const EMAIL = 'Jo.Bloggs@Gmail.com'

async function leadFromAd(clinic: TestClinic, attribution: object, ads = true) {
  const form = await newForm(clinic)
  const res = await submit(form.id, {
    name: 'Jo Bloggs',
    email: EMAIL,
    phone: PHONE,
    consent: { marketing: false, ads },
    attribution,
  })
  expect(res.status).toBe(201)
  return ((await res.json()) as { leadId: string }).leadId
}

/** A recorded fetch answering each URL as `answer` says. */
function fakePlatforms(answer: (url: string) => Response = () => Response.json({ ok: true })) {
  const requests: { url: string; body: string; headers: Headers }[] = []
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    const body =
      init?.body instanceof URLSearchParams ? init.body.toString() : String(init?.body ?? '')
    requests.push({ url, body, headers: new Headers(init?.headers) })
    return answer(url)
  }) as typeof fetch
  return { fetchImpl, requests }
}

async function queued(clinic: TestClinic, at = Date.now()) {
  const captured = captureQueue()
  const phoneHash = await contactHash(getConfig(env), clinic.clinicId, PHONE)
  const id = await queueConversion(
    captured.env,
    db,
    {
      clinicId: clinic.clinicId,
      phoneHash,
      appointmentId: `apt_${crypto.randomUUID()}`,
      at,
      valuePence: 45_000,
    },
    Date.now(),
  )
  return { id, jobs: captured.sent as ConversionUploadJob[] }
}

const metaConfig = (): Config => ({
  ...getConfig(env),
  meta: { capiBaseUrl: 'https://meta.test', pixelId: '1234567890', accessToken: 'meta-token' },
})

describe('conversion uploads', () => {
  it('Meta: a booked lead from an fbclid with ads consent is sent once, identifiers hashed as Meta wants', async () => {
    const clinic = await createTestClinic()
    const leadId = await leadFromAd(clinic, { utmSource: 'facebook', fbclid: 'IwAR-test' })
    const { id, jobs } = await queued(clinic)
    expect(id).toMatch(/^cv_/)
    expect(jobs).toEqual([
      { type: 'conversion-upload', clinicId: clinic.clinicId, conversionId: id },
    ])
    const meta = fakePlatforms()
    const outcome = await uploadConversion(jobs[0]!, env, {
      fetch: meta.fetchImpl,
      config: metaConfig(),
    })
    expect(outcome).toBe('sent')
    expect(meta.requests).toHaveLength(1)
    expect(meta.requests[0]!.url).toBe('https://meta.test/v21.0/1234567890/events')
    const body = JSON.parse(meta.requests[0]!.body)
    const event = body.data[0]
    expect(event.event_id).toBe(id)
    expect(event.user_data.em).toEqual([await sha256Hex('jo.bloggs@gmail.com')])
    expect(event.user_data.ph).toEqual([await sha256Hex('447700900888')])
    expect(event.user_data.fbc).toMatch(/^fb\.1\.\d+\.IwAR-test$/)
    expect(event.custom_data).toEqual({ currency: 'GBP', value: 450 })
    // Nothing in clear went out, and nothing identifying was stored.
    expect(meta.requests[0]!.body).not.toContain('Bloggs')
    expect(meta.requests[0]!.body).not.toContain('900888"')
    const [row] = await db.select().from(conversions).where(eq(conversions.id, id!))
    expect(row).toMatchObject({ status: 'sent', leadId, platform: 'meta' })
    expect(JSON.stringify(row)).not.toMatch(/bloggs|900888/i)
    // A redelivered job changes nothing: it is already done.
    expect(
      await uploadConversion(jobs[0]!, env, { fetch: meta.fetchImpl, config: metaConfig() }),
    ).toBe('already-done')
    expect(meta.requests).toHaveLength(1)
  })

  it('Meta: a booking more than 7 days after is recorded as not sendable and never queued', async () => {
    const clinic = await createTestClinic()
    await leadFromAd(clinic, { fbclid: 'IwAR-old' })
    const { id, jobs } = await queued(clinic, Date.now() - META_MAX_EVENT_AGE_MS - 60_000)
    expect(id).toBeNull()
    expect(jobs).toEqual([])
    const [row] = await db
      .select()
      .from(conversions)
      .where(eq(conversions.clinicId, clinic.clinicId))
    expect(row).toMatchObject({ status: 'not-sendable', reason: 'older-than-7-days' })
  })

  it('nothing is reported without ads consent or without a click id', async () => {
    const noConsent = await createTestClinic()
    await leadFromAd(noConsent, { gclid: 'G-1' }, false)
    expect((await queued(noConsent)).id).toBeNull()
    const organic = await createTestClinic()
    await leadFromAd(organic, { utmSource: 'newsletter' })
    expect((await queued(organic)).id).toBeNull()
    for (const c of [noConsent, organic]) {
      expect(
        await db.select().from(conversions).where(eq(conversions.clinicId, c.clinicId)),
      ).toEqual([])
    }
  })

  it('Google: OAuth with the service account, then the event with the gclid and hashed identifiers', async () => {
    const clinic = await createTestClinic()
    await db
      .update(clinics)
      .set({ googleAdsCustomerId: '1234567890', googleConversionAction: '987654' })
      .where(eq(clinics.id, clinic.clinicId))
    await leadFromAd(clinic, { utmSource: 'google', gclid: 'Cj0-test-gclid' })
    const { id, jobs } = await queued(clinic)
    const keys = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const pkcs8 = new Uint8Array(
      (await crypto.subtle.exportKey('pkcs8', keys.privateKey)) as ArrayBuffer,
    )
    const pem = `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...pkcs8))}\n-----END PRIVATE KEY-----\n`
    const credentials = JSON.stringify({
      client_email: 'svc@test.iam',
      private_key: pem,
      token_uri: 'https://oauth.test/token',
    })
    const config: Config = {
      ...getConfig(env),
      google: { dataManagerBaseUrl: 'https://dm.test', credentials },
    }
    const google = fakePlatforms((url) =>
      url === 'https://oauth.test/token'
        ? Response.json({ access_token: 'ya29.test' })
        : Response.json({ requestId: 'r1' }),
    )
    expect(await uploadConversion(jobs[0]!, env, { fetch: google.fetchImpl, config })).toBe('sent')
    const [token, ingest] = google.requests
    expect(token!.url).toBe('https://oauth.test/token')
    const assertion = new URLSearchParams(token!.body).get('assertion')!
    const [header, claims, signature] = assertion.split('.')
    const decode = (s: string) =>
      Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
    expect(
      await crypto.subtle.verify(
        'RSASSA-PKCS1-v1_5',
        keys.publicKey,
        decode(signature!),
        new TextEncoder().encode(`${header}.${claims}`),
      ),
    ).toBe(true)
    expect(JSON.parse(new TextDecoder().decode(decode(claims!)))).toMatchObject({
      iss: 'svc@test.iam',
      aud: 'https://oauth.test/token',
    })
    expect(ingest!.url).toBe('https://dm.test/v1/events:ingest')
    expect(ingest!.headers.get('authorization')).toBe('Bearer ya29.test')
    const body = JSON.parse(ingest!.body)
    expect(body.destinations[0]).toEqual({
      operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' },
      productDestinationId: '987654',
    })
    const event = body.events[0]
    expect(event).toMatchObject({
      adIdentifiers: { gclid: 'Cj0-test-gclid' },
      transactionId: id,
      conversionValue: 450,
      currency: 'GBP',
    })
    expect(event.userData.userIdentifiers).toEqual([
      { emailAddress: await sha256Hex('jobloggs@gmail.com') },
      { phoneNumber: await sha256Hex('+447700900888') },
    ])
  })

  it('sandbox sends nothing and never counts as sent; a platform’s 429 retries, its 400 gives up', async () => {
    const clinic = await createTestClinic()
    await leadFromAd(clinic, { fbclid: 'IwAR-x' })
    const { jobs } = await queued(clinic)
    const none = fakePlatforms()
    expect(await uploadConversion(jobs[0]!, env, { fetch: none.fetchImpl })).toBe('sandboxed')
    expect(none.requests).toEqual([])

    const busy = await createTestClinic()
    await leadFromAd(busy, { fbclid: 'IwAR-y' })
    const retry = await queued(busy)
    const limited = fakePlatforms(
      () => new Response('slow down', { status: 429, headers: { 'retry-after': '30' } }),
    )
    const err = await uploadConversion(retry.jobs[0]!, env, {
      fetch: limited.fetchImpl,
      config: metaConfig(),
    }).catch((e) => e)
    expect(err).toBeInstanceOf(RetryLaterError)
    expect((err as RetryLaterError).delaySeconds).toBe(30)
    const refused = fakePlatforms(() => new Response('bad', { status: 400 }))
    await expect(
      uploadConversion(retry.jobs[0]!, env, { fetch: refused.fetchImpl, config: metaConfig() }),
    ).rejects.toBeInstanceOf(PermanentJobError)
    const [row] = await db.select().from(conversions).where(eq(conversions.clinicId, busy.clinicId))
    expect(row?.status).toBe('queued')
  })

  it('a booking through the API records the conversion; the page and the list show it', async () => {
    const clinic = await createTestClinic()
    const leadId = await leadFromAd(clinic, { gclid: 'G-api' })
    const staff = await clinic.as('receptionist')
    const booked = await api(
      'POST',
      '/api/v1/appointments',
      { phone: PHONE, createdAt: new Date().toISOString() },
      staff.headers,
    )
    expect(booked.status).toBe(201)
    const list = (await (
      await api('GET', '/api/v1/conversions', undefined, staff.headers)
    ).json()) as {
      items: { leadId: string; platform: string }[]
    }
    expect(list.items).toMatchObject([{ leadId, platform: 'google' }])
    const page = await (await call('/conversions', { headers: staff.headers })).text()
    expect(page).toContain('Google Ads')
    const [lead] = await db.select().from(leads).where(eq(leads.id, leadId))
    expect(lead?.status).toBe('booked')
  })
})

describe('bookings imported by CSV', () => {
  it('book their people’s leads and report the ad conversion, once however often re-imported', async () => {
    const clinic = await createTestClinic()
    const leadId = await leadFromAd(clinic, { fbclid: 'FB-csv' })
    const admin = await clinic.as('admin')
    const when = new Date(Date.now() - 3_600_000).toISOString()
    const csv = `phone,created,value\n${PHONE},${when},450.00\n07700900999,${when},\n`
    for (let i = 0; i < 2; i++) {
      const res = await call('/api/v1/appointments/import', {
        method: 'POST',
        headers: { ...admin.headers, 'content-type': 'text/csv' },
        body: csv,
      })
      expect(res.status).toBe(200)
    }
    const [lead] = await db.select().from(leads).where(eq(leads.id, leadId))
    expect(lead).toMatchObject({ status: 'booked' })
    expect(lead?.appointmentId).toMatch(/^apt_/)
    const rows = await db.select().from(conversions).where(eq(conversions.leadId, leadId))
    expect(rows.map((r) => [r.platform, r.appointmentId])).toEqual([['meta', lead!.appointmentId]])
  })
})

describe('identifier normalisation (every input)', () => {
  it('is idempotent, trims and lower-cases emails; Google drops dots from Gmail names only', () => {
    fc.assert(
      fc.property(
        fc.emailAddress(),
        fc.constantFrom('google', 'meta') as fc.Arbitrary<'google' | 'meta'>,
        (email, platform) => {
          const once = normaliseEmailFor(platform, `  ${email.toUpperCase()} `)
          expect(normaliseEmailFor(platform, once)).toBe(once)
          expect(once).toBe(once.trim().toLowerCase())
          const [local, domain] = [
            once.slice(0, once.lastIndexOf('@')),
            once.slice(once.lastIndexOf('@') + 1),
          ]
          if (platform === 'google' && (domain === 'gmail.com' || domain === 'googlemail.com')) {
            expect(local).not.toContain('.')
          } else {
            expect(once).toBe(email.toLowerCase())
          }
        },
      ),
    )
  })

  it('phones: Google keeps E.164 with +, Meta digits only; both idempotent', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+[1-9]\d{7,14}$/), (e164) => {
        expect(normalisePhoneFor('google', e164)).toBe(e164)
        expect(normalisePhoneFor('meta', e164)).toBe(e164.slice(1))
        expect(normalisePhoneFor('meta', normalisePhoneFor('meta', e164))).toBe(e164.slice(1))
        expect(normalisePhoneFor('google', normalisePhoneFor('google', e164))).toBe(e164)
      }),
    )
  })
})
