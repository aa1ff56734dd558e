/** Which handler runs each job type. */
import { staffAlertDigestHandler } from '../alerts/alerts'
import { notifyAttribution } from '../attribution/notify'
import { scheduledDueHandler } from '../automations/due'
import { usageReportHandler } from '../billing/usage'
import { copyRecording } from '../calls/recordings'
import { createAiReplyHandler } from '../conversations/ai-reply'
import { createConversationSendHandler } from '../conversations/send'
import { createDb } from '../db/client'
import { deliverEmailJob } from '../email/email'
import { getConfig } from '../env'
import { createConversionUploadHandler } from '../leads/conversions'
import { logWarn } from '../lib/logger'
import { createTextBackHandler } from '../textback/deliver'
import type { JobHandlers } from './consumer'
import {
  runClinicPurge,
  runClinicRollup,
  runCronFanout,
  runPlatformHousekeeping,
  runRewrapKeys,
} from './daily'

/** The daily jobs need no clean-up of their own when dead: the next run redoes what is due. */
const nothingToUndo = async () => undefined

export const jobHandlers: JobHandlers = {
  'scheduled-due': scheduledDueHandler,
  'usage-report': usageReportHandler,
  'text-back': createTextBackHandler(),
  'ai-reply': createAiReplyHandler(),
  'conversation-send': createConversationSendHandler(),
  'conversion-upload': createConversionUploadHandler(),
  'staff-alert-digest': staffAlertDigestHandler,
  'recording-copy': {
    run: (job, env) => copyRecording(job, env),
    // The audio stays at Twilio; the call keeps its key so a human can retry the copy.
    deadLetter: async (job) => {
      logWarn('recording copy dead-lettered', { clinicId: job.clinicId, callId: job.callId })
    },
  },
  email: {
    run: (job, env) => deliverEmailJob(job, { db: createDb(env.DB), config: getConfig(env) }),
    // The intent's outbox row (if the send got that far) says `failed`; nothing else to undo.
    deadLetter: async (job) => {
      logWarn('email dead-lettered', { clinicId: job.clinicId })
    },
  },
  attribution: {
    run: (job, env) => notifyAttribution(env, job.clinicId, job.event),
    // Every event is stored in D1 before it is queued, so nothing is lost: a human (or the next
    // import) re-settles the clinic with resettleClinic().
    deadLetter: async (job) => {
      logWarn('attribution job dead-lettered', { clinicId: job.clinicId, kind: job.event.kind })
    },
  },
  'cron-fanout': {
    run: (job, env) => runCronFanout(job, env),
    deadLetter: nothingToUndo,
  },
  'clinic-purge': {
    run: (job, env) => runClinicPurge(job, env),
    deadLetter: nothingToUndo,
  },
  'clinic-rollup': {
    run: (job, env) => runClinicRollup(job, env),
    deadLetter: nothingToUndo,
  },
  'platform-housekeeping': { run: runPlatformHousekeeping, deadLetter: nothingToUndo },
  'rewrap-keys': { run: runRewrapKeys, deadLetter: nothingToUndo },
}
