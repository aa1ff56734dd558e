/** The billing API's handlers and Stripe's webhook (logic in billing.service.ts). */
import { Hono } from 'hono'
import { findClinic } from '../clinic/find'
import type { AppEnv } from '../lib/context'
import { createRouter } from '../lib/create-app'
import { logInfo } from '../lib/logger'
import { notFound } from '../lib/problem'
import { billingRoutes, operatorRoute } from './billing.routes'
import {
  billingOf,
  handleStripeWebhook,
  openPortal,
  requirePlan,
  startCheckout,
} from './billing.service'
import { operatorOverview } from './operator'

async function clinicOf(c: { var: AppEnv['Variables'] }) {
  const clinic = await findClinic(c.var.db, c.var.principal.clinicId)
  if (!clinic) throw notFound()
  return clinic
}

export const billingRouter = createRouter()
  .openapi(billingRoutes.get, async (c) =>
    c.json(await billingOf(c.var.db, await clinicOf(c), Date.now()), 200),
  )
  .openapi(billingRoutes.checkout, async (c) => {
    const plan = requirePlan(c.req.valid('json').plan)
    const { db, config } = c.var
    return c.json(await startCheckout({ db, config }, await clinicOf(c), plan, Date.now()), 200)
  })
  .openapi(billingRoutes.portal, async (c) =>
    c.json(await openPortal({ config: c.var.config }, await clinicOf(c)), 200),
  )
  .openapi(operatorRoute, async (c) => {
    // Role alone is not enough: only the operator's own tenant sees across clinics.
    if (!(await clinicOf(c)).isOperator) throw notFound()
    const { rows, mrrPence } = await operatorOverview(c.var.db, Date.now())
    return c.json({ items: rows, mrrPence }, 200)
  })

/** POST /webhooks/stripe: the raw body is what Stripe signed. */
export const stripeWebhooks = new Hono<AppEnv>().post('/', async (c) => {
  const outcome = await handleStripeWebhook(
    { db: c.var.db, config: c.var.config },
    await c.req.text(),
    c.req.header('stripe-signature'),
    Date.now(),
  )
  logInfo('stripe webhook', { outcome })
  return c.json({ received: true, outcome }, 200)
})
