/**
 * The Worker's bindings and configuration. `Bindings` is what wrangler hands the Worker: the
 * bindings and vars generated from wrangler.toml (`npm run cf-typegen` writes
 * src/worker-configuration.d.ts), plus the secrets. `getConfig()` parses the string vars and
 * secrets once (zod) into a typed `Config`. This file imports nothing from the features.
 */
import { z } from 'zod'

/**
 * The secrets and optional vars, each an optional string: every name `ConfigSchema` reads that
 * wrangler.toml does not declare. Set with `wrangler secret put NAME`, or in .dev.vars locally.
 */
type Secrets = {
  [Name in Exclude<keyof z.input<typeof ConfigSchema>, keyof CloudflareBindings>]?: string
}

/**
 * The env the Worker receives. The queues carry `JobMessage`s (src/jobs/messages.ts) and CLINIC
 * is the ClinicDurableObject namespace, both typed as `wrangler types` writes them.
 */
export interface Bindings extends CloudflareBindings, Secrets {}

/** A provider key that is absent or the literal `sandbox` keeps the provider in sandbox mode. */
const providerKey = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' || v === 'sandbox' ? null : v))

const base64Key32 = z.string().refine(
  (v) => {
    try {
      return atob(v).length === 32
    } catch {
      return false
    }
  },
  { message: 'must be base64 of exactly 32 bytes' },
)

/** The AI receptionist's model unless ANTHROPIC_MODEL names another. */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-haiku-4-5'

const ConfigSchema = z.object({
  PUBLIC_BASE_URL: z.url().default('http://localhost:8787'),
  ENVIRONMENT: z.enum(['development', 'test', 'production']).default('production'),
  TWILIO_ACCOUNT_SID: providerKey,
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_API_BASE_URL: z.url().default('https://api.twilio.com'),
  /**
   * (v1.1) The approved WhatsApp template (Content API `HX…` sid) a staff reply goes out as once
   * the patient's 24-hour window has closed; its variables are {1: clinic name, 2: the reply}.
   */
  TWILIO_WHATSAPP_TEMPLATE_SID: z
    .string()
    .regex(/^HX[0-9a-fA-F]{32}$/)
    .optional(),
  PHONE_HASH_SECRET: z.string().min(16),
  DATA_ENCRYPTION_KEY: base64Key32,
  /** The previous key-encryption key, kept only while `npm run keys:rotate` re-wraps. */
  DATA_ENCRYPTION_KEY_PREVIOUS: base64Key32.optional(),
  SESSION_SECRET: z.string().min(16),
  ANTHROPIC_API_KEY: providerKey,
  ANTHROPIC_BASE_URL: z.url().default('https://api.anthropic.com'),
  /** The model the AI receptionist uses: a cheap, fast one by default. */
  ANTHROPIC_MODEL: z.string().trim().min(1).max(100).default(DEFAULT_ANTHROPIC_MODEL),
  STRIPE_SECRET_KEY: providerKey,
  STRIPE_WEBHOOK_SECRET: providerKey,
  STRIPE_API_BASE_URL: z.url().default('https://api.stripe.com'),
  RESEND_WEBHOOK_SECRET: providerKey,
  RESEND_API_KEY: providerKey,
  RESEND_BASE_URL: z.url().default('https://api.resend.com'),
  TURNSTILE_SECRET_KEY: providerKey,
  /** (v1.1) Where Turnstile tokens are verified; tests point it at a fake. */
  TURNSTILE_VERIFY_URL: z
    .url()
    .default('https://challenges.cloudflare.com/turnstile/v0/siteverify'),
  /** The public Turnstile site key the signup form renders the widget with (real mode only). */
  TURNSTILE_SITE_KEY: z.string().trim().max(200).optional(),
  EMAIL_FROM: z.string().default('Ringback <no-reply@ringback.example.com>'),
  /** (v1.1) Conversion uploads: Google's Data Manager API and its service account (JSON). */
  GOOGLE_DATA_MANAGER_BASE_URL: z.url().default('https://datamanager.googleapis.com'),
  GOOGLE_ADS_CREDENTIALS: providerKey,
  /** (v1.1) Meta's Conversions API: base URL, the default pixel and the access token. */
  META_CAPI_BASE_URL: z.url().default('https://graph.facebook.com'),
  META_PIXEL_ID: z.string().trim().max(40).optional(),
  META_ACCESS_TOKEN: providerKey,
})

