/**
 * The benchmark harness: a `wrangler dev` with fresh state, a fake Twilio HTTP server, an
 * autocannon wrapper, percentiles and the results table. Bench modules (scripts/bench/<name>.mjs)
 * receive a `BenchContext` built from these; see scripts/bench.mjs for the module contract.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join, resolve } from 'node:path'
import autocannon from 'autocannon'
import {
  nodeBin,
  readVars,
  root,
  signedWebhook,
  waitForHealth,
  wranglerBin,
  wranglerEnv,
} from '../lib/local.mjs'

export const benchDir = join(root, '.bench')

/** Percentile (nearest-rank) of a list of numbers; null when empty. */
export function percentile(values, p) {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]
}

/**
 * A stand-in for api.twilio.com on 127.0.0.1: records when each Messages API POST arrives and
 * for whom, and answers like Twilio (201 with a message SID).
 */
export async function startFakeTwilio() {
  const received = []
  const waiters = new Map()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const at = performance.now()
      if (req.method === 'POST' && /\/Messages\.json$/.test(req.url ?? '')) {
        const to = new URLSearchParams(body).get('To') ?? ''
        received.push({ to, at })
        waiters.get(to)?.(at)
        waiters.delete(to)
        res.writeHead(201, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({ sid: `SM${crypto.randomUUID().replace(/-/g, '')}`, status: 'queued' }),
        )
        return
      }
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"code":20404,"message":"Not found"}')
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    /**
     * Resolves with the arrival time (performance.now()) of the first message to `to` at or after
     * `since` (other modules may have texted the same number earlier), or null on timeout.
     */
    waitFor(to, timeoutMs = 10_000, since = performance.now()) {
      const hit = received.find((r) => r.to === to && r.at >= since)
      if (hit) return Promise.resolve(hit.at)
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters.delete(to)
          resolve(null)
        }, timeoutMs)
        waiters.set(to, (at) => {
          clearTimeout(timer)
          resolve(at)
        })
      })
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

/**
 * A stand-in for the Anthropic Messages API on 127.0.0.1 that answers after `delayMs` (a model's
 * think time). It answers the way the assistant asks: with a `tool_use` block for the first tool
 * offered (its input filled from the tool's JSON schema: the first enum value, `false`, `null`, or
 * a short reply), else with a JSON text block. Counts requests and tokens like the real API.
 */
export async function startFakeAnthropic({ delayMs = 500 } = {}) {
  let requests = 0
  const fill = (schema, name) => {
    if (schema?.enum) return schema.enum[0]
    const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type
    if (type === 'object') {
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([k, v]) => [k, fill(v, k)]),
      )
    }
    if (type === 'array') return []
    if (type === 'boolean') return false
    if (type === 'number' || type === 'integer') return 0
    if (type === 'null') return null
    return /reason/i.test(name ?? '')
      ? 'none'
      : 'Thanks for your message. You can book online or we can call you back today.'
  }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      requests++
      if (req.method !== 'POST' || !/\/v1\/messages$/.test(req.url ?? '')) {
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end('{"type":"error","error":{"type":"not_found_error","message":"Not found"}}')
        return
      }
      const request = JSON.parse(body || '{}')
      const tool = request.tools?.[0]
      const content = tool
        ? [
            {
              type: 'tool_use',
              id: `toolu_${requests}`,
              name: tool.name,
              input: fill(tool.input_schema),
            },
          ]
        : [{ type: 'text', text: JSON.stringify(fill({ type: 'object', properties: {} })) }]
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            id: `msg_${requests}`,
            type: 'message',
            role: 'assistant',
            model: request.model,
            content,
            stop_reason: tool ? 'tool_use' : 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 420, output_tokens: 60 },
          }),
        )
      }, delayMs)
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    delayMs,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

/**
 * Starts `wrangler dev` on `port` with fresh `--persist-to` state, migrations applied and the
 * given vars (written to an env file, so the developer's .dev.vars is neither read nor touched).
 */
