/**
 * Twilio voice webhooks (mounted at /webhooks/twilio/voice; the signature is already verified).
 *
 * - `POST /`              an inbound call to a tracking number → `<Dial>` the front desk
 * - `POST /dial-result`   the `<Dial action>`: answered, or missed → offer voicemail
 * - `POST /recording`     a voicemail recording finished
 * - `POST /status`        a call's status callback (inbound outcomes; outbound = callbacks)
 * - `POST /screen`        call screening: the whisper the forwarded leg hears
 * - `POST /screen-result` call screening: the forwarded leg pressed a key
 *
 * Each delivery is de-duplicated on Twilio's `I-Twilio-Idempotency-Token` and a natural key; a
 * duplicate answers the same TwiML and changes nothing. The marks are written with or after the
 * work (src/twilio/webhook.ts), so a delivery that failed half-way is redone when Twilio retries
 * it; the facts a delivery adds merge commutatively (src/calls/store.ts), so redoing, duplicating
 * or reordering deliveries converges. The inbound call's webhook does its work in one D1 batch
 * with a cached line (src/calls/lines.ts), two round trips at most.
 */

import { sql } from 'drizzle-orm'
import { type Context, Hono } from 'hono'
import { findClinic } from '../clinic/find'
import { calls, pendingRecordings } from '../db/schema'
import { jobQueue } from '../jobs/messages'
import { idempotencyKey } from '../lib/ids'
import { badRequest } from '../lib/problem'
import { normalisePhone } from '../phone/phone'
import { isTwilioSid } from '../twilio/sid'
import {
  deliveryMarks,
  deliveryKeys as keysOf,
  markDelivered,
  notDelivered,
  seenDeliveries,
  type TwilioEnv,
} from '../twilio/webhook'
import { type CallerIdentity, identifyCaller } from './caller'
import {
  cachedLine,
  type Line,
  lineGuard,
  lineQuery,
  readLine,
  rememberLine,
  sameIdentity,
} from './lines'
import { afterInboundChange, type CallDeps, recordOutboundCall } from './outcomes'
import {
  dropStaleRecordings,
  type PendingRecording,
  parkRecording,
  pendingRecordingsQuery,
  unparkRecording,
} from './pending'
import { dialOutcomeOf, dialReachedPerson, isFinalCallStatus } from './state'
import {
  addFactsToCall,
  type CallRow,
  callBySidQuery,
  callFactsUpsert,
  callQuery,
  type FactsUpdate,
  findCallBySid,
  settleStatus,
} from './store'
import {
  dialTwiml,
  emptyTwiml,
  hangupTwiml,
  rejectTwiml,
  screenTwiml,
  twimlResponse,
  voicemailTwiml,
} from './twiml'

type VoiceContext = Context<TwilioEnv>

export const voiceWebhooks = new Hono<TwilioEnv>()

function param(c: VoiceContext, name: string): string {
  return c.var.twilioParams.get(name)?.trim() ?? ''
}

/** A Twilio resource sid (`CA…`, `RE…`): required, and never anything else. */
function requiredSid(c: VoiceContext, name: string): string {
  const value = param(c, name)
  if (!isTwilioSid(value)) {
    throw badRequest(`${name} is missing or malformed.`, [{ path: name, message: 'Invalid sid' }])
  }
  return value
}

/** The idempotency keys of this delivery: Twilio's token, and our natural key. */
function deliveryKeys(c: VoiceContext, naturalKey: string): string[] {
  return keysOf(c.req.header('i-twilio-idempotency-token'), naturalKey)
}

function depsOf(c: VoiceContext, now = Date.now()): CallDeps {
  return {
    env: c.env,
    db: c.var.db,
    config: c.var.config,
    now,
    afterResponse: c.var.afterResponse,
  }
}

/** A recording's length is stored capped: Twilio never records longer; a bad value cannot overflow. */
const MAX_RECORDING_SECONDS = 24 * 3600

type InboundOptions = { markIfDone?: boolean; readCall?: boolean }

/** What one inbound delivery's batch found and did. */
type Merged = {
  /** The line as read in the batch (fresh): answer from this, never from the cache. */
  line: Line
  caller: CallerIdentity
  /** The call after the merge (or as stored, for a duplicate). */
  call: CallRow | null
  /** Whether this delivery's facts were merged (false: a duplicate of a delivery already done). */
  merged: boolean
  /** Recording callbacks that overtook this call, still to merge. */
  pending: PendingRecording[]
  /** Whether the batch also wrote the delivery's marks (nothing was left to do after it). */
  marked: boolean
}

