/**
 * Conversions: a booked lead who came from an ad (a click id on the lead) and chose "ads" consent
 * is reported to the platform — Google's Data Manager API for gclid/gbraid/wbraid, Meta's
 * Conversions API for fbclid — through the queue (`conversion-upload`). The person's email and
 * phone are normalised the way each platform requires and hashed (SHA-256) at send time, from the
 * lead's sealed copies: no identifier or hash is stored. The conversion's id is the event id both
 * platforms de-duplicate on, so a resend is harmless. Meta refuses events older than 7 days: such
 * bookings are recorded as `not-sendable`. Without credentials (sandbox) nothing leaves and the
 * upload says `sandboxed`, never `sent`.
 */
import { and, desc, eq } from 'drizzle-orm'
import { findClinic } from '../clinic/find'
import { createDb, type Db } from '../db/client'
import { findClinicRow, olderThan, ownedBy } from '../db/clinic-row'
import { conversions, leads } from '../db/schema'
import type { Bindings, Config } from '../env'
import { type JobHandler, PermanentJobError, RetryLaterError } from '../jobs/consumer'
import { type JobDeps, withJobIo } from '../jobs/deps'
import { type ConversionUploadJob, jobQueue } from '../jobs/messages'
import { decodeCursor, paginate } from '../lib/pagination'
import { toIso, toIsoOrNull } from '../lib/time'
import { clinicKeyring, sha256Hex } from '../privacy/crypto'
import { type Attribution, clickIdOf } from './attribution'
import type { ConsentRecord } from './consent'

/** Meta's Conversions API takes events up to 7 days old. */
export const META_MAX_EVENT_AGE_MS = 7 * 24 * 3_600_000
const META_API_VERSION = 'v21.0'

// --- Identifiers, as each platform wants them (pure; property-tested) -------------------------

/** An email as Google and Meta hash it: trimmed, lower case; Google also drops dots in Gmail names. */
export function normaliseEmailFor(platform: 'google' | 'meta', email: string): string {
  const e = email.trim().toLowerCase()
  if (platform !== 'google') return e
  const at = e.lastIndexOf('@')
  const [local, domain] = [e.slice(0, at), e.slice(at + 1)]
  return domain === 'gmail.com' || domain === 'googlemail.com'
    ? `${local.replace(/\./g, '')}@${domain}`
    : e
}

/** An E.164 number as hashed: Google keeps the `+` (E.164), Meta wants digits only. */
export function normalisePhoneFor(platform: 'google' | 'meta', e164: string): string {
  const digits = e164.replace(/\D/g, '')
  return platform === 'google' ? `+${digits}` : digits
}

async function hashedIds(platform: 'google' | 'meta', email: string | null, phone: string | null) {
  return {
    email: email ? await sha256Hex(normaliseEmailFor(platform, email)) : null,
    phone: phone ? await sha256Hex(normalisePhoneFor(platform, phone)) : null,
  }
}

// --- Queueing ---------------------------------------------------------------------------------

/** The event id both platforms de-duplicate on: stable per clinic, booking and platform. */
async function eventId(clinicId: string, appointmentId: string, platform: string) {
  return `cv_${(await sha256Hex(`${clinicId}:${appointmentId}:${platform}`)).slice(0, 32)}`
}

/**
 * After a booking for a lead's phone: records the conversion (once per booking and platform) and
 * queues its upload, when the lead has an ad click id and ads consent. Returns the conversion id
 * queued, or null when there is nothing to report.
 */
export async function queueConversion(
  env: Bindings,
  db: Db,
  input: {
    clinicId: string
    phoneHash: string
    appointmentId: string
    at: number
    valuePence: number
  },
  now: number,
): Promise<string | null> {
  const [lead] = await db
    .select({ id: leads.id, attribution: leads.attribution, consent: leads.consent })
    .from(leads)
    .where(ownedBy(leads, input.clinicId, eq(leads.phoneHash, input.phoneHash)))
    .limit(1)
  if (!lead) return null
  const consent = lead.consent ? (JSON.parse(lead.consent) as ConsentRecord) : null
  const click = clickIdOf(lead.attribution ? (JSON.parse(lead.attribution) as Attribution) : null)
  if (!click || !consent?.ads.given) return null
  const tooOld = click.platform === 'meta' && now - input.at > META_MAX_EVENT_AGE_MS
  const id = await eventId(input.clinicId, input.appointmentId, click.platform)
  const inserted = await db
    .insert(conversions)
    .values({
      id,
      clinicId: input.clinicId,
      leadId: lead.id,
      appointmentId: input.appointmentId,
      platform: click.platform,
      status: tooOld ? 'not-sendable' : 'queued',
      reason: tooOld ? 'older-than-7-days' : null,
      valuePence: input.valuePence,
      eventAt: input.at,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: conversions.id })
  if (tooOld) return null
  // A repeat of the same booking re-queues only an upload still waiting (the job is idempotent).
  if (inserted.length === 0) {
    const existing = await findClinicRow(db, conversions, input.clinicId, id)
    if (existing?.status !== 'queued') return null
  }
  await jobQueue(env).send({
    type: 'conversion-upload',
    clinicId: input.clinicId,
    conversionId: id,
  })
  return id
}