export async function startWorker({ port, persistTo, vars }) {
  mkdirSync(benchDir, { recursive: true })
  // resolve, not join: an absolute --state (e.g. on tmpfs) must stay absolute.
  const statePath = resolve(root, persistTo)
  rmSync(statePath, { recursive: true, force: true })
  const envFile = join(benchDir, 'bench.vars')
  writeFileSync(
    envFile,
    `${Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  )
  const migrate = spawnSync(
    nodeBin,
    [wranglerBin, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo],
    { cwd: root, env: { ...wranglerEnv, CI: 'true' }, encoding: 'utf8' },
  )
  if (migrate.status !== 0)
    throw new Error(`migrations failed:\n${migrate.stderr}${migrate.stdout}`)

  const log = createWriteStream(join(benchDir, 'wrangler.log'))
  const child = spawn(
    nodeBin,
    [
      wranglerBin,
      'dev',
      // The dev entry: the Worker plus the /__dev routes (bench clinic, bare route).
      'src/dev.ts',
      '--port',
      String(port),
      '--persist-to',
      persistTo,
      '--env-file',
      envFile,
      '--log-level',
      'warn',
      '--show-interactive-dev-session=false',
    ],
    { cwd: root, env: { ...wranglerEnv, CI: 'true' } },
  )
  child.stdout.pipe(log)
  child.stderr.pipe(log)
  let exited = false
  child.on('exit', () => {
    exited = true
  })
  const base = `http://localhost:${port}`
  if (!(await waitForHealth(base, 180_000, () => exited))) {
    child.kill('SIGTERM')
    throw new Error(`wrangler dev did not become healthy on ${base}; see .bench/wrangler.log`)
  }
  return {
    base,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve()
        child.once('exit', resolve)
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 5000).unref()
      }),
  }
}

/** Signs in as the demo clinic's owner through the login form; answers the session cookie. */
export async function signInDemoOwner(base) {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(base).origin },
    body: new URLSearchParams({ email: 'owner@demo.clinic', password: 'demo-password-123' }),
  })
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]
  if (res.status !== 303 || !cookie) throw new Error(`demo owner sign-in answered ${res.status}`)
  return cookie
}

/** Runs autocannon and keeps what the table needs: req/s and latency percentiles in ms. */
export async function load(options) {
  const result = await autocannon({ connections: 10, duration: 10, ...options })
  return {
    requestsPerSecond: Math.round(result.requests.average),
    totalRequests: result.requests.total,
    latencyMs: {
      p50: result.latency.p50,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  }
}

/** The vars the bench Worker runs with: the dev example's, plus real-mode Twilio and Anthropic pointed at the fakes. */
export function benchVars({ port, fakeTwilioUrl, fakeAnthropicUrl }) {
  const dev = readVars(join(root, '.dev.vars.example'))
  return {
    ...dev,
    ENVIRONMENT: 'development',
    PUBLIC_BASE_URL: `http://localhost:${port}`,
    TWILIO_ACCOUNT_SID: 'ACbench00000000000000000000000000',
    TWILIO_AUTH_TOKEN: 'bench-twilio-auth-token',
    TWILIO_API_BASE_URL: fakeTwilioUrl,
    // A real-mode assistant against the local fake model (it answers in 500 ms).
    ...(fakeAnthropicUrl
      ? { ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: fakeAnthropicUrl }
      : {}),
  }
}

/** Builds a signed webhook request for autocannon or fetch. */
export function webhookRequest(ctx, path, params) {
  const { init } = signedWebhook({
    base: ctx.base,
    path,
    params,
    authToken: ctx.vars.TWILIO_AUTH_TOKEN,
  })
  return { method: 'POST', path, headers: init.headers, body: init.body }
}

/** Prints the results table: one row per metric, with the aim and pass/fail where there is one. */
export function printTable(rows) {
  const widths = [44, 16, 22, 6]
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' ')
  console.log(`\n${line(['metric', 'measured', 'aim', 'pass'])}`)
  console.log('-'.repeat(widths.reduce((a, b) => a + b + 1, 0)))
  for (const r of rows) {
    console.log(
      line([r.metric, r.value, r.aim ?? '', r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL']),
    )
  }
}

/**
 * Seeds the demo, signs in as its owner and creates a form of `kind` for the demo clinic (a bench
 * module's own form, so runs do not share one); answers the form's id.
 */
export async function createDemoForm(base, kind, name, allowedOrigins = []) {
  const seed = await fetch(`${base}/__dev/seed`, { method: 'POST' })
  if (!seed.ok) throw new Error(`POST /__dev/seed answered ${seed.status}`)
  const cookie = await signInDemoOwner(base)
  const res = await fetch(`${base}/api/v1/forms`, {
    method: 'POST',
    headers: { cookie, origin: new URL(base).origin, 'content-type': 'application/json' },
    body: JSON.stringify({ kind, name, allowedOrigins }),
  })
  if (res.status !== 201) throw new Error(`POST /api/v1/forms answered ${res.status}`)
  return (await res.json()).id
}