/**
 * Merges an inbound delivery's facts (one that carries `To`/`From`) in ONE batch: the line is
 * re-read, the upsert lands only if the line is still the one the caller hash was computed for
 * and the delivery is not marked yet, and any parked recordings are read back (and, with
 * `readCall`, the stored call, for a duplicate that answers from it: the upsert returns nothing
 * then). With `markIfDone` the marks go in the same batch, guarded by "nothing is left to do": the
 * call is still ringing and no recording is parked. A cache miss or a stale entry costs one more
 * round trip. Null when the number is not one of ours.
 */
async function mergeInbound(
  c: VoiceContext,
  e164: string,
  callSid: string,
  update: FactsUpdate,
  keys: string[],
  now: number,
  options: InboundOptions,
): Promise<Merged | null> {
  const { markIfDone = false, readCall = false } = options
  const { db, config } = c.var
  let line = cachedLine(e164) ?? (await readLine(db, e164))
  for (let attempt = 0; line && attempt < 2; attempt++) {
    const clinicId = line.clinic.id
    const caller = await identifyCaller(config, clinicId, param(c, 'From'), line.clinic.country)
    const guard = lineGuard(line)
    const done = sql`${guard} AND EXISTS (SELECT 1 FROM ${calls} WHERE ${calls.clinicId} = ${clinicId}
      AND ${calls.callSid} = ${callSid} AND ${calls.status} = 'ringing')
      AND NOT EXISTS (SELECT 1 FROM ${pendingRecordings} WHERE ${pendingRecordings.callSid} = ${callSid})`
    const [fresh, upserted, pending, ...rest] = await db.batch([
      lineQuery(db, e164),
      callFactsUpsert(
        db,
        {
          clinicId,
          callSid,
          direction: 'inbound',
          trackingNumberId: line.trackingNumberId,
          callerHash: caller.callerHash,
          callerKind: caller.callerKind,
          screeningRequired: line.clinic.callScreening,
        },
        now,
        update,
        sql`${guard} AND ${notDelivered(keys)}`,
      ),
      pendingRecordingsQuery(db, callSid),
      ...(readCall ? [callQuery(db, clinicId, callSid)] : []),
      ...(markIfDone ? deliveryMarks(db, clinicId, keys, now, done) : []),
    ])
    const freshLine = fresh[0] ?? null
    rememberLine(e164, freshLine)
    if (!freshLine) return null
    if (!sameIdentity(line, freshLine)) {
      // The cached line was stale, so nothing was written: redo with the fresh one.
      line = freshLine
      continue
    }
    const stored = readCall ? (rest[0] as CallRow[] | undefined)?.[0] : undefined
    const call = upserted[0] ?? stored ?? null
    return {
      line: freshLine,
      caller,
      call,
      merged: upserted.length > 0,
      pending,
      marked: markIfDone && call?.status === 'ringing' && pending.length === 0,
    }
  }
  if (line) throw new Error('tracking number changed twice during one webhook')
  return null
}

/**
 * Merges a completed voicemail recording into its call and queues the copy of its audio into R2.
 * Only a key is stored, never Twilio's RecordingUrl (src/calls/recordings.ts).
 */
async function applyRecording(
  c: VoiceContext,
  deps: CallDeps,
  clinicId: string,
  callSid: string,
  recordingSid: string,
  seconds: number,
): Promise<CallRow | null> {
  const recordingKey = `recordings/${clinicId}/${recordingSid}`
  const row = await addFactsToCall(
    deps.db,
    clinicId,
    callSid,
    { voicemailSeconds: Math.min(seconds, MAX_RECORDING_SECONDS), recordingKey },
    deps.now,
  )
  if (row?.recordingKey === recordingKey) {
    // Sent again on a redone delivery: the copy job skips audio already in R2.
    await jobQueue(c.env).send({
      type: 'recording-copy',
      clinicId: row.clinicId,
      callId: row.id,
      recordingSid,
      key: recordingKey,
    })
  }
  return row
}

/**
 * What follows a merge: parked recordings join the call (each unparked only once merged and its
 * copy queued), then the status settles and its consequences run (text-back, callbacks,
 * attribution). Returns the call as settled.
 */
