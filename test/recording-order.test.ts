/**
 * A recording callback that overtakes its call's first webhook is parked (sids and a duration,
 * never a number) and merged when the call arrives: the call ends as a voicemail with its copy
 * job queued, whichever order the deliveries come in.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PENDING_RECORDING_TTL_MS } from '../src/calls/pending'
import { pendingRecordings } from '../src/db/schema'
import { createTestClinic } from './helpers/clinic'
import { postTwilio } from './helpers/twilio'
import {
  type CallParams,
  callRow,
  db,
  newCallSid,
  newMobile,
  spyOnJobs,
  voice,
} from './helpers/voice'

let jobs: ReturnType<typeof spyOnJobs>
beforeEach(() => {
  jobs = spyOnJobs()
})
afterEach(() => jobs.restore())

async function newCall() {
  const clinic = await createTestClinic()
  const p: CallParams = { CallSid: newCallSid(), From: newMobile(), To: clinic.trackingNumber }
  return { clinic, p }
}

const parked = (callSid: string) =>
  db.select().from(pendingRecordings).where(eq(pendingRecordings.callSid, callSid))
const copies = () => jobs.others.filter((j) => j.type === 'recording-copy')

describe('a recording callback before its call', () => {
  it('recording first, then the call: a voicemail with one copy job and one text-back', async () => {
    const { clinic, p } = await newCall()
    const early = await voice.recording(p.CallSid, 17, 'rec-1')
    expect(early.status).toBe(200)
    const [row] = await parked(p.CallSid)
    // Only sids, a duration and a time: nothing that identifies the caller.
    expect(Object.keys(row ?? {}).sort()).toEqual([
      'callSid',
      'receivedAt',
      'recordingSid',
      'seconds',
    ])
    expect(JSON.stringify(row)).not.toContain(p.From.slice(1))

    await voice.incoming(p)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'voicemail',
      voicemailSeconds: 17,
      recordingKey: `recordings/${clinic.clinicId}/RE${p.CallSid.slice(2)}`,
      textBackStatus: 'queued',
    })
    expect(copies()).toHaveLength(1)
    expect(jobs.sent).toHaveLength(1)
    expect(await parked(p.CallSid)).toHaveLength(0)

    // The rest of the call, and a replay of the recording callback, change nothing more.
    await voice.dialResult(p, 'no-answer')
    await voice.status(p, 'completed')
    await voice.recording(p.CallSid, 17, 'rec-1')
    expect((await callRow(clinic.clinicId, p.CallSid))?.status).toBe('voicemail')
    expect(copies()).toHaveLength(1)
    expect(jobs.sent).toHaveLength(1)
  })

  it('recording first, then the dial result as the first webhook: a voicemail', async () => {
    const { clinic, p } = await newCall()
    await voice.recording(p.CallSid, 9)
    await voice.dialResult(p, 'no-answer')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'voicemail',
      voicemailSeconds: 9,
    })
    expect(copies()).toHaveLength(1)
    expect(await parked(p.CallSid)).toHaveLength(0)
  })

  it('the normal order (call, dial result, recording) still ends as a voicemail and parks nothing', async () => {
    const { clinic, p } = await newCall()
    await voice.incoming(p)
    await voice.dialResult(p, 'no-answer')
    await voice.recording(p.CallSid, 11)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'voicemail',
      voicemailSeconds: 11,
    })
    expect(copies()).toHaveLength(1)
    expect(await parked(p.CallSid)).toHaveLength(0)
  })

  it('an absurd duration is parked and merged capped at a day', async () => {
    const { clinic, p } = await newCall()
    await voice.recording(p.CallSid, 99_999_999_999)
    expect((await parked(p.CallSid))[0]?.seconds).toBe(24 * 3600)
    await voice.incoming(p)
    expect((await callRow(clinic.clinicId, p.CallSid))?.voicemailSeconds).toBe(24 * 3600)
  })

  it('an empty or unfinished recording parks nothing', async () => {
    const { p } = await newCall()
    await voice.recording(p.CallSid, 0)
    await postTwilio('/webhooks/twilio/voice/recording', {
      CallSid: p.CallSid,
      RecordingSid: `RE${p.CallSid.slice(2)}`,
      RecordingStatus: 'failed',
      RecordingDuration: '5',
    })
    expect(await parked(p.CallSid)).toHaveLength(0)
  })

  it('a malformed RecordingSid is a 400 problem and parks nothing', async () => {
    const { p } = await newCall()
    const res = await postTwilio('/webhooks/twilio/voice/recording', {
      CallSid: p.CallSid,
      RecordingSid: 'not a sid!',
      RecordingStatus: 'completed',
      RecordingDuration: '5',
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(await parked(p.CallSid)).toHaveLength(0)
  })

  it('a parked recording whose call never came is dropped after a day', async () => {
    const { p } = await newCall()
    await voice.recording(p.CallSid, 5)
    await env.DB.prepare('UPDATE pending_recordings SET received_at = ? WHERE call_sid = ?')
      .bind(Date.now() - PENDING_RECORDING_TTL_MS - 1000, p.CallSid)
      .run()
    const other = await newCall()
    await voice.recording(other.p.CallSid, 5)
    expect(await parked(p.CallSid)).toHaveLength(0)
    expect(await parked(other.p.CallSid)).toHaveLength(1)
  })
})
