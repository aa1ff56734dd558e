/**
 * The call state machine, as a pure function of facts.
 *
 * Twilio's callbacks for one call (voice, dial-result, recording, status, screening) can arrive
 * duplicated and out of order. So webhooks never set `status` directly: each records FACTS that
 * only ever get set (never unset) and merge commutatively (see `mergeFacts`), and the status is
 * derived from the facts. Any duplication or reordering of deliveries therefore converges.
 */

export type CallDirection = 'inbound' | 'outbound'
export type CallStatus = 'ringing' | 'answered' | 'missed' | 'voicemail'
export type DialOutcome = 'answered' | 'missed'

/** Twilio `CallStatus` values that end a call without a conversation. */
export const FAILED_CALL_STATUSES = ['busy', 'no-answer', 'failed', 'canceled'] as const
/** Twilio `CallStatus` values that mean the call is over. */
export const FINAL_CALL_STATUSES = ['completed', ...FAILED_CALL_STATUSES] as const

export type FinalCallStatus = (typeof FINAL_CALL_STATUSES)[number]

export type CallFacts = {
  direction: CallDirection
  /** From the `<Dial action>` callback: did the forwarded line pick up? */
  dialOutcome: DialOutcome | null
  /** The call's final Twilio status (status callback), if seen. */
  finalCallStatus: string | null
  /** Call screening was on when the call came in. */
  screeningRequired: boolean
  /** The forwarded leg pressed a key during the whisper. */
  screeningAccepted: boolean
  /** Length of a completed voicemail recording. */
  voicemailSeconds: number | null
}

export function isFinalCallStatus(value: string): value is FinalCallStatus {
  return (FINAL_CALL_STATUSES as readonly string[]).includes(value)
}

export function isFailedCallStatus(value: string | null): boolean {
  return value !== null && (FAILED_CALL_STATUSES as readonly string[]).includes(value)
}

/** Maps a `<Dial>` `DialCallStatus` onto the dial outcome; null for values Twilio does not document. */
export function dialOutcomeOf(dialCallStatus: string): DialOutcome | null {
  if (dialCallStatus === 'answered' || dialCallStatus === 'completed') return 'answered'
  if ((FAILED_CALL_STATUSES as readonly string[]).includes(dialCallStatus)) return 'missed'
  return null
}

/**
 * Whether a dial that Twilio reports as answered really reached a person. With screening on,
 * a forwarded mobile's voicemail also "answers"; only a key press during the whisper counts.
 */
export function dialReachedPerson(
  facts: Pick<CallFacts, 'screeningRequired' | 'screeningAccepted'>,
) {
  return !facts.screeningRequired || facts.screeningAccepted
}

/**
 * The call's status from its facts.
 * - inbound: answered if the dial was answered (and, with screening, accepted); else voicemail if
 *   a recording with a duration exists; else missed if the dial was missed (or answered but not
 *   accepted) or the call ended in a failure status; else still ringing.
 * - outbound (callbacks): answered once completed, missed if it failed, else ringing.
 */
export function deriveCallStatus(facts: CallFacts): CallStatus {
  if (facts.direction === 'outbound') {
    if (facts.finalCallStatus === 'completed') return 'answered'
    if (isFailedCallStatus(facts.finalCallStatus)) return 'missed'
    return 'ringing'
  }
  if (facts.dialOutcome === 'answered' && dialReachedPerson(facts)) return 'answered'
  if ((facts.voicemailSeconds ?? 0) > 0) return 'voicemail'
  if (facts.dialOutcome !== null || isFailedCallStatus(facts.finalCallStatus)) return 'missed'
  return 'ringing'
}

/** A missed or voicemail call: what text-backs, callbacks and attribution care about. */
export function isMissedStatus(status: CallStatus): status is 'missed' | 'voicemail' {
  return status === 'missed' || status === 'voicemail'
}
