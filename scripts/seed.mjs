#!/usr/bin/env node
/**
 * `npm run seed [-- --base http://localhost:8787]`: seeds the demo clinic on a running
 * `npm run dev` (which already does this on start). Idempotent: a second run does nothing.
 */
import { argValue } from './lib/local.mjs'

const base = (argValue(process.argv.slice(2), '--base') ?? 'http://localhost:8787').replace(
  /\/+$/,
  '',
)
try {
  const res = await fetch(`${base}/__dev/seed`, { method: 'POST' })
  const body = await res.json().catch(() => ({}))
  if (res.status === 201)
    console.log(`Seeded the demo clinic in ${body.elapsedMs} ms:`, body.counts)
  else if (res.status === 200) console.log('The demo clinic is already seeded: nothing to do.')
  else {
    console.error(
      `${base}/__dev/seed answered ${res.status}: the seed runs only with ENVIRONMENT=development, from localhost.`,
    )
    process.exit(1)
  }
} catch (error) {
  console.error(`No Ringback at ${base} (${error.message}). Start it with \`npm run dev\`.`)
  process.exit(1)
}
