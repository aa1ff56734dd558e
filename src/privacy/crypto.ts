/**
 * The one crypto module. Everything that hashes an identifier or seals personal data uses it.
 *
 * - Caller/contact hashes: HMAC-SHA256(k_clinic, e164), with k_clinic = HKDF(PHONE_HASH_SECRET,
 *   info = clinic id). Hashes of one person never link across clinics.
 * - Staff email lookups: HMAC-SHA256 under a platform key from the same secret (info "user-email"),
 *   so login can find an account without the email being stored in clear.
 * - Sealing: AES-256-GCM under the clinic's data key (table clinic_keys), itself wrapped with
 *   AES-256-GCM by DATA_ENCRYPTION_KEY (the KEK). Ciphertext format: `rb1.<keyVersion>.<iv>.<ct>`
 *   (base64url), with the clinic id as associated data so a ciphertext cannot be moved between
 *   clinics. Deleting a clinic's key rows crypto-shreds everything sealed under them.
 */
import { and, eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { clinicKeys } from '../db/schema'
import type { Config } from '../env'
import {
  fromBase64,
  fromBase64Url,
  fromUtf8,
  timingSafeEqual,
  toBase64Url,
  toHex,
  utf8,
} from '../lib/encoding'

const HASH_SALT = utf8('ringback/v1/identifier-hash')

const hmacKeyCache = new Map<string, Promise<CryptoKey>>()

async function deriveHmacKey(secret: string, info: string): Promise<CryptoKey> {
  const cacheKey = `${info}\u0000${secret}`
  let key = hmacKeyCache.get(cacheKey)
  if (!key) {
    key = (async () => {
      const ikm = await crypto.subtle.importKey('raw', utf8(secret), 'HKDF', false, ['deriveKey'])
      return crypto.subtle.deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: HASH_SALT, info: utf8(info) },
        ikm,
        { name: 'HMAC', hash: 'SHA-256', length: 256 },
        false,
        ['sign'],
      )
    })()
    hmacKeyCache.set(cacheKey, key)
  }
  return key
}

async function hmacHex(key: CryptoKey, data: string): Promise<string> {
  return toHex(await crypto.subtle.sign('HMAC', key, utf8(data)))
}

/** The clinic-scoped keyed hash of an E.164 number (callers, patients, message senders). */
export async function contactHash(
  config: Pick<Config, 'phoneHashSecret'>,
  clinicId: string,
  e164: string,
): Promise<string> {
  return hmacHex(await deriveHmacKey(config.phoneHashSecret, `clinic:${clinicId}`), e164)
}

/** The clinic-scoped keyed hash of an email address (data-subject look-ups). */
export async function emailHash(
  config: Pick<Config, 'phoneHashSecret'>,
  clinicId: string,
  email: string,
): Promise<string> {
  return hmacHex(
    await deriveHmacKey(config.phoneHashSecret, `clinic:${clinicId}`),
    `email:${email.trim().toLowerCase()}`,
  )
}

/** The platform-wide lookup hash of a staff member's email (login finds the account by it). */
export async function userEmailLookup(
  config: Pick<Config, 'phoneHashSecret'>,
  email: string,
): Promise<string> {
  return hmacHex(
    await deriveHmacKey(config.phoneHashSecret, 'user-email'),
    email.trim().toLowerCase(),
  )
}

/**
 * The platform-wide keyed hash of a client IP address, for abuse counters (login throttling,
 * rate limits): an IP is personal data, so no counter key holds one in clear.
 */
export async function clientIpLookup(
  config: Pick<Config, 'phoneHashSecret'>,
  ip: string,
): Promise<string> {
  return hmacHex(await deriveHmacKey(config.phoneHashSecret, 'client-ip'), ip.trim().toLowerCase())
}

export async function sha256Hex(value: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', utf8(value)))
}

/** A random token for cookies, API keys and one-time links (base64url, 256 bits by default). */
export function randomToken(bytes = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)))
}

// ---------------------------------------------------------------------------------------------
// Key-encryption key (DATA_ENCRYPTION_KEY) and per-clinic data keys

type Kek = { id: string; key: CryptoKey }
const kekCache = new Map<string, Promise<Kek>>()

/** Imports a base64 KEK; its id is a fingerprint so rows record which KEK wrapped them. */
export function importKek(base64: string): Promise<Kek> {
  let kek = kekCache.get(base64)
  if (!kek) {
    kek = (async () => {
      const raw = fromBase64(base64)
      const id = (await sha256Hex(`kek:${toBase64Url(raw)}`)).slice(0, 16)
      const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, [
        'encrypt',
        'decrypt',
      ])
      return { id, key }
    })()
    kekCache.set(base64, kek)
  }
  return kek
}

export async function wrapDataKey(
  kek: Kek,
  rawDataKey: Uint8Array<ArrayBuffer>,
  clinicId: string,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8(`wrap:${clinicId}`) },
    kek.key,
    rawDataKey,
  )
  return `${toBase64Url(iv)}.${toBase64Url(ct)}`
}

