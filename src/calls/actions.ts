/**
 * What staff do to a call, shared by the JSON API and the dashboard so both audit alike: ring the
 * caller back, resolve it by hand, play its voicemail (an audited read of personal data).
 */
import { audit } from '../audit/audit'
import type { ClinicRow } from '../clinic/find'
import type { Bindings } from '../env'
import { conflict } from '../lib/problem'
import {
  type CallBackDeps,
  type CallBackResult,
  type CallBackTarget,
  placeCallBack,
} from './call-back'
import { type Resolution, resolveCall } from './calls.service'
import type { CallRow } from './store'

/** Places a click-to-call and audits it (the target's id only: never the number). */
export async function callBackAudited(
  env: Bindings,
  deps: CallBackDeps,
  clinic: ClinicRow,
  target: CallBackTarget,
  staffPhone: string | undefined,
  actor: string,
): Promise<CallBackResult> {
  const placed = await placeCallBack(deps, clinic, target, staffPhone)
  await audit(env, clinic.id, {
    actor,
    action: target.kind === 'call' ? 'call.callback.placed' : 'conversation.call.placed',
    target: target.kind === 'call' ? target.call.id : target.conversation.id,
    details: { status: placed.status },
  })
  return placed
}

/**
 * Resolves a missed inbound call by hand (409 for any other call) and audits the first
 * resolution; a repeat returns the call as it is.
 */
export async function resolveAudited(
  env: Bindings,
  deps: { db: CallBackDeps['db']; now: number },
  call: CallRow,
  outcome: Resolution,
  actor: string,
): Promise<CallRow> {
  if (call.direction !== 'inbound' || (call.status !== 'missed' && call.status !== 'voicemail')) {
    throw conflict('Only a missed call can be resolved.')
  }
  const resolved = await resolveCall(deps.db, call.clinicId, call.id, {
    outcome,
    by: actor,
    now: deps.now,
  })
  if (!call.resolutionOutcome) {
    await audit(env, call.clinicId, {
      actor,
      action: 'call.resolved',
      target: call.id,
      details: { outcome },
    })
  }
  return resolved ?? call
}

/**
 * The voicemail's audio as a response, audited as a read; null when there is none (a purged or
 * erased call has no key; an object gone from R2 is the same).
 */
export async function recordingResponse(
  env: Bindings,
  call: CallRow,
  actor: string,
): Promise<Response | null> {
  const object = call.recordingKey ? await env.BLOBS.get(call.recordingKey) : null
  if (!object) return null
  await audit(env, call.clinicId, { actor, action: 'call.recording.read', target: call.id })
  const type = object.httpMetadata?.contentType === 'audio/wav' ? 'audio/wav' : 'audio/mpeg'
  return new Response(object.body, {
    status: 200,
    headers: { 'content-type': type, 'cache-control': 'private, no-store' },
  })
}
