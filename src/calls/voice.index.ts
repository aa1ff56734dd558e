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
 * duplicate answers the same TwiML and changes nothing. The facts a delivery adds merge
 * commutatively (src/calls/store.ts), so reordered deliveries converge as well.
 */
import { eq } from 'drizzle-orm'
import { type Context, Hono } from 'hono'
import type { Db } from '../db/client'
import { clinics, trackingNumbers } from '../db/schema'
import { badRequest } from '../lib/problem'
import { normalisePhone } from '../phone/phone'
import { firstDelivery, type TwilioEnv } from '../twilio/webhook'
import { identifyCaller } from './caller'
import {
  afterInboundChange,
  type CallDeps,
  type ClinicRow,
  loadClinic,
  recordOutboundCall,
} from './outcomes'
import { dialOutcomeOf, dialReachedPerson, isFinalCallStatus } from './state'
import {
  addFactsToCall,
  type FactsUpdate,
  findCall,
  findCallBySid,
  settleStatus,
  upsertCallFacts,
} from './store'
import {
  dialTwiml,
  emptyTwiml,
  hangupTwiml,
  rejectTwiml,
  screenTwiml,
  voicemailTwiml,
} from './twiml'

type VoiceContext = Context<TwilioEnv>

export const voiceWebhooks = new Hono<TwilioEnv>()

function twiml(c: VoiceContext, body: string): Response {
  return c.body(body, 200, { 'content-type': 'text/xml; charset=utf-8' })
}

function param(c: VoiceContext, name: string): string {
  return c.var.twilioParams.get(name)?.trim() ?? ''
}

/** A Twilio resource sid (`CA…`, `RE…`): required, and never anything else. */
function requiredSid(c: VoiceContext, name: string): string {
  const value = param(c, name)
  if (!/^[A-Za-z]{2}[A-Za-z0-9]{1,64}$/.test(value)) {
    throw badRequest(`${name} is missing or malformed.`, [{ path: name, message: 'Invalid sid' }])
  }
  return value
}

/** The idempotency keys of this delivery: Twilio's token, and our natural key. */
function deliveryKeys(c: VoiceContext, naturalKey: string): string[] {
  const token = c.req.header('i-twilio-idempotency-token')
  return token ? [`twilio-token:${token}`, naturalKey] : [naturalKey]
}

function depsOf(c: VoiceContext): CallDeps {
  return {
    env: c.env,
    db: c.var.db,
    config: c.var.config,
    now: Date.now(),
    waitUntil: (work) => c.executionCtx.waitUntil(work),
  }
}

type Line = { clinic: ClinicRow; trackingNumberId: string; forwardTo: string; phoneNumber: string }

/** The clinic whose tracking number this is, or null. */
async function findLine(db: Db, raw: string): Promise<Line | null> {
  const e164 = normalisePhone(raw)?.e164
  if (!e164) return null
  const [row] = await db
    .select({
      clinic: clinics,
      trackingNumberId: trackingNumbers.id,
      forwardTo: trackingNumbers.forwardTo,
      phoneNumber: trackingNumbers.phoneNumber,
    })
    .from(trackingNumbers)
    .innerJoin(clinics, eq(clinics.id, trackingNumbers.clinicId))
    .where(eq(trackingNumbers.phoneNumber, e164))
    .limit(1)
  return row ?? null
}

/** Records an inbound call's facts from a delivery that carries `From`/`To`, then its consequences. */
async function recordInbound(c: VoiceContext, line: Line, callSid: string, update: FactsUpdate) {
  const deps = depsOf(c)
  const caller = await identifyCaller(
    deps.config,
    line.clinic.id,
    param(c, 'From'),
    line.clinic.country,
  )
  const row = await upsertCallFacts(
    deps.db,
    {
      clinicId: line.clinic.id,
      callSid,
      direction: 'inbound',
      trackingNumberId: line.trackingNumberId,
      callerHash: caller.callerHash,
      callerKind: caller.callerKind,
      screeningRequired: line.clinic.callScreening,
    },
    deps.now,
    update,
  )
  const change = await settleStatus(deps.db, row, deps.now)
  await afterInboundChange(deps, line.clinic, change, caller.e164)
  return change.call
}

voiceWebhooks.post('/', async (c) => {
  const callSid = requiredSid(c, 'CallSid')
  const line = await findLine(c.var.db, param(c, 'To'))
  if (!line) return twiml(c, rejectTwiml())
  if (await firstDelivery(c.var.db, line.clinic.id, deliveryKeys(c, `voice:incoming:${callSid}`))) {
    await recordInbound(c, line, callSid, {})
  }
  return twiml(
    c,
    dialTwiml({
      forwardTo: line.forwardTo,
      ringTimeoutSeconds: line.clinic.ringTimeoutSeconds,
      screening: line.clinic.callScreening,
    }),
  )
})