export async function unwrapDataKey(
  kek: Kek,
  wrapped: string,
  clinicId: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const [iv, ct] = wrapped.split('.')
  if (!iv || !ct) throw new Error('Malformed wrapped key')
  const raw = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: fromBase64Url(iv), additionalData: utf8(`wrap:${clinicId}`) },
    kek.key,
    fromBase64Url(ct),
  )
  return new Uint8Array(raw)
}

export class KeyUnavailableError extends Error {
  override name = 'KeyUnavailableError'
}

/** Seals and opens a clinic's personal data. Obtain one with `clinicKeyring()`. */
export class ClinicKeyring {
  constructor(
    readonly clinicId: string,
    private readonly activeVersion: number,
    private readonly keys: Map<number, CryptoKey>,
  ) {}

  async seal(plaintext: string): Promise<string> {
    const key = this.keys.get(this.activeVersion)
    if (!key) throw new KeyUnavailableError('No active data key')
    const iv = crypto.getRandomValues(new Uint8Array(12))
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: utf8(this.clinicId) },
      key,
      utf8(plaintext),
    )
    return `rb1.${this.activeVersion}.${toBase64Url(iv)}.${toBase64Url(ct)}`
  }

  async open(sealed: string): Promise<string> {
    const [tag, version, iv, ct] = sealed.split('.')
    if (tag !== 'rb1' || !version || !iv || !ct)
      throw new KeyUnavailableError('Not a Ringback ciphertext')
    const key = this.keys.get(Number(version))
    if (!key) throw new KeyUnavailableError('The data key for this ciphertext is gone')
    const pt = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64Url(iv), additionalData: utf8(this.clinicId) },
      key,
      fromBase64Url(ct),
    )
    return fromUtf8(pt)
  }
}

/** Version of the key format, kept in every ciphertext so keys can rotate. */
export function ciphertextKeyVersion(sealed: string): number | null {
  const [tag, version] = sealed.split('.')
  return tag === 'rb1' && version ? Number(version) : null
}

/**
 * Loads (or on first use creates) the clinic's data keys. Unwrapping is cheap, so nothing is
 * cached across requests: a shredded key stops working everywhere at once.
 */
export async function clinicKeyring(
  db: Db,
  config: Pick<Config, 'dataEncryptionKey' | 'dataEncryptionKeyPrevious'>,
  clinicId: string,
): Promise<ClinicKeyring> {
  const kek = await importKek(config.dataEncryptionKey)
  const previous = config.dataEncryptionKeyPrevious
    ? await importKek(config.dataEncryptionKeyPrevious)
    : null
  let rows = await db.select().from(clinicKeys).where(eq(clinicKeys.clinicId, clinicId))
  if (rows.length === 0) {
    const raw = crypto.getRandomValues(new Uint8Array(32))
    await db
      .insert(clinicKeys)
      .values({
        clinicId,
        version: 1,
        wrappedKey: await wrapDataKey(kek, raw, clinicId),
        kekId: kek.id,
      })
      .onConflictDoNothing()
    // Re-read: a concurrent first use may have won the insert.
    rows = await db
      .select()
      .from(clinicKeys)
      .where(and(eq(clinicKeys.clinicId, clinicId)))
  }
  const keys = new Map<number, CryptoKey>()
  let activeVersion = 0
  for (const row of rows) {
    const wrapping = row.kekId === kek.id ? kek : row.kekId === previous?.id ? previous : null
    if (!wrapping) continue
    const raw = await unwrapDataKey(wrapping, row.wrappedKey, clinicId)
    keys.set(
      row.version,
      await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']),
    )
    if (row.retiredAt === null && row.version > activeVersion) activeVersion = row.version
  }
  return new ClinicKeyring(clinicId, activeVersion, keys)
}

/**
 * A time-limited link token for `purpose` (a guide download): `<payload>.<expiry>.<mac>`, the
 * payload base64url (ids only, never personal data), signed with a key derived from
 * SESSION_SECRET. `openLinkToken` answers the payload, or null when forged, for another purpose or
 * expired.
 */
export async function signLinkToken(
  config: Pick<Config, 'sessionSecret'>,
  purpose: string,
  payload: string,
  expiresAt: number,
): Promise<string> {
  const body = `${toBase64Url(utf8(payload))}.${expiresAt}`
  const mac = await hmacHex(await deriveHmacKey(config.sessionSecret, `link:${purpose}`), body)
  return `${body}.${mac}`
}

export async function openLinkToken(
  config: Pick<Config, 'sessionSecret'>,
  purpose: string,
  token: string,
  now: number,
): Promise<string | null> {
  const [payload, expiry, mac] = token.split('.')
  if (!payload || !expiry || !mac || token.length > 600) return null
  const expected = await hmacHex(
    await deriveHmacKey(config.sessionSecret, `link:${purpose}`),
    `${payload}.${expiry}`,
  )
  if (!timingSafeEqual(mac, expected) || !(Number(expiry) > now)) return null
  try {
    return fromUtf8(fromBase64Url(payload))
  } catch {
    return null
  }
}
