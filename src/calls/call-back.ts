/**
 * Click-to-call: Twilio rings a staff phone, then bridges to the patient with the tracking number
 * as caller id. The patient's number is read at that moment (Twilio's record of the call, or the
 * conversation's sealed contact), handed to Twilio, and never stored, logged or queued.
 */
import { asc, eq } from 'drizzle-orm'
import type { ClinicRow } from '../clinic/find'
import type { Db } from '../db/client'
import { findClinicRow } from '../db/clinic-row'
import { conversations, trackingNumbers } from '../db/schema'
import type { Config } from '../env'
import { newId } from '../lib/ids'
import { logInfo, logWarn } from '../lib/logger'
import { badRequest, conflict, ProblemError } from '../lib/problem'
import { normalisePhone, stripChannelPrefix } from '../phone/phone'
import { clinicKeyring, contactHash } from '../privacy/crypto'
import { createTwilioClient, type MessagingClient } from '../twilio/client'
import type { CallRow } from './store'
import { escapeXml } from './twiml'

/** Where the bridged leg's status callback goes: it records the callback like any other. */
export const CALL_BACK_STATUS_PATH = '/webhooks/twilio/voice/status'

export type CallBackDeps = { db: Db; config: Config; fetch?: typeof fetch }

export type CallBackResult = { id: string; status: 'queued' | 'sandboxed' }

/** Who to ring back: a missed call (its Twilio sid) or a conversation (its sealed contact). */
export type CallBackTarget =
  | { kind: 'call'; call: CallRow }
  | { kind: 'conversation'; conversation: typeof conversations.$inferSelect }

/**
 * The TwiML the staff leg runs once answered: dial the patient from the tracking number. The
 * `<Number>` status callback (absolute: inline TwiML has no URL to resolve against) arrives as an
 * `outbound-dial` leg from the tracking number to the patient, which the voice webhook records as
 * a callback and links to the patient's earlier missed calls.
 */
export function bridgeTwiml(input: { patient: string; callerId: string; statusUrl: string }) {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><Response>' +
    `<Dial callerId="${escapeXml(input.callerId)}" answerOnBridge="true">` +
    `<Number statusCallback="${escapeXml(input.statusUrl)}" statusCallbackEvent="completed">${escapeXml(input.patient)}</Number>` +
    '</Dial></Response>'
  )
}

type Line = typeof trackingNumbers.$inferSelect

/** The line to call from: the target's own tracking number, else the clinic's first. */
async function lineFor(db: Db, clinicId: string, trackingNumberId: string | null): Promise<Line> {
  const rows = await db
    .select()
    .from(trackingNumbers)
    .where(eq(trackingNumbers.clinicId, clinicId))
    .orderBy(asc(trackingNumbers.createdAt))
  const line = rows.find((r) => r.id === trackingNumberId) ?? rows[0]
  if (!line) throw conflict('The clinic has no tracking number to call from.')
  return line
}

/** The patient's number, in memory only; null when it cannot be known. */
async function patientNumber(
  deps: CallBackDeps,
  twilio: MessagingClient,
  clinic: ClinicRow,
  target: CallBackTarget,
): Promise<string | null> {
  if (target.kind === 'conversation') {
    const sealed = target.conversation.contactSealed
    if (!sealed) return null
    const keyring = await clinicKeyring(deps.db, deps.config, clinic.id)
    const { address } = stripChannelPrefix(await keyring.open(sealed))
    return normalisePhone(address, clinic.country)?.e164 ?? null
  }
  const from = await twilio.fetchCallFrom(target.call.callSid)
  const number = from ? normalisePhone(from, clinic.country)?.e164 : null
  // Twilio's record must be the caller we hashed: never ring someone else.
  if (!number || (await contactHash(deps.config, clinic.id, number)) !== target.call.callerHash) {
    return null
  }
  return number
}

/**
 * Places a click-to-call. Withheld or unknown numbers are a 409; Twilio failing is a 502 and
 * changes nothing. Sandbox mode places nothing, logs the intent without any number and answers
 * `sandboxed` (never counted as a callback: no call row is written).
 */
export async function placeCallBack(
  deps: CallBackDeps,
  clinic: ClinicRow,
  target: CallBackTarget,
  staffPhone: string | undefined,
): Promise<CallBackResult> {
  const withheld =
    target.kind === 'call'
      ? !target.call.callerHash || target.call.callerKind === 'withheld'
      : !target.conversation.contactSealed
  if (withheld) throw conflict('There is no number to call: the caller withheld it.')
  const staff = staffPhone === undefined ? null : normalisePhone(staffPhone, clinic.country)
  if (staffPhone !== undefined && !staff) {
    throw badRequest('The request is not valid.', [
      { path: 'staffPhone', message: 'Not a valid phone number' },
    ])
  }
  const line = await lineFor(
    deps.db,
    clinic.id,
    target.kind === 'call' ? target.call.trackingNumberId : target.conversation.trackingNumberId,
  )
  const targetId = target.kind === 'call' ? target.call.id : target.conversation.id
  const twilio = createTwilioClient(deps.config, deps.fetch ?? fetch)
  if (twilio.sandbox) {
    logInfo('call-back sandboxed', { clinicId: clinic.id, target: targetId })
    return { id: newId('sandbox'), status: 'sandboxed' }
  }
  try {
    const patient = await patientNumber(deps, twilio, clinic, target)
    if (!patient) throw conflict("The caller's number is no longer available.")
    const placed = await twilio.createCall({
      to: staff?.e164 ?? line.forwardTo,
      from: line.phoneNumber,
      twiml: bridgeTwiml({
        patient,
        callerId: line.phoneNumber,
        statusUrl: `${deps.config.publicBaseUrl}${CALL_BACK_STATUS_PATH}`,
      }),
    })
    if (placed.mode === 'sandbox') return { id: newId('sandbox'), status: 'sandboxed' }
    return { id: placed.sid, status: 'queued' }
  } catch (err) {
    if (err instanceof ProblemError) throw err
    // The error's text may quote a number: log its kind only.
    logWarn('call-back failed at Twilio', {
      clinicId: clinic.id,
      target: targetId,
      error: err instanceof Error ? err.name : 'unknown',
    })
    throw new ProblemError(502, 'Twilio could not place the call. Nothing was changed.')
  }
}

/** One conversation of the clinic, or null. */
export function findClinicConversation(db: Db, clinicId: string, id: string) {
  return findClinicRow(db, conversations, clinicId, id)
}
