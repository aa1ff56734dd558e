/**
 * Caller identity at the edge: Twilio's `From` becomes a clinic-scoped keyed hash and a kind
 * (mobile, other, withheld). The raw number stays in memory for this request only; callers of
 * `identifyCaller` may pass `e164` on to a text-back (which seals it) and nowhere else.
 */
import type { Config } from '../env'
import { parseCaller } from '../phone/phone'
import { contactHash } from '../privacy/crypto'

export type CallerIdentity = {
  callerHash: string | null
  callerKind: 'mobile' | 'other' | 'withheld'
  /** In memory only: never store, log or return it. */
  e164: string | null
}

export async function identifyCaller(
  config: Pick<Config, 'phoneHashSecret'>,
  clinicId: string,
  raw: string | null | undefined,
  country: string,
): Promise<CallerIdentity> {
  const caller = parseCaller(raw, country)
  if (caller.kind === 'withheld') return { callerHash: null, callerKind: 'withheld', e164: null }
  return {
    callerHash: await contactHash(config, clinicId, caller.e164),
    callerKind: caller.mobile ? 'mobile' : 'other',
    e164: caller.e164,
  }
}