// --- Sending ----------------------------------------------------------------------------------

export type ConversionDeps = JobDeps
export type UploadOutcome = 'sent' | 'sandboxed' | 'already-done' | 'gone' | 'not-sendable'

type Upload = {
  id: string
  value: number
  eventAt: number
  click: NonNullable<ReturnType<typeof clickIdOf>>
  attribution: Attribution
  ids: { email: string | null; phone: string | null }
}

/** Maps a platform's answer: 2xx sent; 429/5xx retried through the queue; other 4xx failed for good. */
function outcomeOf(res: Response, platform: string): 'ok' {
  if (res.ok) return 'ok'
  if (res.status === 429 || res.status >= 500) {
    const after = Number(res.headers.get('retry-after'))
    throw new RetryLaterError(
      `${platform} answered ${res.status}`,
      Number.isFinite(after) && after > 0 ? after : 60,
    )
  }
  throw new PermanentJobError(`${platform} refused the event (${res.status})`)
}

async function sendToMeta(config: Config, pixelId: string, u: Upload, f: typeof fetch) {
  const token = config.meta.accessToken
  if (!token) return 'sandboxed' as const
  const url = `${config.meta.capiBaseUrl}/${META_API_VERSION}/${encodeURIComponent(pixelId)}/events`
  const body = {
    access_token: token,
    data: [
      {
        event_name: 'Schedule',
        event_time: Math.floor(u.eventAt / 1000),
        event_id: u.id,
        action_source: 'system_generated',
        user_data: {
          ...(u.ids.email ? { em: [u.ids.email] } : {}),
          ...(u.ids.phone ? { ph: [u.ids.phone] } : {}),
          fbc: `fb.1.${u.eventAt}.${u.attribution.fbclid}`,
        },
        custom_data: { currency: 'GBP', value: u.value / 100 },
      },
    ],
  }
  outcomeOf(
    await f(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
    'Meta',
  )
  return 'sent' as const
}

type ServiceAccount = { client_email: string; private_key: string; token_uri: string }

const b64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

/** An OAuth access token for the service account (JWT bearer grant at its `token_uri`). */
async function googleToken(account: ServiceAccount, f: typeof fetch, now: number): Promise<string> {
  const pem = account.private_key.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
  const der = Uint8Array.from(atob(pem), (ch) => ch.charCodeAt(0))
  const key = await crypto.subtle.importKey(
    'pkcs8',
    der,
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const iat = Math.floor(now / 1000)
  const enc = (o: object) => b64url(new TextEncoder().encode(JSON.stringify(o)))
  const unsigned = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({
    iss: account.client_email,
    scope: 'https://www.googleapis.com/auth/datamanager',
    aud: account.token_uri,
    iat,
    exp: iat + 3600,
  })}`
  const signature = await crypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    key,
    new TextEncoder().encode(unsigned),
  )
  const res = await f(account.token_uri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: `${unsigned}.${b64url(signature)}`,
    }),
  })
  outcomeOf(res, 'Google OAuth')
  const { access_token } = (await res.json()) as { access_token?: string }
  if (!access_token) throw new PermanentJobError('Google OAuth answered without a token')
  return access_token
}

async function sendToGoogle(
  config: Config,
  destination: { customerId: string; conversionAction: string },
  u: Upload,
  f: typeof fetch,
  now: number,
) {
  if (!config.google.credentials) return 'sandboxed' as const
  let account: ServiceAccount
  try {
    account = JSON.parse(config.google.credentials) as ServiceAccount
  } catch {
    throw new PermanentJobError('GOOGLE_ADS_CREDENTIALS is not a service account JSON')
  }
  const token = await googleToken(account, f, now)
  const userIdentifiers = [
    ...(u.ids.email ? [{ emailAddress: u.ids.email }] : []),
    ...(u.ids.phone ? [{ phoneNumber: u.ids.phone }] : []),
  ]
  const body = {
    destinations: [
      {
        operatingAccount: { accountType: 'GOOGLE_ADS', accountId: destination.customerId },
        productDestinationId: destination.conversionAction,
      },
    ],
    encoding: 'HEX',
    events: [
      {
        adIdentifiers: { [u.click.kind]: u.attribution[u.click.kind] },
        transactionId: u.id,
        eventTimestamp: new Date(u.eventAt).toISOString(),
        conversionValue: u.value / 100,
        currency: 'GBP',
        ...(userIdentifiers.length ? { userData: { userIdentifiers } } : {}),
      },
    ],
  }
  const res = await f(`${config.google.dataManagerBaseUrl}/v1/events:ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  outcomeOf(res, 'Google')
  return 'sent' as const
}

/** Uploads one queued conversion. Throws RetryLaterError / PermanentJobError for the consumer. */
export const uploadConversion = withJobIo<ConversionUploadJob, UploadOutcome, ConversionDeps>(
  async (job, ctx) => {
    const { db, config, now, deps } = ctx
    const row = await findClinicRow(db, conversions, job.clinicId, job.conversionId)
    if (!row) return 'gone'
    if (row.status !== 'queued') return 'already-done'
    const [lead, clinic] = await Promise.all([
      findClinicRow(db, leads, job.clinicId, row.leadId),
      findClinic(db, job.clinicId),
    ])
    const attribution = lead?.attribution ? (JSON.parse(lead.attribution) as Attribution) : null
    const click = clickIdOf(attribution)
    const consent = lead?.consent ? (JSON.parse(lead.consent) as ConsentRecord) : null
    // Erased, or consent withdrawn since: nothing is sent.
    if (!lead || !clinic || !click || !attribution || !consent?.ads.given) {
      await settle(db, row.id, job.clinicId, 'not-sendable', 'no-consent-or-click', null)
      return 'not-sendable'
    }
    const keyring = await clinicKeyring(db, config, job.clinicId)
    const open = (s: string | null) => (s ? keyring.open(s).catch(() => null) : null)
    const u: Upload = {
      id: row.id,
      value: row.valuePence,
      eventAt: row.eventAt,
      click,
      attribution,
      ids: await hashedIds(
        click.platform,
        await open(lead.emailSealed),
        await open(lead.phoneSealed),
      ),
    }
    const f = deps.fetch ?? fetch
    // Sandbox (no credentials for the platform): nothing leaves, and it never counts as sent.
    const credentials =
      click.platform === 'meta' ? config.meta.accessToken : config.google.credentials
    if (!credentials) {
      await settle(db, row.id, job.clinicId, 'sandboxed', null, null)
      return 'sandboxed'
    }
    let result: 'sent' | 'sandboxed'
    if (click.platform === 'meta') {
      const pixel = clinic.metaPixelId ?? config.meta.pixelId
      if (!pixel) {
        await settle(db, row.id, job.clinicId, 'not-sendable', 'no-destination', null)
        return 'not-sendable'
      }
      result = await sendToMeta(config, pixel, u, f)
    } else {
      if (!clinic.googleAdsCustomerId || !clinic.googleConversionAction) {
        await settle(db, row.id, job.clinicId, 'not-sendable', 'no-destination', null)
        return 'not-sendable'
      }
      const destination = {
        customerId: clinic.googleAdsCustomerId,
        conversionAction: clinic.googleConversionAction,
      }
      result = await sendToGoogle(config, destination, u, f, now())
    }
    await settle(db, row.id, job.clinicId, result, null, result === 'sent' ? now() : null)
    return result
  },
)

async function settle(
  db: Db,
  id: string,
  clinicId: string,
  status: 'sent' | 'sandboxed' | 'not-sendable' | 'failed',
  reason: string | null,
  sentAt: number | null,
) {
  await db
    .update(conversions)
    .set({ status, reason, sentAt })
    .where(
      and(ownedBy(conversions, clinicId, eq(conversions.id, id)), eq(conversions.status, 'queued')),
    )
}

/** The queue handler: a dead letter (retries spent, or refused for good) is recorded as failed. */
export function createConversionUploadHandler(
  deps: ConversionDeps = {},
): JobHandler<ConversionUploadJob> {
  return {
    run: (job: ConversionUploadJob, env: Bindings) => uploadConversion(job, env, deps),
    deadLetter: (job: ConversionUploadJob, env: Bindings) =>
      settle(createDb(env.DB), job.conversionId, job.clinicId, 'failed', 'gave-up', null),
  }
}

// --- Reading ----------------------------------------------------------------------------------

export type ConversionView = {
  id: string
  leadId: string
  appointmentId: string
  platform: 'google' | 'meta'
  status: (typeof conversions.$inferSelect)['status']
  reason: string | null
  sentAt: string | null
  createdAt: string
}

/** A page of the clinic's conversion uploads, newest first (keyset on the time recorded). */
export async function listConversions(
  db: Db,
  clinicId: string,
  page: { limit: number; cursor?: string | null | undefined },
): Promise<{ items: ConversionView[]; nextCursor: string | null }> {
  const after = decodeCursor(page.cursor ?? undefined)
  const rows = await db
    .select()
    .from(conversions)
    .where(ownedBy(conversions, clinicId, olderThan(conversions.createdAt, conversions.id, after)))
    .orderBy(desc(conversions.createdAt), desc(conversions.id))
    .limit(page.limit + 1)
  const { items, nextCursor } = paginate(rows, page.limit, (r) => ({ t: r.createdAt, id: r.id }))
  return {
    nextCursor,
    items: items.map((r) => ({
      id: r.id,
      leadId: r.leadId,
      appointmentId: r.appointmentId,
      platform: r.platform,
      status: r.status,
      reason: r.reason,
      sentAt: toIsoOrNull(r.sentAt),
      createdAt: toIso(r.createdAt),
    })),
  }
}