async function afterMerge(
  c: VoiceContext,
  merged: Merged,
  deps: CallDeps,
): Promise<CallRow | null> {
  let row = merged.call
  if (!row) return null
  for (const parked of merged.pending) {
    row =
      (await applyRecording(
        c,
        deps,
        row.clinicId,
        row.callSid,
        parked.recordingSid,
        parked.seconds,
      )) ?? row
    await unparkRecording(deps.db, parked.recordingSid)
  }
  const change = await settleStatus(deps.db, row, deps.now)
  await afterInboundChange(deps, merged.line.clinic, change, merged.caller.e164)
  return change.call
}

/**
 * An inbound delivery carrying `To`/`From`: merge, then (unless it is a duplicate) its
 * consequences, then the marks — last, so a failure anywhere before leaves the delivery unmarked
 * and Twilio's retry redoes it.
 */
async function recordInbound(
  c: VoiceContext,
  callSid: string,
  update: FactsUpdate,
  naturalKey: string,
  options: InboundOptions = {},
): Promise<Merged | null> {
  const e164 = normalisePhone(param(c, 'To'))?.e164
  if (!e164) return null
  const now = Date.now()
  const keys = deliveryKeys(c, naturalKey)
  const merged = await mergeInbound(c, e164, callSid, update, keys, now, options)
  if (!merged || (!merged.merged && merged.pending.length === 0)) return merged
  const call = await afterMerge(c, merged, depsOf(c, now))
  if (!merged.marked) await markDelivered(c.var.db, merged.line.clinic.id, keys)
  return { ...merged, call }
}

voiceWebhooks.post('/', async (c) => {
  const callSid = requiredSid(c, 'CallSid')
  // The dial answer needs no call row, and a new ringing call leaves nothing to do after the batch.
  const merged = await recordInbound(c, callSid, {}, `voice:incoming:${callSid}`, {
    markIfDone: true,
  })
  if (!merged) return twimlResponse(rejectTwiml())
  const { line } = merged
  return twimlResponse(
    dialTwiml({
      forwardTo: line.forwardTo,
      ringTimeoutSeconds: line.clinic.ringTimeoutSeconds,
      screening: line.clinic.callScreening,
    }),
  )
})

voiceWebhooks.post('/dial-result', async (c) => {
  const callSid = requiredSid(c, 'CallSid')
  const outcome = dialOutcomeOf(param(c, 'DialCallStatus'))
  if (!outcome) return twimlResponse(hangupTwiml())
  const merged = await recordInbound(
    c,
    callSid,
    { dialOutcome: outcome },
    idempotencyKey('voice', 'dial-result', callSid),
    { readCall: true },
  )
  if (!merged) return twimlResponse(hangupTwiml())
  // With screening on, a dial "answered" by the forwarded phone's own voicemail (no key pressed)
  // did not reach anyone: the caller gets our voicemail instead.
  const screening = merged.call ?? {
    screeningRequired: merged.line.clinic.callScreening,
    screeningAccepted: false,
  }
  const reached = outcome === 'answered' && dialReachedPerson(screening)
  return twimlResponse(reached ? hangupTwiml() : voicemailTwiml(merged.line.clinic.name))
})

voiceWebhooks.post('/recording', async (c) => {
  const callSid = requiredSid(c, 'CallSid')
  const recordingSid = requiredSid(c, 'RecordingSid')
  const db = c.var.db
  const status = param(c, 'RecordingStatus')
  const parsed = Number.parseInt(param(c, 'RecordingDuration'), 10)
  // Only a completed recording with a length is a voicemail; anything else changes nothing.
  if (status !== 'completed' || !(parsed > 0)) return twimlResponse(emptyTwiml())
  const seconds = Math.min(parsed, MAX_RECORDING_SECONDS)
  const keys = deliveryKeys(c, idempotencyKey('voice', 'recording', recordingSid, status))
  const deps = depsOf(c)
  // Recording callbacks carry no `To`: the call row (written when the call came in) names the clinic.
  const [found, seen] = await db.batch([callBySidQuery(db, callSid), seenDeliveries(db, keys)])
  if (seen.length > 0) return twimlResponse(emptyTwiml())
  let call: CallRow | null = found[0] ?? null
  const parked = !call
  if (!call) {
    // The callback overtook the call's first webhook: park the fact (with the marks, in one
    // batch) for that webhook to merge, and look again in the same transaction, so a call
    // stored meanwhile is not missed by both sides.
    const [, , ...rest] = await db.batch([
      dropStaleRecordings(db, deps.now),
      parkRecording(db, { recordingSid, callSid, seconds }, deps.now),
      // Marked here only if parking is all there is to do (no call stored meanwhile).
      ...deliveryMarks(
        db,
        null,
        keys,
        deps.now,
        sql`NOT EXISTS (SELECT 1 FROM ${calls} WHERE ${calls.callSid} = ${callSid})`,
      ),
      callBySidQuery(db, callSid),
    ])
    const again = rest.at(-1) as CallRow[] | undefined
    call = again?.[0] ?? null
    if (!call) return twimlResponse(emptyTwiml())
  }
  const row = await applyRecording(c, deps, call.clinicId, callSid, recordingSid, seconds)
  const clinic = row ? await findClinic(db, row.clinicId) : null
  if (row && clinic) {
    const change = await settleStatus(db, row, deps.now)
    await afterInboundChange(deps, clinic, change, null)
  }
  if (parked) await unparkRecording(db, recordingSid)
  await markDelivered(db, call.clinicId, keys)
  return twimlResponse(emptyTwiml())
})