voiceWebhooks.post('/dial-result', async (c) => {
  const callSid = requiredSid(c, 'CallSid')
  const line = await findLine(c.var.db, param(c, 'To'))
  if (!line) return twiml(c, hangupTwiml())
  const outcome = dialOutcomeOf(param(c, 'DialCallStatus'))
  if (!outcome) return twiml(c, hangupTwiml())
  const first = await firstDelivery(
    c.var.db,
    line.clinic.id,
    deliveryKeys(c, `voice:dial-result:${callSid}`),
  )
  const call = first
    ? await recordInbound(c, line, callSid, { dialOutcome: outcome })
    : await findCall(c.var.db, line.clinic.id, callSid)
  // With screening on, a dial "answered" by the forwarded phone's own voicemail (no key pressed)
  // did not reach anyone: the caller gets our voicemail instead.
  const screening = call ?? {
    screeningRequired: line.clinic.callScreening,
    screeningAccepted: false,
  }
  const reached = outcome === 'answered' && dialReachedPerson(screening)
  return twiml(c, reached ? hangupTwiml() : voicemailTwiml(line.clinic.name))
})

voiceWebhooks.post('/recording', async (c) => {
  const callSid = requiredSid(c, 'CallSid')
  const recordingSid = requiredSid(c, 'RecordingSid')
  const db = c.var.db
  // Recording callbacks carry no `To`: the call row (written when the call came in) names the clinic.
  const existing = await findCallBySid(db, callSid)
  if (!existing) return twiml(c, emptyTwiml())
  const status = param(c, 'RecordingStatus')
  const seconds = Number.parseInt(param(c, 'RecordingDuration'), 10)
  const keys = deliveryKeys(c, `voice:recording:${recordingSid}:${status}`)
  if (status !== 'completed' || !(seconds > 0)) {
    await firstDelivery(db, existing.clinicId, keys)
    return twiml(c, emptyTwiml())
  }
  if (await firstDelivery(db, existing.clinicId, keys)) {
    const deps = depsOf(c)
    // Only a key is stored, never Twilio's RecordingUrl; the audio is copied into R2 under it
    // by a queued job (src/calls/recordings.ts).
    const recordingKey = `recordings/${existing.clinicId}/${recordingSid}`
    const row = await addFactsToCall(
      db,
      existing.clinicId,
      callSid,
      { voicemailSeconds: Math.min(seconds, 24 * 3600), recordingKey },
      deps.now,
    )
    if (row?.recordingKey === recordingKey) {
      await c.env.JOBS.send({
        type: 'recording-copy',
        clinicId: row.clinicId,
        callId: row.id,
        recordingSid,
        key: recordingKey,
      })
    }
    const clinic = row ? await loadClinic(db, row.clinicId) : null
    if (row && clinic) {
      const change = await settleStatus(db, row, deps.now)
      await afterInboundChange(deps, clinic, change, null)
    }
  }
  return twiml(c, emptyTwiml())
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
  const naturalKey = `voice:status:${callSid}:${callStatus}`

  if (direction === 'outbound-api' || direction === 'outbound-dial') {
    // A call placed from a clinic's tracking number: a callback to `To`.
    const line = await findLine(db, param(c, 'From'))
    if (!line) return twiml(c, emptyTwiml())
    const to = normalisePhone(param(c, 'To'), line.clinic.country)?.e164
    // Legs to the clinic's own lines (e.g. our <Dial> to the front desk) are not callbacks.
    if (to === line.forwardTo || to === line.phoneNumber) return twiml(c, emptyTwiml())
    if (await firstDelivery(db, line.clinic.id, deliveryKeys(c, naturalKey))) {
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
    }
    return twiml(c, emptyTwiml())
  }

  const line = await findLine(db, param(c, 'To'))
  if (!line) return twiml(c, emptyTwiml())
  if (await firstDelivery(db, line.clinic.id, deliveryKeys(c, naturalKey))) {
    await recordInbound(c, line, callSid, update)
  }
  return twiml(c, emptyTwiml())
})

voiceWebhooks.post('/screen', async (c) => {
  // The forwarded leg's webhook: `ParentCallSid` is the caller's call.
  const parentSid = param(c, 'ParentCallSid')
  const parent = parentSid ? await findCallBySid(c.var.db, parentSid) : null
  const clinic = parent ? await loadClinic(c.var.db, parent.clinicId) : null
  return twiml(c, screenTwiml(clinic?.name ?? null))
})

voiceWebhooks.post('/screen-result', async (c) => {
  const parentSid = requiredSid(c, 'ParentCallSid')
  // <Gather> only calls its action with digits; without any, do not connect.
  if (param(c, 'Digits') === '') return twiml(c, hangupTwiml())
  const db = c.var.db
  const parent = await findCallBySid(db, parentSid)
  if (
    parent &&
    (await firstDelivery(db, parent.clinicId, deliveryKeys(c, `voice:screen-result:${parentSid}`)))
  ) {
    const deps = depsOf(c)
    const row = await addFactsToCall(
      db,
      parent.clinicId,
      parentSid,
      { screeningAccepted: true },
      deps.now,
    )
    const clinic = await loadClinic(db, parent.clinicId)
    if (row && clinic) {
      const change = await settleStatus(db, row, deps.now)
      await afterInboundChange(deps, clinic, change, null)
    }
  }
  // An empty response ends the whisper; Twilio then bridges the two legs.
  return twiml(c, emptyTwiml())
})
