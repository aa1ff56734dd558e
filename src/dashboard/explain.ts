/**
 * Attribution explained in words, for the appointment page: which missed call, which rule (and
 * its version), which recovery path, and where the counted value came from. Pure: the page passes
 * the rows and the clinic's settings.
 */
import { callerLabel, formatDuration, formatLocal, formatPence } from './format'

export type ExplainInput = {
  appointment: {
    createdAt: number
    callerHash: string | null
    attributionStatus: 'recovered' | 'unattributed'
    attributionPath: 'callback' | 'text-back' | 'return-call' | 'direct' | null
    ruleVersion: number | null
    countedValuePence: number
    valueSource: 'appointment' | 'treatment' | 'clinic-default'
    treatmentName: string | null
  }
  call: { id: string; startedAt: number; status: string; calledBackAt: number | null } | null
  windowDays: number
  timeZone: string
}

const PATHS: Record<string, string> = {
  callback:
    'the clinic called them back after the missed call and before they booked (a callback was the first recovery touch)',
  'text-back':
    'they replied to the text-back we sent after the missed call, before they booked (the first recovery touch was their reply)',
  'return-call':
    'they rang again and this time got through, before they booked (an answered call was the first recovery touch)',
  direct:
    'no callback, text-back reply or answered call from them was recorded in between, so they booked directly',
}

/** Paragraphs explaining the attribution, plain enough to read aloud to a practice manager. */
export function explainAttribution(input: ExplainInput): string[] {
  const { appointment: a, call, windowDays, timeZone } = input
  const version = a.ruleVersion ?? 1
  const booked = formatLocal(a.createdAt, timeZone)
  const value = `It counts as ${formatPence(a.countedValuePence)} of recovered revenue, taken from ${
    a.valueSource === 'appointment'
      ? 'the value the practice system sent with the booking'
      : a.valueSource === 'treatment'
        ? `the value of the treatment (${a.treatmentName ?? 'treatment'})`
        : "the clinic's default appointment value"
  } (rule 5).`

  if (a.attributionStatus === 'recovered' && call) {
    const gap = formatDuration((a.createdAt - call.startedAt) / 1000)
    const kind = call.status === 'voicemail' ? 'missed call (they left a voicemail)' : 'missed call'
    return [
      `Recovered. This booking, made ${booked}, is credited to the ${kind} from ${callerLabel(
        a.callerHash,
      )} on ${formatLocal(call.startedAt, timeZone)}, ${gap} before the booking.`,
      `Rule: attribution rules version ${version}. A missed call can recover a booking from the same caller made within ${windowDays} days after it (rule 1); the booking takes the most recent such missed call that had not already recovered an earlier booking (rule 2).`,
      `Path: ${a.attributionPath ?? 'direct'}, because ${PATHS[a.attributionPath ?? 'direct']} (rule 3).`,
      value,
    ]
  }
  const reason = a.callerHash
    ? `No missed call from ${callerLabel(a.callerHash)} in the ${windowDays} days before this booking was available to credit: either they never missed us, or each such call had already recovered an earlier booking (rules 1 and 2, version ${version}).`
    : `The booking came without a phone number we could match, so no missed call can be credited with it (rule 1, version ${version}).`
  return [
    `Not attributed. This booking was made ${booked}.`,
    reason,
    'It is not counted as recovered revenue. If a missed call arrives late it is re-settled automatically (rule 4).',
  ]
}
