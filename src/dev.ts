/**
 * The development entry (`wrangler dev src/dev.ts`, used by npm run dev, the e2e tests and the
 * benchmark): the production Worker plus the /__dev routes (demo seed, bench clinic, bare route).
 * wrangler.toml's `main` stays src/index.ts, so a deploy never bundles the demo seed.
 */
import { createApp } from './app'
import { demoRouter } from './demo/demo.index'
import { createWorker } from './index'

export { ClinicDurableObject } from './clinic/durable-object'

export default createWorker(createApp({ devRoutes: demoRouter }))
