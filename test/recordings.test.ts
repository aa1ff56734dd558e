/**
 * Voicemail audio is copied from Twilio into R2 under the call's key and then deleted at Twilio,
 * through a queued job; erased calls never get their audio back; sandbox mode copies nothing.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { copyRecording } from '../src/calls/recordings'
import { calls } from '../src/db/schema'
import { getConfig } from '../src/env'
import type { RecordingCopyJob } from '../src/jobs/messages'
import { createClinic, db, newCallSid, newMobile, spyOnJobs, voice } from './helpers/voice'

const ACCOUNT = `AC${'a'.repeat(32)}`
const realConfig = () => {
  const config = getConfig(env)
  return {
    ...config,
    twilio: {
      ...config.twilio,
      accountSid: ACCOUNT,
      authToken: 'real-token',
      apiBaseUrl: 'https://fake-twilio.test',
      sandbox: false,
    },
  }
}

type Seen = { method: string; url: string; auth: string | null }

function fakeTwilio(audioStatus = 200) {
  const seen: Seen[] = []
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    seen.push({
      method: request.method,
      url: request.url,
      auth: request.headers.get('authorization'),
    })
    if (request.method === 'DELETE') return new Response(null, { status: 204 })
    return audioStatus === 200
      ? new Response(new Uint8Array([73, 68, 51, 4]), { status: 200 })
      : new Response('{}', { status: audioStatus })
  }) as typeof fetch
  return { seen, fetcher }
}

let jobs: ReturnType<typeof spyOnJobs>
afterEach(() => jobs?.restore())

async function voicemail(): Promise<RecordingCopyJob> {
  const clinic = await createClinic()
  jobs = spyOnJobs()
  const call = { CallSid: newCallSid(), From: newMobile(), To: clinic.trackingNumber }
  await voice.incoming(call)
  await voice.dialResult(call, 'no-answer')
  expect((await voice.recording(call.CallSid, 14)).status).toBe(200)
  const job = jobs.others.find((j): j is RecordingCopyJob => j.type === 'recording-copy')
  if (!job) throw new Error('no recording-copy job queued')
  return job
}

describe('voicemail recordings', () => {
  it('queues a copy job naming the key stored on the call, not Twilio’s URL', async () => {
    const job = await voicemail()
    const [row] = await db.select().from(calls).where(eq(calls.id, job.callId))
    expect(row?.recordingKey).toBe(job.key)
    expect(row?.status).toBe('voicemail')
    expect(JSON.stringify(job)).not.toContain('https://')
  })

  it('copies the audio into R2 and deletes it at Twilio', async () => {
    const job = await voicemail()
    const twilio = fakeTwilio()
    expect(await copyRecording(job, env, { fetch: twilio.fetcher, config: realConfig() })).toBe(
      'copied',
    )
    const object = await env.BLOBS.get(job.key)
    expect(object?.httpMetadata?.contentType).toBe('audio/mpeg')
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(new Uint8Array([73, 68, 51, 4]))
    expect(twilio.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      `GET https://fake-twilio.test/2010-04-01/Accounts/${ACCOUNT}/Recordings/${job.recordingSid}.mp3`,
      `DELETE https://fake-twilio.test/2010-04-01/Accounts/${ACCOUNT}/Recordings/${job.recordingSid}.json`,
    ])
    expect(twilio.seen[0]?.auth).toBe(`Basic ${btoa(`${ACCOUNT}:real-token`)}`)
    // A redelivered job does not download again.
    const again = fakeTwilio()
    expect(await copyRecording(job, env, { fetch: again.fetcher, config: realConfig() })).toBe(
      'already-copied',
    )
    expect(again.seen.map((s) => s.method)).toEqual(['DELETE'])
  })

  it('never brings back the audio of a call erased or purged in the meantime', async () => {
    const job = await voicemail()
    await db.update(calls).set({ recordingKey: null }).where(eq(calls.id, job.callId))
    const twilio = fakeTwilio()
    expect(await copyRecording(job, env, { fetch: twilio.fetcher, config: realConfig() })).toBe(
      'erased',
    )
    expect(twilio.seen).toHaveLength(0)
    expect(await env.BLOBS.head(job.key)).toBeNull()
  })

  it('copies nothing in sandbox mode, and reports a recording Twilio no longer has', async () => {
    const job = await voicemail()
    expect(await copyRecording(job, env)).toBe('sandbox')
    const gone = fakeTwilio(404)
    expect(await copyRecording(job, env, { fetch: gone.fetcher, config: realConfig() })).toBe(
      'gone',
    )
    expect(await env.BLOBS.head(job.key)).toBeNull()
  })
})
