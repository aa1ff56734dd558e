/**
 * Helpers shared by the local scripts (dev, simulate, bench): reading .dev.vars-style files,
 * command-line options, the pinned Node binary, and signing Twilio webhooks like Twilio does.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import twilio from 'twilio'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const wranglerBin = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
const pinnedNode = join(root, 'node_modules', 'node', 'bin', 'node')
/** The project's pinned Node (the `node` devDependency): wrangler needs ≥ 22, the machine may have 20. */
export const nodeBin = existsSync(pinnedNode) ? pinnedNode : process.execPath

/**
 * The environment wrangler runs with in every local script: no fetch of Cloudflare's `cf.json`
 * (offline it prints a stack trace and falls back anyway) and no telemetry, so a machine with no
 * internet starts cleanly. Callers may still override either by setting it themselves.
 */
export const wranglerEnv = {
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  ...process.env,
}

/** The value of `--name value` or `--name=value`, if given. */
export function argValue(args, name) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === name) return args[i + 1]
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1)
  }
  return undefined
}

/** Reads KEY=value lines (the .dev.vars format), ignoring comments. */
export function readVars(file) {
  const vars = {}
  if (!existsSync(file)) return vars
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/)
    if (m) vars[m[1]] = m[2].replace(/^"(.*)"$/, '$1')
  }
  return vars
}

/** Polls `${base}/healthz` until it answers 200. */
export async function waitForHealth(base, timeoutMs = 120_000, cancelled = () => false) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && !cancelled()) {
    try {
      const res = await fetch(`${base}/healthz`)
      if (res.ok) return true
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  return false
}

/**
 * A signed Twilio webhook request: the signature is Twilio's own algorithm (the official package's
 * getExpectedTwilioSignature) over the URL the Worker believes it is served at (`signBase`).
 */
export function signedWebhook({ base, signBase = base, path, params, authToken }) {
  const body = new URLSearchParams(params)
  return {
    url: `${base}${path}`,
    init: {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(
          authToken,
          `${signBase}${path}`,
          params,
        ),
        'i-twilio-idempotency-token': crypto.randomUUID(),
      },
      body: body.toString(),
    },
  }
}

/** A random Twilio-style SID (`CA…`, `SM…`, `RE…`). */
export function fakeSid(prefix) {
  return prefix + crypto.randomUUID().replace(/-/g, '')
}
