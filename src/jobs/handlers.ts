/** Which handler runs each job type. */
import { notifyAttribution } from '../attribution/notify'
import { createTextBackHandler } from '../textback/deliver'
import type { JobHandlers } from './consumer'

export const jobHandlers: JobHandlers = {
  'text-back': createTextBackHandler(),
  attribution: {
    run: (job, env) => notifyAttribution(env, job.clinicId, job.event),
    // Every event is stored in D1 before it is queued, so nothing is lost: a human (or the next
    // import) re-settles the clinic with resettleClinic().
    deadLetter: async (job) => {
      console.error(
        JSON.stringify({
          level: 'error',
          msg: 'attribution job dead-lettered',
          clinicId: job.clinicId,
          kind: job.event.kind,
        }),
      )
    },
  },
}
