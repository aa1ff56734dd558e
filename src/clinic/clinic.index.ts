/**
 * Routes: clinic settings, tracking numbers and treatments. Reads are open to every role (and API
 * keys); changes need an owner or admin. The rules live in ./setup.ts, shared with the dashboard.
 */
import { createRouter } from '../lib/create-app'
import {
  addNumberRoute,
  addTreatmentRoute,
  deleteNumberRoute,
  deleteTreatmentRoute,
  getClinicRoute,
  listNumbersRoute,
  listTreatmentsRoute,
  patchClinicRoute,
  patchNumberRoute,
  patchTreatmentRoute,
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

export const clinicRouter = createRouter()
  .openapi(getClinicRoute, async (c) =>
    c.json(await getClinic(c.var.db, c.var.principal.clinicId), 200),
  )
  .openapi(patchClinicRoute, async (c) => {
    const clinic = await updateClinic(c.var.db, c.env, c.var.principal, c.req.valid('json'))
    return c.json(clinic, 200)
  })
  .openapi(addNumberRoute, async (c) => {
    const number = await addTrackingNumber(c.var.db, c.env, c.var.principal, c.req.valid('json'))
    return c.json(number, 201)
  })
  .openapi(listNumbersRoute, async (c) => {
    const page = c.req.valid('query')
    return c.json(await listTrackingNumbers(c.var.db, c.var.principal.clinicId, page), 200)
  })
  .openapi(patchNumberRoute, async (c) => {
    const { id } = c.req.valid('param')
    const number = await updateTrackingNumber(
      c.var.db,
      c.env,
      c.var.principal,
      id,
      c.req.valid('json'),
    )
    return c.json(number, 200)
  })
  .openapi(deleteNumberRoute, async (c) => {
    await removeTrackingNumber(c.var.db, c.env, c.var.principal, c.req.valid('param').id)
    return c.body(null, 204)
  })
  .openapi(addTreatmentRoute, async (c) => {
    const treatment = await addTreatment(c.var.db, c.env, c.var.principal, c.req.valid('json'))
    return c.json(treatment, 201)
  })
  .openapi(listTreatmentsRoute, async (c) => {
    const page = c.req.valid('query')
    return c.json(await listTreatments(c.var.db, c.var.principal.clinicId, page), 200)
  })
  .openapi(patchTreatmentRoute, async (c) => {
    const { id } = c.req.valid('param')
    const treatment = await updateTreatment(
      c.var.db,
      c.env,
      c.var.principal,
      id,
      c.req.valid('json'),
    )
    return c.json(treatment, 200)
  })
  .openapi(deleteTreatmentRoute, async (c) => {
    await removeTreatment(c.var.db, c.env, c.var.principal, c.req.valid('param').id)
    return c.body(null, 204)
  })
