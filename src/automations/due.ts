/**
 * The `scheduled-due` job: what the clinic's Durable Object found due — automated messages
 * (`sch_…`, src/automations/deliver.ts) and automation runs (`arn_…`, engine.ts). Each id is
 * handled on its own and idempotently; a transient failure (Twilio down, a send in flight) makes
 * the job retry after the others are done, and a redone id that already went changes nothing.
 */

import { eq } from 'drizzle-orm'
import { isDigestWake, sendWeeklyDigest } from '../billing/weekly-digest'
import type { Db } from '../db/client'
import { ownedBy } from '../db/clinic-row'
import { scheduledMessages } from '../db/schema'
import type { JobHandler } from '../jobs/consumer'
import { PermanentJobError, RetryLaterError } from '../jobs/consumer'
import { type JobDeps, withJobIo } from '../jobs/deps'
import type { ScheduledDueJob } from '../jobs/messages'
import { logError } from '../lib/logger'
import { deliverScheduled } from './deliver'
import { emitTrigger, runAutomation } from './engine'

export const runScheduledDue = withJobIo<ScheduledDueJob, Record<string, string>, JobDeps>(
  async (job, ctx) => {
    const { db, config, env, now, deps } = ctx
    const outcomes: Record<string, string> = {}
    let retry = false
    for (const id of job.ids) {
      try {
        outcomes[id] = isDigestWake(id)
          ? `digest to ${await sendWeeklyDigest({ env, db, config }, id, now())}`
          : id.startsWith('arn_')
            ? await runAutomation({ env, db, config, now }, job.clinicId, id)
            : await deliverScheduled(
                { db, config, env, now, ...(deps.fetch ? { fetch: deps.fetch } : {}) },
                job.clinicId,
                id,
                (row) =>
                  emitTrigger(env, db, {
                    clinicId: row.clinicId,
                    trigger: 'no-reply',
                    key: row.ref,
                    at: now(),
                    contactHash: row.recipientHash,
                    subject: { callId: row.ref, channel: 'call' },
                  }).then(() => undefined),
              )
      } catch (err) {
        if (err instanceof PermanentJobError) {
          await markFailed(db, job.clinicId, id, err.message)
          outcomes[id] = 'failed'
          continue
        }
        logError('scheduled item failed', err, { clinicId: job.clinicId })
        outcomes[id] = 'retry'
        retry = true
      }
    }
    if (retry) throw new RetryLaterError('some scheduled items will be retried', 30)
    return outcomes
  },
)

async function markFailed(db: Db, clinicId: string, id: string, reason: string) {
  await db
    .update(scheduledMessages)
    .set({ status: 'failed', reason, updatedAt: Date.now() })
    .where(ownedBy(scheduledMessages, clinicId, eq(scheduledMessages.id, id)))
}

export const scheduledDueHandler: JobHandler<ScheduledDueJob> = {
  run: (job, env) => runScheduledDue(job, env).then(() => undefined),
  // Retries ran out: what was still pending stays pending, and the daily sweep wakes it again.
  deadLetter: async (job) => {
    logError('scheduled items dead-lettered', new Error('dead letter'), {
      clinicId: job.clinicId,
      items: job.ids.length,
    })
  },
}
