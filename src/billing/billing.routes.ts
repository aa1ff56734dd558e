/**
 * The billing API (CONTRACT "Billing and email"): the owner reads the clinic's plan, status and
 * usage, opens Checkout to subscribe and the Customer Portal to manage cards and invoices.
 */
import { z } from '@hono/zod-openapi'
import { answers, withBody } from '../auth/openapi'
import { guardedRoutes } from '../auth/route'
import { PLAN_KEYS } from './plans'

const route = guardedRoutes('Billing')

const BillingSchema = z
  .object({
    plan: z.enum(PLAN_KEYS as [string, ...string[]]).nullable(),
    status: z.enum(['trialing', 'active', 'past_due', 'canceled', 'none']),
    currentPeriodEnd: z.string().nullable(),
    contractEndsAt: z.string().nullable(),
    usage: z.object({
      smsSegments: z.number().int(),
      aiReplies: z.number().int(),
    }),
  })
  .openapi('Billing')

const UrlSchema = z.object({ url: z.string() }).openapi('RedirectUrl')

export const billingRoutes = {
  get: route('billing:manage', 'get /billing', {
    summary: "The clinic's plan, subscription status and this month's usage (owner)",
    responses: answers(200, BillingSchema, 'Billing', 401, 403),
  }),
  checkout: route('billing:manage', 'post /billing/checkout', {
    summary: 'Open Stripe Checkout to subscribe (a 14-day trial the first time)',
    ...withBody(
      200,
      z.object({ plan: z.enum(PLAN_KEYS as [string, ...string[]]) }),
      UrlSchema,
      'Where to send the owner',
      409,
    ),
  }),
  portal: route('billing:manage', 'post /billing/portal', {
    summary: 'Open the Stripe Customer Portal (cards, invoices, cancelling)',
    responses: answers(200, UrlSchema, 'Where to send the owner', 401, 403, 409),
  }),
}

const OperatorClinicSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    plan: z.string().nullable(),
    status: z.string(),
    locations: z.number().int(),
    mrrPence: z.number().int(),
    smsSegments: z.number().int(),
    aiReplies: z.number().int(),
    lastCallAt: z.number().nullable(),
    createdAt: z.number(),
  })
  .openapi('OperatorClinic')

/** The operator's own tenant only (404 for any other clinic): every clinic, no patient data. */
export const operatorRoute = route('operator:view', 'get /operator/clinics', {
  summary: "Every clinic's plan, status, MRR, this month's usage and last call (operator only)",
  responses: answers(
    200,
    z.object({ items: z.array(OperatorClinicSchema), mrrPence: z.number().int() }),
    'The clinics',
    401,
    403,
    404,
  ),
})
