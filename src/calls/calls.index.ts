/**
 * Calls API (mounted at /api/v1): the calls list with filters and keyset pagination, one call with
 * its story, its voicemail, click-to-call, resolving by hand, and logging a callback made outside
 * Twilio. Every query is scoped to the caller's clinic;
 * another clinic's call answers 404. Callers appear only as `callerHash`.
 */

import type { Context } from 'hono'
import { audit } from '../audit/audit'
import { type ClinicRow, findClinic } from '../clinic/find'
import type { Db } from '../db/client'
import { parseInstantRange } from '../lib/calendar-date'
import { type AppEnv, actorOf } from '../lib/context'
import { createRouter } from '../lib/create-app'
import { newId } from '../lib/ids'
import { decodeCursor, paginate } from '../lib/pagination'
import { badRequest, notFound } from '../lib/problem'
import { toIso, toIsoOrNull } from '../lib/time'
import { callBackAudited, recordingResponse, resolveAudited } from './actions'
import { type CallBackTarget, findClinicConversation } from './call-back'
import { identifyCaller } from './caller'
import {
  callBackRoute,
  conversationCallRoute,
  createCallback,
  getCall,
  getCallRecording,
  listCalls as listCallsRoute,
  resolveCallRoute,
} from './calls.routes'
import { findClinicCall, listCalls } from './calls.service'
import { recordOutboundCall } from './outcomes'
import type { CallRow } from './store'
import { loadCallStory } from './story'

/** How far ahead of the server clock a logged callback's `at` may be (clock skew). */
const FUTURE_TOLERANCE_MS = 5 * 60_000

function toCallItem(row: CallRow) {
  return {
    id: row.id,
    direction: row.direction,
    status: row.status as 'missed' | 'answered' | 'voicemail',
    startedAt: toIso(row.startedAt),
    callerHash: row.callerHash,
    calledBackAt: toIsoOrNull(row.calledBackAt),
    textedBackAt: toIsoOrNull(row.textedBackAt),
    recoveredAppointmentId: row.recoveredAppointmentId,
  }
}

/** The clinic and one of its calls; another clinic's call is a 404. */
async function clinicCall(db: Db, clinicId: string, id: string) {
  const [clinic, call] = await Promise.all([
    findClinic(db, clinicId),
    findClinicCall(db, clinicId, id),
  ])
  if (!clinic || !call) throw notFound('No such call.')
  return { clinic, call }
}

/** `GET /calls/:id`'s shape: the call's detail plus its story. */
async function callStoryView(db: Db, clinic: ClinicRow, row: CallRow) {
  return {
    ...toCallItem(row),
    status: row.status,
    textBackStatus: row.textBackStatus,
    textBackReason: row.textBackReason,
    voicemailSeconds: row.voicemailSeconds,
    ...(await loadCallStory(db, clinic, row)),
  }
}

/** Places an audited click-to-call for the signed-in member. */
function clickToCall(
  c: Context<AppEnv>,
  clinic: ClinicRow,
  target: CallBackTarget,
  body: { staffPhone?: string | undefined },
) {
  const deps = { db: c.var.db, config: c.var.config }
  return callBackAudited(c.env, deps, clinic, target, body.staffPhone, actorOf(c.var.principal))
}

export const callsRouter = createRouter()
  .openapi(listCallsRoute, async (c) => {
    const query = c.req.valid('query')
    const { clinicId } = c.var.principal
    const cursor = decodeCursor(query.cursor)
    // Calls still ringing have no outcome yet; the list shows settled calls only.
    const { fromMs, toMs } = parseInstantRange(query.from, query.to)
    const rows = await listCalls(
      c.var.db,
      clinicId,
      {
        settledOnly: true,
        status: query.status,
        direction: query.direction,
        fromMs,
        toMs,
      },
      query.limit,
      cursor,
    )
    const page = paginate(rows, query.limit, (row) => ({ t: row.startedAt, id: row.id }))
    return c.json({ items: page.items.map(toCallItem), nextCursor: page.nextCursor }, 200)
  })
  .openapi(getCall, async (c) => {
    const { id } = c.req.valid('param')
    const { clinic, call } = await clinicCall(c.var.db, c.var.principal.clinicId, id)
    return c.json(await callStoryView(c.var.db, clinic, call), 200)
  })
  .openapi(getCallRecording, async (c) => {
    const { id } = c.req.valid('param')
    const principal = c.var.principal
    const { call } = await clinicCall(c.var.db, principal.clinicId, id)
    const audio = await recordingResponse(c.env, call, actorOf(principal))
    if (!audio) throw notFound('This call has no recording.')
    // The typed route has no binary response helper: the audio goes out as it is.
    return audio as never
  })
  .openapi(callBackRoute, async (c) => {
    const { clinic, call } = await clinicCall(
      c.var.db,
      c.var.principal.clinicId,
      c.req.valid('param').id,
    )
    return c.json(await clickToCall(c, clinic, { kind: 'call', call }, c.req.valid('json')), 202)
  })
  .openapi(conversationCallRoute, async (c) => {
    const { clinicId } = c.var.principal
    const [clinic, conversation] = await Promise.all([
      findClinic(c.var.db, clinicId),
      findClinicConversation(c.var.db, clinicId, c.req.valid('param').id),
    ])
    if (!clinic || !conversation) throw notFound('No such conversation.')
    const target = { kind: 'conversation', conversation } as const
    return c.json(await clickToCall(c, clinic, target, c.req.valid('json')), 202)
  })
  .openapi(resolveCallRoute, async (c) => {
    const { id } = c.req.valid('param')
    const { outcome } = c.req.valid('json')
    const principal = c.var.principal
    const { clinic, call } = await clinicCall(c.var.db, principal.clinicId, id)
    const resolved = await resolveAudited(
      c.env,
      { db: c.var.db, now: Date.now() },
      call,
      outcome,
      actorOf(principal),
    )
    return c.json(await callStoryView(c.var.db, clinic, resolved), 200)
  })
  .openapi(createCallback, async (c) => {
    const body = c.req.valid('json')
    const principal = c.var.principal
    const now = Date.now()
    const at = body.at ? Date.parse(body.at) : now
    if (at > now + FUTURE_TOLERANCE_MS) {
      throw badRequest('The callback time is in the future.', [
        { path: 'at', message: 'Must not be in the future' },
      ])
    }
    const clinic = await findClinic(c.var.db, principal.clinicId)
    if (!clinic) throw notFound('No such clinic.')
    const config = c.var.config
    const callee = await identifyCaller(config, clinic.id, body.phone, clinic.country)
    if (!callee.callerHash) {
      throw badRequest('The phone number is not valid.', [
        { path: 'phone', message: 'Not a phone number' },
      ])
    }
    // A callback made by hand happened: it is an answered outbound call at `at`.
    const { call, calledBack } = await recordOutboundCall(
      { env: c.env, db: c.var.db, config, now: at },
      {
        clinicId: clinic.id,
        callSid: newId('manual', at),
        trackingNumberId: null,
        callerHash: callee.callerHash,
        callerKind: callee.callerKind,
      },
      { finalCallStatus: 'completed' },
    )
    await audit(c.env, clinic.id, {
      actor: actorOf(principal),
      action: 'call.callback.logged',
      target: call.id,
      details: { calledBackCalls: calledBack.length },
    })
    return c.json({ ...toCallItem(call), calledBackCallIds: calledBack }, 201)
  })
