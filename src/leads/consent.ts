/**
 * Consent, recorded: three separate choices (service, marketing, ads) with the exact words the
 * person was shown, the version of those words and when they chose. The hosted form shows these
 * words; a submission stores what it was shown, so a later change of wording never rewrites an
 * earlier choice.
 */

/** Bump when any wording below changes; stored with every choice. */
export const CONSENT_VERSION = '2026-12-05'

export const CONSENT_WORDING = {
  service:
    'I agree that {clinic} may use these details to answer my enquiry, by the contact details I gave.',
  marketing: 'Send me news and offers from {clinic} by email or text. I can stop at any time.',
  ads: 'Let {clinic} tell Google and Meta that my visit led to a booking, to measure its adverts (a hashed identifier, never my details in clear).',
} as const

export type ConsentKind = keyof typeof CONSENT_WORDING

/** One recorded choice. */
export type ConsentChoice = { given: boolean; wording: string; version: string; at: string }

/** The record of one submission's choices. Service consent is the legal basis of the enquiry itself. */
export type ConsentRecord = Record<ConsentKind, ConsentChoice>

/** The wording of `kind` for a clinic, as shown. */
export function consentWording(kind: ConsentKind, clinicName: string): string {
  return CONSENT_WORDING[kind].replaceAll('{clinic}', clinicName)
}

/** The consent record of a submission: service is implied by submitting; the others as chosen. */
export function recordConsent(
  clinicName: string,
  choices: { marketing: boolean; ads: boolean },
  at: Date,
): ConsentRecord {
  const choice = (kind: ConsentKind, given: boolean): ConsentChoice => ({
    given,
    wording: consentWording(kind, clinicName),
    version: CONSENT_VERSION,
    at: at.toISOString(),
  })
  return {
    service: choice('service', true),
    marketing: choice('marketing', choices.marketing),
    ads: choice('ads', choices.ads),
  }
}
