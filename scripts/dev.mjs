#!/usr/bin/env node
/**
 * `npm run dev`: everything a newcomer needs in one command.
 *   1. writes .dev.vars from .dev.vars.example when it is missing;
 *   2. applies the D1 migrations to local state;
 *   3. starts `wrangler dev --test-scheduled` (extra arguments pass through: `npm run dev -- --port 9000`);
 *   4. waits for /healthz, seeds the demo clinic (idempotent) and prints what to open.
 * Ctrl-C stops wrangler too.
 */
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  argValue,
  nodeBin,
  readVars,
  root,
  waitForHealth,
  wranglerBin,
  wranglerEnv,
} from './lib/local.mjs'
import { vendorAssets } from './vendor-assets.mjs'

const passThrough = process.argv.slice(2)

function log(message) {
  console.log(`\x1b[36m[ringback]\x1b[0m ${message}`)
}

async function main() {
  vendorAssets()
  const devVars = join(root, '.dev.vars')
  if (!existsSync(devVars)) {
    copyFileSync(join(root, '.dev.vars.example'), devVars)
    log('created .dev.vars from .dev.vars.example (development values, no real secrets)')
  }

  // An explicit port: left to itself wrangler silently moves to 8788 when 8787 is taken, and we
  // would then seed and print the wrong server.
  const userPort = argValue(passThrough, '--port')
  const port = Number(userPort ?? 8787)
  if (userPort === undefined) passThrough.push('--port', String(port))
  const host = argValue(passThrough, '--ip') ?? 'localhost'
  const localHost = host === '0.0.0.0' || host === '*' ? 'localhost' : host
  const base = `http://${localHost}:${port}`
  const persistTo = argValue(passThrough, '--persist-to')

  log('applying D1 migrations to local state…')
  const migrate = spawnSync(
    nodeBin,
    [
      wranglerBin,
      'd1',
      'migrations',
      'apply',
      'DB',
      '--local',
      ...(persistTo ? ['--persist-to', persistTo] : []),
    ],
    { cwd: root, stdio: 'inherit', env: { ...wranglerEnv, CI: 'true' } },
  )
  if (migrate.status !== 0) {
    console.error('Applying migrations failed; see the output above.')
    process.exit(migrate.status ?? 1)
  }

  // Twilio signs the URL it calls; the Worker checks against PUBLIC_BASE_URL. On another port,
  // point PUBLIC_BASE_URL at it so `npm run simulate -- --base …` signs what the Worker expects.
  const vars = readVars(devVars)
  const extra = []
  const publicBase = vars.PUBLIC_BASE_URL ?? 'http://localhost:8787'
  const userSetBase = passThrough.some((a, i) =>
    (a === '--var' ? (passThrough[i + 1] ?? '') : a).includes('PUBLIC_BASE_URL'),
  )
  if (
    !userSetBase &&
    new URL(publicBase).port !== String(port) &&
    /localhost|127\.0\.0\.1/.test(publicBase)
  ) {
    extra.push('--var', `PUBLIC_BASE_URL:${base}`)
  }

  const wrangler = spawn(
    nodeBin,
    // src/dev.ts: the production Worker plus the /__dev routes (demo seed); see that file.
    [wranglerBin, 'dev', 'src/dev.ts', '--test-scheduled', ...extra, ...passThrough],
    { cwd: root, stdio: 'inherit', env: wranglerEnv },
  )
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      stopping = true
      wrangler.kill(signal)
    })
  }
  wrangler.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))

  const healthy = await waitForHealth(base, 180_000, () => stopping)
  if (!healthy) {
    if (!stopping)
      log(`the Worker did not answer ${base}/healthz; wrangler's output above says why`)
    return
  }

  try {
    const { res, body } = await seed(base)
    if (res.status === 201) {
      const c = body.counts
      log(
        `seeded the demo clinic in ${body.elapsedMs} ms: ${c.inboundCalls} inbound calls (${c.missedCalls} missed, ${c.voicemails} voicemails), ${c.callbacks} callbacks, ${c.textBacks} text-backs, ${c.appointments} appointments over 120 days`,
      )
    } else if (res.status === 200) {
      log('demo clinic already seeded: nothing to do')
    } else {
      log(`seeding answered ${res.status} (is ENVIRONMENT=development in .dev.vars?)`)
    }
  } catch (error) {
    log(`seeding failed: ${error instanceof Error ? error.message : String(error)}`)
  }

  console.log(`
  \x1b[1mRingback is running at ${base}\x1b[0m

    Dashboard      ${base}/
    Sign in as     owner@demo.clinic  /  demo-password-123
    API reference  ${base}/api/docs   (OpenAPI: ${base}/api/v1/openapi.json)
    Health         ${base}/healthz

    Watch it work: npm run simulate${port === 8787 ? '' : ` -- --base ${base}`}
    Run the 03:00 cron now (purges + roll-ups):
      curl '${base}/cdn-cgi/handler/scheduled?cron=0+3+*+*+*'

  Press Ctrl-C to stop.
`)
}

/** POSTs the seed; retries while wrangler reloads (a 5xx or a dropped connection mid-reload). */
async function seed(base) {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${base}/__dev/seed`, { method: 'POST' })
      const body = await res.json().catch(() => ({}))
      if (res.status < 500 || attempt >= 5) return { res, body }
    } catch (error) {
      if (attempt >= 5) throw error
    }
    await new Promise((r) => setTimeout(r, 1500))
  }
}

await main()