export type Config = {
  publicBaseUrl: string
  /** The origin (scheme://host[:port]) of PUBLIC_BASE_URL, for the Origin check. */
  publicOrigin: string
  environment: 'development' | 'test' | 'production'
  /** Cookies are `Secure` everywhere except plain-http local development. */
  secureCookies: boolean
  twilio: {
    accountSid: string | null
    /** Always used to verify webhook signatures; without it every webhook is refused. */
    authToken: string | null
    apiBaseUrl: string
    /** No account SID or token: text-backs go to the outbox instead of Twilio. */
    sandbox: boolean
    /** The approved WhatsApp template for replies outside the 24-hour window, if any. */
    whatsappTemplateSid: string | null
  }
  phoneHashSecret: string
  dataEncryptionKey: string
  dataEncryptionKeyPrevious: string | null
  sessionSecret: string
  /** Without an API key (or `sandbox`) the sandbox assistant answers (src/assistant/). */
  anthropic: { apiKey: string | null; baseUrl: string; model: string }
  stripe: { secretKey: string | null; webhookSecret: string | null; apiBaseUrl: string }
  resend: { apiKey: string | null; baseUrl: string; from: string; webhookSecret: string | null }
  turnstileSecretKey: string | null
  /** Turnstile: without a secret key (or `sandbox`) every token passes and nothing leaves. */
  turnstile: { secretKey: string | null; verifyUrl: string; siteKey: string | null }
  /** Conversion uploads: without credentials (or `sandbox`) nothing leaves; uploads say `sandboxed`. */
  google: { dataManagerBaseUrl: string; credentials: string | null }
  meta: { capiBaseUrl: string; pixelId: string | null; accessToken: string | null }
}

const cache = new WeakMap<object, Config>()

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parses and caches the configuration for this `env` object. Throws ConfigError naming the bad vars (never their values). */
export function getConfig(env: Bindings): Config {
  const hit = cache.get(env)
  if (hit) return hit
  const parsed = ConfigSchema.safeParse(env)
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].join(', ')
    throw new ConfigError(`Invalid or missing configuration: ${names}`)
  }
  const v = parsed.data
  const url = new URL(v.PUBLIC_BASE_URL)
  const authToken = v.TWILIO_AUTH_TOKEN ?? null
  const config: Config = {
    publicBaseUrl: v.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    publicOrigin: url.origin,
    environment: v.ENVIRONMENT,
    secureCookies: url.protocol === 'https:',
    twilio: {
      accountSid: v.TWILIO_ACCOUNT_SID,
      authToken,
      apiBaseUrl: v.TWILIO_API_BASE_URL.replace(/\/+$/, ''),
      sandbox: v.TWILIO_ACCOUNT_SID === null || authToken === null || authToken === 'sandbox',
      whatsappTemplateSid: v.TWILIO_WHATSAPP_TEMPLATE_SID ?? null,
    },
    phoneHashSecret: v.PHONE_HASH_SECRET,
    dataEncryptionKey: v.DATA_ENCRYPTION_KEY,
    dataEncryptionKeyPrevious: v.DATA_ENCRYPTION_KEY_PREVIOUS ?? null,
    sessionSecret: v.SESSION_SECRET,
    anthropic: {
      apiKey: v.ANTHROPIC_API_KEY,
      baseUrl: v.ANTHROPIC_BASE_URL,
      model: v.ANTHROPIC_MODEL,
    },
    stripe: {
      secretKey: v.STRIPE_SECRET_KEY,
      webhookSecret: v.STRIPE_WEBHOOK_SECRET,
      apiBaseUrl: v.STRIPE_API_BASE_URL,
    },
    resend: {
      apiKey: v.RESEND_API_KEY,
      baseUrl: v.RESEND_BASE_URL,
      from: v.EMAIL_FROM,
      webhookSecret: v.RESEND_WEBHOOK_SECRET,
    },
    turnstileSecretKey: v.TURNSTILE_SECRET_KEY,
    turnstile: {
      secretKey: v.TURNSTILE_SECRET_KEY,
      verifyUrl: v.TURNSTILE_VERIFY_URL,
      siteKey: v.TURNSTILE_SITE_KEY || null,
    },
    google: {
      dataManagerBaseUrl: v.GOOGLE_DATA_MANAGER_BASE_URL.replace(/\/+$/, ''),
      credentials: v.GOOGLE_ADS_CREDENTIALS,
    },
    meta: {
      capiBaseUrl: v.META_CAPI_BASE_URL.replace(/\/+$/, ''),
      pixelId: v.META_PIXEL_ID || null,
      accessToken: v.META_ACCESS_TOKEN,
    },
  }
  cache.set(env, config)
  return config
}
