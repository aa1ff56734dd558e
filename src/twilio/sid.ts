/** The one check on a Twilio resource SID (`CA…`, `RE…`, `SM…`) before it is stored or put in a URL. */

/**
 * Twilio SIDs are two letters and 32 characters (hex in practice). Letters and digits only, so
 * a SID can never smuggle a path or query into a URL built from it.
 */
const SID = /^[A-Za-z]{2}[0-9A-Za-z]{32}$/

/** True for a well-formed Twilio SID. */
export function isTwilioSid(value: string): boolean {
  return SID.test(value)
}
