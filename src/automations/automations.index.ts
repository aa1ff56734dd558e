/** The automations API's handlers (routes in automations.routes.ts, logic in the service). */
import { createRouter } from '../lib/create-app'
import { automationRoutes } from './automations.routes'
import {
  createAutomation,
  deleteAutomation,
  listAutomationRuns,
  listAutomations,
  updateAutomation,
} from './automations.service'

export const automationsRouter = createRouter()
  .openapi(automationRoutes.list, async (c) => {
    const { db, principal } = c.var
    return c.json(await listAutomations(db, principal.clinicId, c.req.valid('query')), 200)
  })
  .openapi(automationRoutes.create, async (c) => {
    const { db, principal } = c.var
    return c.json(await createAutomation(db, c.env, principal, c.req.valid('json')), 201)
  })
  .openapi(automationRoutes.patch, async (c) => {
    const { db, principal } = c.var
    const { id } = c.req.valid('param')
    return c.json(await updateAutomation(db, c.env, principal, id, c.req.valid('json')), 200)
  })
  .openapi(automationRoutes.remove, async (c) => {
    const { db, principal } = c.var
    await deleteAutomation(db, c.env, principal, c.req.valid('param').id)
    return c.body(null, 204)
  })
  .openapi(automationRoutes.runs, async (c) => {
    const { db, principal } = c.var
    const { id } = c.req.valid('param')
    return c.json(await listAutomationRuns(db, principal.clinicId, id, c.req.valid('query')), 200)
  })
