/** The billing API's handlers and Stripe's webhook (logic in billing.service.ts). */
import { Hono } from 'hono'
import { findClinic } from '../clinic/find'
import type { AppEnv } from '../lib/context'
import { createRouter } from '../lib/create-app'
import { logInfo } from '../lib/logger'
import { notFound } from '../lib/problem'
import { billingRoutes } from './billing.routes'
import {
  billingOf,
  handleStripeWebhook,
  openPortal,
  requirePlan,
  startCheckout,
} from './billing.service'

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
