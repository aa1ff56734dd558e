import { alertMissedCall } from '../alerts/alerts'
import { type notifyAttribution, queueAttribution } from '../attribution/notify'
import { emitTrigger } from '../automations/engine'
import type { ClinicRow } from '../clinic/find'
import type { Db } from '../db/client'
import type { Bindings, Config } from '../env'
import type { AfterResponse } from '../lib/after-response'
import { requestTextBack } from '../textback/request'
import { linkLaterCallback, markCalledBack } from './callbacks'
import { isMissedStatus } from './state'
import {
  type CallIdentity,
  type CallRow,
  type FactsUpdate,
  type StatusChange,
  settleStatus,
  upsertCallFacts,
} from './store'

/**
 * The I/O a call's side effects need, plus the request's clock. `afterResponse` (a request's)
 * lets attribution settle right after the response instead of on the queue.
 */
export type CallDeps = {
  env: Bindings
  db: Db
  config: Config
  now: number
  afterResponse?: AfterResponse
}

/**
 * Runs after a delivery settled an inbound call's status. `e164` is the caller's number when this
 * delivery carried it (in memory only; the text-back seals it into the queue message).
 */
export async function afterInboundChange(
  deps: CallDeps,
  clinic: ClinicRow,
  change: StatusChange,
  e164: string | null,
): Promise<void> {
  const { call } = change
  if (call.direction !== 'inbound') return
  if (isMissedStatus(call.status)) {
    if (change.changed) {
      await linkLaterCallback(deps.db, call)
      // Staff hear of a missed call in opening hours (batched), and the clinic's `missed-call`
      // automations run; never on the webhook's own path.
      const alert = async () => {
        await alertMissedCall(deps.env, clinic, call)
        await emitTrigger(deps.env, deps.db, {
          clinicId: clinic.id,
          trigger: 'missed-call',
          key: call.id,
          at: call.startedAt,
          contactHash: call.callerHash,
          subject: { callId: call.id, channel: 'call' },
        })
      }
      if (deps.afterResponse) deps.afterResponse(alert)
      else await alert()
    }
    // Not only on the transition: a decision deferred for want of the number (a recording
    // callback carries none) is taken by the next delivery that has it. Idempotent either way.
    if (call.textBackStatus === 'none') {
      await requestTextBack(
        { db: deps.db, config: deps.config, jobs: deps.env.JOBS, now: deps.now },
        clinic,
        call,
        e164,
      )
    }
  }
  if (change.changed && call.status !== 'ringing' && call.callerHash) {
    await tellAttribution(deps, clinic.id, {
      kind: 'inbound-call',
      callId: call.id,
      callerHash: call.callerHash,
      at: call.startedAt,
      status: call.status,
    })
  }
}

/** Hands the event to the attribution engine after the response, else the queue (see `queueAttribution`). */
export async function tellAttribution(
  deps: CallDeps,
  clinicId: string,
  event: Parameters<typeof notifyAttribution>[2],
): Promise<void> {
  await queueAttribution(deps.env, clinicId, event, { afterResponse: deps.afterResponse })
}

/**
 * Stores (or updates) an outbound call to a caller — a callback — and marks the caller's earlier
 * missed calls as called back. Returns the call row and the ids of the missed calls it answered.
 */
export async function recordOutboundCall(
  deps: CallDeps,
  identity: Omit<CallIdentity, 'direction' | 'screeningRequired'>,
  update: FactsUpdate,
): Promise<{ call: CallRow; calledBack: string[] }> {
  const row = await upsertCallFacts(
    deps.db,
    { ...identity, direction: 'outbound', screeningRequired: false },
    deps.now,
    update,
  )
  const change = await settleStatus(deps.db, row, deps.now)
  const { call } = change
  if (!call.callerHash) return { call, calledBack: [] }
  const calledBack = await markCalledBack(deps.db, {
    id: call.id,
    clinicId: call.clinicId,
    callerHash: call.callerHash,
    startedAt: call.startedAt,
  })
  if (change.changed && call.status !== 'ringing') {
    await tellAttribution(deps, call.clinicId, {
      kind: 'callback',
      callId: call.id,
      callerHash: call.callerHash,
      at: call.startedAt,
    })
  }
  return { call, calledBack }
}
