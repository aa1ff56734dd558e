/**
 * Bench module: the dashboard's render time for the demo clinic, and the JavaScript it ships.
 * Seeds the demo clinic (POST /__dev/seed, idempotent), signs in as its owner through the login
 * form, then requests every page `runs` times (the inbox and a thread, the waiting list and a call
 * included). It reports the Worker's own render time (the
 * `Server-Timing: render;dur=` entry the dashboard sets: from the dashboard's first middleware to
 * its response, D1 and Durable Object calls included) and the wall-clock time per request, plus
 * the gzipped size of every script the pages load. Aims: < 50 ms per page, < 30 KB JS gzipped.
 *
 * Run with the suite (`npm run bench -- --only dashboard`) or on its own against a running
 * Worker: `node scripts/bench/dashboard.mjs [baseUrl=http://localhost:8787] [runs=20]`.
 */
import { gzipSync } from 'node:zlib'
import { percentile, signInDemoOwner } from './lib.mjs'

const PAGES = [
  '/',
  '/inbox',
  '/calls/waiting',
  '/calls',
  '/appointments',
  '/treatments',
  '/numbers',
  '/settings',
  '/team',
  '/api-keys',
  '/outbox',
  '/privacy',
  '/audit',
]
const AIM_MS = 50
const AIM_JS_GZIP = 30 * 1024

async function measure(base, runs, log = () => {}) {
  const seed = await fetch(`${base}/__dev/seed`, { method: 'POST' })
  if (!seed.ok) throw new Error(`POST /__dev/seed answered ${seed.status}`)
  const cookie = await signInDemoOwner(base)
  const list = await (
    await fetch(`${base}/appointments?status=recovered`, { headers: { cookie } })
  ).text()
  const detail = /href="(\/appointments\/[^"?]+)"/.exec(list)?.[1]
  // A thread from the demo inbox (src/demo/conversations.ts) and a call from the waiting list.
  const inbox = await (await fetch(`${base}/inbox`, { headers: { cookie } })).text()
  const thread = /href="(\/inbox\/cnv_[^"?]+)"/.exec(inbox)?.[1]
  const calls = await (await fetch(`${base}/calls?status=missed`, { headers: { cookie } })).text()
  const call = /href="(\/calls\/[a-z]+_[^"?/]+)"/.exec(calls)?.[1]
  const pages = [...PAGES, detail, thread, call].filter(Boolean)
  const perPage = {}
  for (const path of pages) {
    const name = path.startsWith('/appointments/')
      ? '/appointments/:id'
      : path.startsWith('/inbox/')
        ? '/inbox/:id'
        : /^\/calls\/[a-z]+_/.test(path)
          ? '/calls/:id'
          : path
    await fetch(`${base}${path}`, { headers: { cookie } }) // warm-up
    const render = []
    const wall = []
    const statuses = new Set()
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const res = await fetch(`${base}${path}`, { headers: { cookie } })
      await res.arrayBuffer()
      wall.push(performance.now() - t0)
      statuses.add(res.status)
      const m = /render;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')
      if (m) render.push(Number(m[1]))
    }
    perPage[name] = {
      statuses: [...statuses],
      renderP50Ms: percentile(render, 50),
      renderP95Ms: percentile(render, 95),
      wallP50Ms: Number(percentile(wall, 50).toFixed(1)),
      wallP95Ms: Number(percentile(wall, 95).toFixed(1)),
    }
    log(`${name}: render p50 ${perPage[name].renderP50Ms} ms`)
  }
  const settings = await (await fetch(`${base}/settings`, { headers: { cookie } })).text()
  let jsBytes = 0
  let jsGzipBytes = 0
  for (const [, src] of settings.matchAll(/<script[^>]*src="([^"]+)"/g)) {
    const body = Buffer.from(await (await fetch(new URL(src, base))).arrayBuffer())
    jsBytes += body.length
    jsGzipBytes += gzipSync(body).length
  }
  return { runs, pages: perPage, jsBytes, jsGzipBytes }
}

export default {
  name: 'dashboard',
  description: 'render time of every dashboard page for the demo clinic, and JS shipped',
  async run(ctx) {
    const results = await measure(ctx.base, 20, ctx.log)
    const rows = Object.entries(results.pages).map(([page, r]) => ({
      metric: `${page} render p50 / p95`,
      value: `${r.renderP50Ms} / ${r.renderP95Ms} ms`,
      aim: `< ${AIM_MS} ms`,
      pass: r.statuses.length === 1 && r.statuses[0] === 200 && r.renderP50Ms < AIM_MS,
    }))
    rows.push({
      metric: 'JavaScript shipped (gzipped)',
      value: `${results.jsGzipBytes} B`,
      aim: '< 30 KB',
      pass: results.jsGzipBytes < AIM_JS_GZIP,
    })
    return { results, rows }
  },
}

// Standalone: `node scripts/bench/dashboard.mjs [baseUrl] [runs]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const base = process.argv[2] ?? 'http://localhost:8787'
  const runs = Number(process.argv[3] ?? 20)
  const results = await measure(base, runs)
  console.table(
    Object.entries(results.pages).map(([page, r]) => ({ page, ...r, statuses: r.statuses.join() })),
  )
  console.log(`JavaScript shipped: ${results.jsBytes} B, ${results.jsGzipBytes} B gzipped`)
}
