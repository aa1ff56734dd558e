// Starts `wrangler dev` on :8790 with fresh local state (.wrangler/e2e-state), applies the D1
// migrations, seeds the demo clinic through POST /__dev/seed, and stops wrangler afterwards.
// Configuration is passed with --var (dev values only), so no .dev.vars file is needed.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import type { TestProject } from 'vitest/node'

export const E2E_PORT = 8790
export const E2E_BASE_URL = `http://localhost:${E2E_PORT}`
const ROOT = path.resolve(import.meta.dirname, '../..')
const STATE = '.wrangler/e2e-state'
const WRANGLER = path.join(ROOT, 'node_modules/.bin/wrangler')
// The project's pinned Node (the `node` devDependency) first, as under `npm test`: wrangler needs ≥ 22.
const BIN_PATH = `${path.join(ROOT, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}`

const VARS: Record<string, string> = {
  ENVIRONMENT: 'development',
  PUBLIC_BASE_URL: E2E_BASE_URL,
  TWILIO_ACCOUNT_SID: 'sandbox',
  TWILIO_AUTH_TOKEN: 'e2e-twilio-auth-token',
  PHONE_HASH_SECRET: 'e2e-phone-hash-secret-0123456789',
  DATA_ENCRYPTION_KEY: 'ZTJlLWRhdGEtZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=',
  SESSION_SECRET: 'e2e-session-secret-0123456789abcdef',
  ANTHROPIC_API_KEY: 'sandbox',
  STRIPE_SECRET_KEY: 'sandbox',
  STRIPE_WEBHOOK_SECRET: 'sandbox',
  RESEND_API_KEY: 'sandbox',
  TURNSTILE_SECRET_KEY: 'sandbox',
}

let wrangler: ChildProcess | null = null

async function waitForHealth(deadline: number, log: () => string): Promise<void> {
  while (Date.now() < deadline) {
    if (wrangler?.exitCode !== null && wrangler?.exitCode !== undefined) {
      throw new Error(`wrangler dev exited early:\n${log()}`)
    }
    try {
      const res = await fetch(`${E2E_BASE_URL}/healthz`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`wrangler dev did not answer /healthz in time:\n${log()}`)
}

export default async function setup(project: TestProject) {
  rmSync(path.join(ROOT, STATE), { recursive: true, force: true })
  execFileSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', STATE], {
    cwd: ROOT,
    stdio: 'pipe',
    env: { ...process.env, PATH: BIN_PATH, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
  })

  let output = ''
  const args = [
    'dev',
    'src/dev.ts',
    '--port',
    String(E2E_PORT),
    '--ip',
    '127.0.0.1',
    '--persist-to',
    STATE,
  ]
  args.push('--inspector-port', '9790', '--show-interactive-dev-session=false')
  for (const [k, v] of Object.entries(VARS)) args.push('--var', `${k}:${v}`)
  wrangler = spawn(WRANGLER, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PATH: BIN_PATH,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      NO_COLOR: '1',
    },
  })
  wrangler.stdout?.on('data', (d) => {
    output += String(d)
  })
  wrangler.stderr?.on('data', (d) => {
    output += String(d)
  })
  const stop = () => {
    if (wrangler?.pid && wrangler.exitCode === null) {
      try {
        process.kill(-wrangler.pid, 'SIGTERM')
      } catch {
        // already gone
      }
    }
  }
  try {
    await waitForHealth(Date.now() + 120_000, () => output.slice(-4000))
    const seed = await fetch(`${E2E_BASE_URL}/__dev/seed`, { method: 'POST' })
    if (!seed.ok) throw new Error(`POST /__dev/seed answered ${seed.status}: ${await seed.text()}`)
  } catch (err) {
    stop()
    throw err
  }
  project.provide('e2eBaseUrl', E2E_BASE_URL)
  return async () => {
    stop()
    await new Promise((r) => setTimeout(r, 500))
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2eBaseUrl: string
  }
}