voiceWebhooks.post('/status', async (c) => {
  const callSid = requiredSid(c, 'CallSid')
  const callStatus = param(c, 'CallStatus')
  const direction = param(c, 'Direction')
  const db = c.var.db
  const duration = Number.parseInt(param(c, 'CallDuration'), 10)
  const final = isFinalCallStatus(callStatus)
  const update: FactsUpdate = final
    ? {
        finalCallStatus: callStatus,
        endedAt: Date.now(),
        ...(duration >= 0 ? { durationSeconds: Math.min(duration, 7 * 24 * 3600) } : {}),
      }
    : {}
  const naturalKey = idempotencyKey('voice', 'status', callSid, callStatus)

  if (direction === 'outbound-api' || direction === 'outbound-dial') {
    // A call placed from a clinic's tracking number: a callback to `To`.
    const from = normalisePhone(param(c, 'From'))?.e164
    if (!from) return twimlResponse(emptyTwiml())
    const keys = deliveryKeys(c, naturalKey)
    const [lines, seen] = await db.batch([lineQuery(db, from), seenDeliveries(db, keys)])
    const line = lines[0] ?? null
    rememberLine(from, line)
    if (!line || seen.length > 0) return twimlResponse(emptyTwiml())
    const to = normalisePhone(param(c, 'To'), line.clinic.country)?.e164
    // Legs to the clinic's own lines (e.g. our <Dial> to the front desk) are not callbacks.
    if (to === line.forwardTo || to === line.phoneNumber) return twimlResponse(emptyTwiml())
    const deps = depsOf(c)
    const callee = await identifyCaller(
      deps.config,
      line.clinic.id,
      param(c, 'To'),
      line.clinic.country,
    )
    await recordOutboundCall(
      deps,
      {
        clinicId: line.clinic.id,
        callSid,
        trackingNumberId: line.trackingNumberId,
        callerHash: callee.callerHash,
        callerKind: callee.callerKind,
      },
      update,
    )
    await markDelivered(db, line.clinic.id, keys)
    return twimlResponse(emptyTwiml())
  }

  await recordInbound(c, callSid, update, naturalKey)
  return twimlResponse(emptyTwiml())
})

voiceWebhooks.post('/screen', async (c) => {
  // The forwarded leg's webhook: `ParentCallSid` is the caller's call.
  const parentSid = param(c, 'ParentCallSid')
  const parent = parentSid ? await findCallBySid(c.var.db, parentSid) : null
  const clinic = parent ? await findClinic(c.var.db, parent.clinicId) : null
  return twimlResponse(screenTwiml(clinic?.name ?? null))
})

voiceWebhooks.post('/screen-result', async (c) => {
  const parentSid = requiredSid(c, 'ParentCallSid')
  // <Gather> only calls its action with digits; without any, do not connect.
  if (param(c, 'Digits') === '') return twimlResponse(hangupTwiml())
  const db = c.var.db
  const keys = deliveryKeys(c, idempotencyKey('voice', 'screen-result', parentSid))
  const [found, seen] = await db.batch([callBySidQuery(db, parentSid), seenDeliveries(db, keys)])
  const parent = found[0]
  if (parent && seen.length === 0) {
    const deps = depsOf(c)
    const row = await addFactsToCall(
      db,
      parent.clinicId,
      parentSid,
      { screeningAccepted: true },
      deps.now,
    )
    const clinic = await findClinic(db, parent.clinicId)
    if (row && clinic) {
      const change = await settleStatus(db, row, deps.now)
      await afterInboundChange(deps, clinic, change, null)
    }
    await markDelivered(db, parent.clinicId, keys)
  }
  // An empty response ends the whisper; Twilio then bridges the two legs.
  return twimlResponse(emptyTwiml())
})
