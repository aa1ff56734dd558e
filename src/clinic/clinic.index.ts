/**
 * Routes: clinic settings, tracking numbers and treatments. Reads are open to every role (and API
 * keys); changes need an owner or admin. The rules live in ./setup.ts, shared with the dashboard.
 */

import type { z } from '@hono/zod-openapi'
import type { Db } from '../db/client'
import type { Bindings } from '../env'
import type { Principal } from '../lib/context'
import type { AppRouter } from '../lib/create-app'
import { createRouter } from '../lib/create-app'
import {
  type CollectionRoutes,
  getClinicRoute,
  numberRoutes,
  patchClinicRoute,
  treatmentRoutes,
} from './clinic.routes'
import {
  addTrackingNumber,
  addTreatment,
  getClinic,
  listTrackingNumbers,
  listTreatments,
  removeTrackingNumber,
  removeTreatment,
  updateClinic,
  updateTrackingNumber,
  updateTreatment,
} from './setup'

type Page = { limit: number; cursor?: string | undefined }

/** What a clinic-owned collection's service does; the rules live in ./setup.ts. */
type CollectionService<New, Patch, Item> = {
  add(db: Db, env: Bindings, principal: Principal, input: New): Promise<Item>
  list(db: Db, clinicId: string, page: Page): Promise<{ items: Item[]; nextCursor: string | null }>
  update(db: Db, env: Bindings, principal: Principal, id: string, input: Patch): Promise<Item>
  remove(db: Db, env: Bindings, principal: Principal, id: string): Promise<void>
}

/**
 * Serves the four routes of `collectionRoutes` with a collection's service. The service's types
 * are checked against the route's schemas where it is called; inside, hono cannot follow the
 * generic schemas, hence the casts.
 */
function serveCollection<
  P extends `/${string}`,
  I extends z.ZodType,
  N extends z.ZodType,
  U extends z.ZodType,
>(
  router: AppRouter,
  routes: CollectionRoutes<P, I, N, U>,
  service: CollectionService<z.output<N>, z.output<U>, z.output<I>>,
): void {
  router.openapi(routes.add, async (c) => {
    const input = c.req.valid('json' as never) as z.output<N>
    const item = await service.add(c.var.db, c.env, c.var.principal, input)
    return c.json(item as never, 201)
  })
  router.openapi(routes.list, async (c) => {
    const page = await service.list(c.var.db, c.var.principal.clinicId, c.req.valid('query'))
    return c.json(page as never, 200)
  })
  router.openapi(routes.patch, async (c) => {
    const { id } = c.req.valid('param' as never) as { id: string }
    const input = c.req.valid('json' as never) as z.output<U>
    const item = await service.update(c.var.db, c.env, c.var.principal, id, input)
    return c.json(item as never, 200)
  })
  router.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid('param' as never) as { id: string }
    await service.remove(c.var.db, c.env, c.var.principal, id)
    return c.body(null, 204)
  })
}

export const clinicRouter = createRouter()
  .openapi(getClinicRoute, async (c) =>
    c.json(await getClinic(c.var.db, c.var.principal.clinicId), 200),
  )
  .openapi(patchClinicRoute, async (c) => {
    const clinic = await updateClinic(c.var.db, c.env, c.var.principal, c.req.valid('json'))
    return c.json(clinic, 200)
  })

serveCollection(clinicRouter, numberRoutes, {
  add: addTrackingNumber,
  list: listTrackingNumbers,
  update: updateTrackingNumber,
  remove: removeTrackingNumber,
})
serveCollection(clinicRouter, treatmentRoutes, {
  add: addTreatment,
  list: listTreatments,
  update: updateTreatment,
  remove: removeTreatment,
})
