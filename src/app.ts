/**
 * Builds the Hono app: shared middleware, then each feature's routes. Webhooks are mounted
 * before (and outside) anything that checks Origin, because Twilio posts cross-site with none.
 */

import { OpenAPIHono } from '@hono/zod-openapi'
import { Scalar } from '@scalar/hono-api-reference'
import type { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import pkg from '../package.json'
import { appointmentsRouter } from './appointments/appointments.index'
import { authRouter } from './auth/auth.index'
import { automationsRouter } from './automations/automations.index'
import { billingRouter, stripeWebhooks } from './billing/billing.index'
import { callsRouter } from './calls/calls.index'
import { voiceWebhooks } from './calls/voice.index'
import { clinicRouter } from './clinic/clinic.index'
import { conversationsRouter } from './conversations/conversations.index'
import { dashboardRouter } from './dashboard/dashboard.index'
import { hostedForms } from './dashboard/pages/hosted-form.page'
import { createDb } from './db/client'
import { handleResendWebhook } from './email/resend-webhooks'
import { unsubscribeRoutes } from './email/unsubscribe'
import { getConfig } from './env'
import { jobsRouter } from './jobs/jobs.index'
import { leadsRouter } from './leads/leads.index'
import { afterResponse } from './lib/after-response'
import type { AppEnv } from './lib/context'
import { requestLogger } from './lib/logger'
import { handleError, problemResponse, zodErrors } from './lib/problem'
import { messagingWebhooks } from './messaging/messaging.index'
import { metricsRouter } from './metrics/metrics.index'
import { outboxRouter } from './outbox/outbox.index'
import { privacyRouter } from './privacy/privacy.index'
import { twilioBodyLimit, verifyTwilio } from './twilio/webhook'

export const VERSION: string = pkg.version

export type AppOptions = {
  /**
   * Development-only routes mounted at /__dev (the demo seed): only the dev entry
   * (src/dev.ts) passes them, so the production bundle does not contain them at all.
   */
  devRoutes?: Hono<AppEnv>
}

/**
 * secureHeaders for https (with HSTS) and for plain-http local development, which must not pin
 * localhost to https for two years.
 */
function byScheme(
  options: Omit<NonNullable<Parameters<typeof secureHeaders>[0]>, 'strictTransportSecurity'>,
) {
  return {
    https: secureHeaders({
      ...options,
      strictTransportSecurity: 'max-age=63072000; includeSubDomains',
    }),
    http: secureHeaders({ ...options, strictTransportSecurity: false }),
  }
}

export function createApp(options: AppOptions = {}) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success)
        return problemResponse(400, 'The request is not valid.', zodErrors(result.error))
    },
  })

  app.onError(handleError)
  app.notFound(() => problemResponse(404, 'No such resource.'))

  app.use('*', requestLogger)
  app.use('*', afterResponse)
  app.use('*', async (c, next) => {
    c.set('config', getConfig(c.env))
    c.set('db', createDb(c.env.DB))
    await next()
  })
  const baseHeaders = {
    xFrameOptions: 'DENY',
    referrerPolicy: 'strict-origin-when-cross-origin',
  } as const
  const pages = byScheme(baseHeaders)
  // Hosted forms are framed by clinics' sites (their CSP's frame-ancestors decides, not DENY),
  // and /embed.js is loaded by those sites (so it may be read cross-origin).
  const embeds = byScheme({
    ...baseHeaders,
    xFrameOptions: false,
    crossOriginResourcePolicy: 'cross-origin',
  })
  app.use('*', (c, next) => {
    const set = c.req.path.startsWith('/f/') || c.req.path === '/embed.js' ? embeds : pages
    return (c.var.config.secureCookies ? set.https : set.http)(c, next)
  })

  app.get('/healthz', (c) => c.json({ ok: true, version: VERSION }))

  // Twilio webhooks: signature-checked, never behind the Origin check.
  app.use('/webhooks/twilio/*', twilioBodyLimit, verifyTwilio)
  app.route('/webhooks/twilio/voice', voiceWebhooks)
  app.route('/webhooks/twilio/messaging', messagingWebhooks)
  // Stripe: verified by its own signature (src/billing), never behind the Origin check.
  app.route('/webhooks/stripe', stripeWebhooks)
  // One-click unsubscribe: mail clients POST without an Origin (src/email/unsubscribe.ts).
  app.route('/unsubscribe', unsubscribeRoutes)
  // Resend: verified by its own signature (src/email/resend-webhooks.ts).
  app.post('/webhooks/resend', async (c) => {
    const outcome = await handleResendWebhook(
      { db: c.var.db, config: c.var.config },
      await c.req.text(),
      {
        id: c.req.header('svix-id') ?? c.req.header('webhook-id'),
        timestamp: c.req.header('svix-timestamp') ?? c.req.header('webhook-timestamp'),
        signature: c.req.header('svix-signature') ?? c.req.header('webhook-signature'),
      },
      Date.now(),
    )
    return c.json({ received: true, outcome }, 200)
  })

  // The JSON API.
  for (const router of [
    authRouter,
    clinicRouter,
    callsRouter,
    conversationsRouter,
    appointmentsRouter,
    metricsRouter,
    outboxRouter,
    privacyRouter,
    jobsRouter,
    leadsRouter,
    automationsRouter,
    billingRouter,
  ]) {
    app.route('/api/v1', router)
  }
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'rb_session',
  })
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key (`rb_live_…`). It may call an operation only if it holds the scope listed in ' +
      'that operation’s security requirement (see the ApiKeyScope schema); operations listing ' +
      'no apiKey requirement need a signed-in person.',
  })
  app.doc31('/api/v1/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Ringback API',
      version: VERSION,
      description:
        'Missed-call recovery for UK clinics. Errors are application/problem+json; lists answer {items, nextCursor}.',
    },
    servers: [{ url: '/' }],
  })
  // The reference's script is a static asset copied from the pinned npm package
  // (scripts/vendor-assets.mjs), never a CDN: the page works offline.
  app.get(
    '/api/docs',
    Scalar({
      url: '/api/v1/openapi.json',
      pageTitle: 'Ringback API reference',
      cdn: '/vendor/scalar/standalone.js',
      // Its default fonts come from Scalar's servers; the system fonts need no network.
      withDefaultFonts: false,
    }),
  )

  if (options.devRoutes) app.route('/__dev', options.devRoutes)
  app.route('/', hostedForms)
  app.route('/', dashboardRouter)
  return app
}
