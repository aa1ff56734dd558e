/**
 * Routes (mounted at /api/v1): the clinic's failed background jobs, for owners and admins.
 * Every query is scoped to the caller's clinic; another clinic's record answers 404.
 */
import { and, eq } from 'drizzle-orm'
import { jobFailures } from '../db/schema'
import { createRouter } from '../lib/create-app'
import { decodeCursor, paginate } from '../lib/pagination'
import { notFound } from '../lib/problem'
import { toIso, toIsoOrNull } from '../lib/time'
import { type JobFailureRow, listJobFailures } from './failures'
import { listJobFailuresRoute, resolveJobFailureRoute } from './jobs.routes'

function failureView(r: JobFailureRow) {
  return {
    id: r.id,
    jobType: r.jobType,
    ref: r.ref,
    count: r.count,
    firstFailedAt: toIso(r.firstFailedAt),
    lastFailedAt: toIso(r.lastFailedAt),
    resolvedAt: toIsoOrNull(r.resolvedAt),
  }
}

export const jobsRouter = createRouter()
  .openapi(listJobFailuresRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query')
    const rows = await listJobFailures(
      c.env.DB,
      c.var.principal.clinicId,
      limit,
      decodeCursor(cursor),
    )
    const page = paginate(rows, limit, (r) => ({ t: r.lastFailedAt, id: r.id }))
    return c.json({ items: page.items.map(failureView), nextCursor: page.nextCursor }, 200)
  })
  .openapi(resolveJobFailureRoute, async (c) => {
    const id = c.req.valid('param').id
    const clinicId = c.var.principal.clinicId
    const where = and(eq(jobFailures.clinicId, clinicId), eq(jobFailures.id, id))
    const [existing] = await c.var.db.select().from(jobFailures).where(where).limit(1)
    if (!existing) throw notFound()
    if (existing.resolvedAt !== null) return c.json(failureView(existing), 200)
    const [row] = await c.var.db
      .update(jobFailures)
      .set({ resolvedAt: Date.now() })
      .where(where)
      .returning()
    return c.json(failureView(row ?? existing), 200)
  })
