/** Route definitions (zod + OpenAPI) for the clinic's failed background jobs (v1.1 extension). */

import { z } from '@hono/zod-openapi'
import { answers, listing } from '../auth/openapi'
import { guardedRoutes } from '../auth/route'

const route = guardedRoutes('Jobs')

export const JobFailureSchema = z
  .object({
    id: z.string().openapi({ example: 'jf_3f2a9c1e0b7d4a65c8e1f0a2b3c4d5e6' }),
    jobType: z.string().openapi({ example: 'text-back' }),
    ref: z.string().openapi({
      description: 'What failed: a call or message id, a run date, or a hashed email key.',
      example: 'call:call_01JD2Z8Y3K4M5N6P7Q8R9S0T1V',
    }),
    count: z.number().int(),
    firstFailedAt: z.string(),
    lastFailedAt: z.string(),
    resolvedAt: z.string().nullable(),
  })
  .openapi('JobFailure')

export const listJobFailuresRoute = route('jobs:read', 'get /jobs/failures', {
  summary: 'Background jobs that failed after every retry, newest failure first',
  ...listing(JobFailureSchema, 'A page of failure records'),
})

export const resolveJobFailureRoute = route('jobs:write', 'post /jobs/failures/{id}/resolve', {
  summary: 'Marks a failure as looked after (a new failure of the same job reopens it)',
  request: { params: z.object({ id: z.string().min(1).max(100) }) },
  responses: answers(200, JobFailureSchema, 'The resolved record', 401, 403, 404),
})
