/**
 * Voicemail audio: the recording webhook stores only an R2 key on the call and queues a
 * `recording-copy` job. The job downloads the MP3 from Twilio (Basic auth, URL built from our own
 * account SID and the recording SID — never from a URL in the webhook), writes it to R2 under the
 * key, then deletes it at Twilio so the only copy lives under the clinic's retention (purges and
 * erasure delete the R2 object; see src/privacy/purge.ts). Sandbox mode has no audio to copy.
 */

import { and, eq } from 'drizzle-orm'
import { calls } from '../db/schema'
import { PermanentJobError } from '../jobs/consumer'
import { type JobDeps, withJobIo } from '../jobs/deps'
import type { RecordingCopyJob } from '../jobs/messages'
import { createTwilioClient, TwilioApiError } from '../twilio/client'

export type RecordingDeps = JobDeps

export type RecordingCopyOutcome = 'copied' | 'already-copied' | 'sandbox' | 'gone' | 'erased'

export const copyRecording = withJobIo<RecordingCopyJob, RecordingCopyOutcome, RecordingDeps>(
  async (job, ctx) => {
    const { db, config, env, deps } = ctx
    // The call may have been purged or erased since: never bring its audio back.
    const [call] = await db
      .select({ key: calls.recordingKey })
      .from(calls)
      .where(and(eq(calls.clinicId, job.clinicId), eq(calls.id, job.callId)))
      .limit(1)
    if (call?.key !== job.key) return 'erased'
    const twilio = createTwilioClient(config, deps.fetch ?? fetch)
    if (twilio.sandbox) return 'sandbox'
    if (await env.BLOBS.head(job.key)) {
      await twilio.deleteRecording(job.recordingSid)
      return 'already-copied'
    }
    let audio: ArrayBuffer | null
    try {
      audio = await twilio.downloadRecording(job.recordingSid)
    } catch (err) {
      if (err instanceof TwilioApiError && err.permanent) throw new PermanentJobError(err.message)
      throw err
    }
    if (!audio) return 'gone'
    await env.BLOBS.put(job.key, audio, {
      httpMetadata: { contentType: 'audio/mpeg' },
      customMetadata: { clinicId: job.clinicId, callId: job.callId },
    })
    await twilio.deleteRecording(job.recordingSid)
    return 'copied'
  },
)
