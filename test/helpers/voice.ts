/**
 * Fixtures for the voice-webhook tests: a Twilio call's deliveries as form params, the queue
 * spied on (so text-back jobs are counted, not consumed), and D1 read-backs.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { vi } from 'vitest'
import { createDb } from '../../src/db/client'
import { calls, outboundMessages } from '../../src/db/schema'
import type { AttributionJob, JobMessage, TextBackJob } from '../../src/jobs/messages'
import { createTestClinic } from './clinic'
import { postTwilio } from './twilio'

export const db = createDb(env.DB)

let sidCounter = 0
/** A fresh, valid-looking CallSid. */
export function newCallSid(): string {
  sidCounter++
  return `CA${crypto.randomUUID().replace(/-/g, '')}${String(sidCounter).padStart(2, '0')}`.slice(
    0,
    34,
  )
}

let mobileCounter = 100
/** A fresh UK drama-range mobile (+447700900xxx): treated as a mobile, never a real person. */
export function newMobile(): string {
  mobileCounter = (mobileCounter + 1) % 1000
  return `+447700900${String(mobileCounter).padStart(3, '0')}`
}

/** Captures queued jobs instead of letting the consumer run them: text-backs and attribution events apart. */
export function spyOnJobs() {
  const sent: TextBackJob[] = []
  const attribution: AttributionJob[] = []
  const others: JobMessage[] = []
  // The JOBS binding is typed as wrangler generates it (`Queue`, any body): the Worker sends JobMessages.
  const spy = vi.spyOn(env.JOBS, 'send').mockImplementation(async (body: unknown) => {
    const message = body as JobMessage
    if (message.type === 'text-back') sent.push(message)
    else if (message.type === 'attribution') attribution.push(message)
    else others.push(message)
    return { metadata: {} } as unknown as QueueSendResponse
  })
  return { sent, attribution, others, restore: () => spy.mockRestore() }
}

export type CallParams = { CallSid: string; From: string; To: string }

export const voice = {
  incoming: (p: CallParams, token?: string) =>
    postTwilio(
      '/webhooks/twilio/voice',
      { ...p, Direction: 'inbound', CallStatus: 'ringing' },
      { idempotencyToken: token },
    ),
  dialResult: (p: CallParams, dialCallStatus: string, token?: string) =>
    postTwilio(
      '/webhooks/twilio/voice/dial-result',
      { ...p, Direction: 'inbound', CallStatus: 'in-progress', DialCallStatus: dialCallStatus },
      { idempotencyToken: token },
    ),
  recording: (
    callSid: string,
    seconds: number,
    token?: string,
    recordingSid = `RE${callSid.slice(2)}`,
  ) =>
    postTwilio(
      '/webhooks/twilio/voice/recording',
      {
        CallSid: callSid,
        RecordingSid: recordingSid,
        RecordingStatus: 'completed',
        RecordingDuration: String(seconds),
        RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/${recordingSid}`,
      },
      { idempotencyToken: token },
    ),
  status: (p: CallParams, callStatus: string, token?: string, direction = 'inbound') =>
    postTwilio(
      '/webhooks/twilio/voice/status',
      { ...p, Direction: direction, CallStatus: callStatus, CallDuration: '0' },
      { idempotencyToken: token },
    ),
}

export async function callRow(clinicId: string, callSid: string) {
  const rows = await db.select().from(calls).where(eq(calls.callSid, callSid))
  return rows.find((r) => r.clinicId === clinicId) ?? null
}

export async function textBacksFor(clinicId: string) {
  return (
    await db.select().from(outboundMessages).where(eq(outboundMessages.clinicId, clinicId))
  ).filter((m) => m.kind === 'text-back')
}

/** The voice tests' clinic: `createTestClinic` (its tracking numbers no longer collide, so no retry). */
export const createClinic = createTestClinic
