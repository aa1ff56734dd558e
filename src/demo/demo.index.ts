/**
 * Development-only routes, mounted at /__dev: the demo seed `npm run dev` posts to, the bench
 * clinic, and a bare route the benchmark compares webhooks against. Outside ENVIRONMENT
 * `development`, or from anywhere but localhost, every path here answers 404 as if absent.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../lib/context'
import { notFound } from '../lib/problem'
import { seedReminderLoad } from './bench-reminders'
import { operatorSitePage, seedOperatorTenant } from './operator'
import { seedBenchClinic, seedDemoClinic } from './seed'

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** True only for a development Worker addressed as localhost. */
export function devRoutesAllowed(environment: string, requestUrl: string): boolean {
  return environment === 'development' && LOCAL_HOSTS.has(new URL(requestUrl).hostname)
}

export const demoRouter = new Hono<AppEnv>()

demoRouter.use('*', async (c, next) => {
  if (!devRoutesAllowed(c.var.config.environment, c.req.url)) throw notFound()
  await next()
})

/** Seeds the demo clinic (idempotent): 201 when created, 200 when it already existed. */
demoRouter.post('/seed', async (c) => {
  const result = await seedDemoClinic(c.env)
  return c.json(result, result.seeded ? 201 : 200)
})

/** The operator's tenant and its forms (idempotent; also created by /seed). */
demoRouter.post('/seed/operator', async (c) =>
  c.json(await seedOperatorTenant(c.env, c.var.db, c.var.config)),
)

/** A stand-in for the operator's marketing site: its three forms embedded with /embed.js. */
demoRouter.get('/site', async (c) => {
  const { forms } = await seedOperatorTenant(c.env, c.var.db, c.var.config)
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; script-src ${c.var.config.publicOrigin}; frame-src ${c.var.config.publicOrigin}`,
  )
  return c.html(operatorSitePage(c.var.config.publicBaseUrl, forms))
})

/**
 * The reminder bench's load: `clinics` × `per` reminders all due `inSeconds` from now (see
 * src/demo/bench-reminders.ts).
 */
demoRouter.post('/bench/reminders', async (c) => {
  const int = (name: string, fallback: number, max: number) =>
    Math.min(max, Math.max(1, Number.parseInt(c.req.query(name) ?? '', 10) || fallback))
  const dueAt = Date.now() + int('inSeconds', 60, 3600) * 1000
  return c.json(
    await seedReminderLoad(c.env, {
      clinics: int('clinics', 1000, 2000),
      perClinic: int('per', 10, 25),
      dueAt,
    }),
  )
})

/** The benchmark's empty clinic (idempotent). */
demoRouter.post('/seed/bench', async (c) => c.json(await seedBenchClinic(c.env)))

/**
 * The origin the Worker expects webhook signatures (and the Origin header) for: local scripts
 * that reach it under another name (`--base http://127.0.0.1:8787`) sign for this instead.
 */
demoRouter.get('/public-base-url', (c) => c.json({ publicBaseUrl: c.var.config.publicBaseUrl }))

/** The benchmark's baseline: the app's middleware and nothing else. */
demoRouter.get('/bare', (c) => c.text('ok'))
