/**
 * Shared fixtures for the text-back, messaging and outbox tests: what the missed-call decision
 * (issue 2, H2) leaves behind — a missed call, a queued outbox row and its queue message — and a
 * local fake of Twilio's Messages API that records the real HTTP requests.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { createDb } from '../src/db/client'
import { calls, outboundMessages, trackingNumbers } from '../src/db/schema'
import { type Config, getConfig } from '../src/env'
import type { TextBackJob } from '../src/jobs/messages'
import { newId } from '../src/lib/ids'
import { maskPhone } from '../src/phone/phone'
import { clinicKeyring, contactHash } from '../src/privacy/crypto'
import type { TestClinic } from './helpers/clinic'

export const CALLER = '+447700900123'
export const BODY = 'Sorry we missed your call - reply here or ring back to book.'
export const ACCOUNT_SID = `AC${'1'.repeat(32)}`
export const FAKE_TWILIO = 'http://fake-twilio.test'

export const db = createDb(env.DB)

/** The configuration with a real (fake-pointed) Twilio account instead of sandbox mode. */
export function liveConfig(): Config {
  const base = getConfig(env)
  return {
    ...base,
    twilio: { ...base.twilio, accountSid: ACCOUNT_SID, apiBaseUrl: FAKE_TWILIO, sandbox: false },
  }
}

export type Recorded = { url: string; method: string; auth: string | null; form: URLSearchParams }

/** A local fake of Twilio's Messages API: records each request and answers from a script. */
export function fakeTwilio(script: (n: number) => Response | Error = () => accepted()) {
  const requests: Recorded[] = []
  const fetcher: typeof fetch = async (input, init) => {
    const req = new Request(input, init)
    requests.push({
      url: req.url,
      method: req.method,
      auth: req.headers.get('authorization'),
      // The client posts a URLSearchParams body; read it back the same way.
      form: new URLSearchParams(
        init?.body instanceof URLSearchParams ? init.body : await req.text(),
      ),
    })
    const answer = script(requests.length)
    if (answer instanceof Error) throw answer
    return answer
  }
  return { fetch: fetcher, requests }
}

export function accepted(sid = `SM${'a'.repeat(32)}`): Response {
  return Response.json({ sid, status: 'queued' }, { status: 201 })
}

export function twilioError(status: number, code: number): Response {
  return Response.json(
    { code, message: `The 'To' number ${CALLER} is not valid`, status },
    { status },
  )
}

/** What H2's missed-call decision leaves behind: a missed call, a queued outbox row and a job. */
export async function missedCallWithTextBack(clinic: TestClinic, caller = CALLER) {
  const config = getConfig(env)
  const [line] = await db
    .select()
    .from(trackingNumbers)
    .where(eq(trackingNumbers.clinicId, clinic.clinicId))
  const callId = newId('call')
  const callerHash = await contactHash(config, clinic.clinicId, caller)
  await db.insert(calls).values({
    id: callId,
    clinicId: clinic.clinicId,
    callSid: `CA${crypto.randomUUID().replace(/-/g, '')}`,
    trackingNumberId: line!.id,
    direction: 'inbound',
    callerHash,
    callerKind: 'mobile',
    startedAt: Date.now() - 60_000,
    status: 'missed',
    dialOutcome: 'missed',
    textBackStatus: 'queued',
  })
  const keyring = await clinicKeyring(db, config, clinic.clinicId)
  const outboxId = newId('out')
  await db.insert(outboundMessages).values({
    id: outboxId,
    clinicId: clinic.clinicId,
    dedupeKey: `text-back:${callId}`,
    kind: 'text-back',
    channel: 'sms',
    callId,
    recipientHash: callerHash,
    toSealed: null,
    toMasked: maskPhone(caller),
    bodySealed: await keyring.seal(BODY),
    status: 'queued',
  })
  const job: TextBackJob = {
    type: 'text-back',
    clinicId: clinic.clinicId,
    callId,
    outboxId,
    toSealed: await keyring.seal(caller),
  }
  return { job, callId, outboxId, callerHash, trackingNumber: line!.phoneNumber }
}

export async function outboxRow(clinicId: string, id: string) {
  const [row] = await db
    .select()
    .from(outboundMessages)
    .where(and(eq(outboundMessages.clinicId, clinicId), eq(outboundMessages.id, id)))
  return row!
}

export async function callRow(clinicId: string, id: string) {
  const [row] = await db
    .select()
    .from(calls)
    .where(and(eq(calls.clinicId, clinicId), eq(calls.id, id)))
  return row!
}
