/**
 * Marketing attribution: where a visitor came from (UTMs, ad click ids, landing page, referrer),
 * captured by /embed.js from the host page (or by the hosted form from its own URL) and kept with
 * the lead. Pure: one shape, one normaliser, used by the submission schema and the tests.
 */
import { z } from 'zod'

/** The query parameters read from the landing page, and the field each becomes. */
export const ATTRIBUTION_PARAMS = {
  utm_source: 'utmSource',
  utm_medium: 'utmMedium',
  utm_campaign: 'utmCampaign',
  utm_term: 'utmTerm',
  utm_content: 'utmContent',
  gclid: 'gclid',
  gbraid: 'gbraid',
  wbraid: 'wbraid',
  fbclid: 'fbclid',
} as const

/** A value as it may arrive: trimmed, bounded, empty meaning absent. */
const Value = z
  .string()
  .max(500)
  .transform((v) => v.trim())
  .transform((v) => (v === '' ? undefined : v))
  .optional()

/** A URL-ish value (landing page, referrer): bounded, and only http(s) kept. */
const Page = z
  .string()
  .max(2000)
  .transform((v) => (/^https?:\/\//i.test(v.trim()) ? v.trim() : undefined))
  .optional()

export const AttributionSchema = z
  .object({
    utmSource: Value,
    utmMedium: Value,
    utmCampaign: Value,
    utmTerm: Value,
    utmContent: Value,
    gclid: Value,
    gbraid: Value,
    wbraid: Value,
    fbclid: Value,
    landingPage: Page,
    referrer: Page,
  })
  .strict()

export type Attribution = {
  [K in keyof z.output<typeof AttributionSchema>]?: string
}

/** The attribution in a landing page's query string (what /embed.js and the hosted form read). */
export function attributionFromQuery(search: string): Attribution {
  const params = new URLSearchParams(search)
  const out: Record<string, string> = {}
  for (const [param, field] of Object.entries(ATTRIBUTION_PARAMS)) {
    const v = params.get(param)?.trim()
    if (v) out[field] = v.slice(0, 500)
  }
  return out
}

/** Drops absent fields, so stored JSON holds only what was captured (null when nothing was). */
export function compactAttribution(a: Attribution | undefined): Attribution | null {
  if (!a) return null
  const entries = Object.entries(a).filter(([, v]) => typeof v === 'string' && v !== '')
  return entries.length ? (Object.fromEntries(entries) as Attribution) : null
}

/** Whether the attribution carries an ad click id a conversion could be reported against. */
export function clickIdOf(
  a: Attribution | null,
): { platform: 'google' | 'meta'; kind: 'gclid' | 'gbraid' | 'wbraid' | 'fbclid' } | null {
  if (!a) return null
  for (const kind of ['gclid', 'gbraid', 'wbraid'] as const) {
    if (a[kind]) return { platform: 'google', kind }
  }
  return a.fbclid ? { platform: 'meta', kind: 'fbclid' } : null
}
