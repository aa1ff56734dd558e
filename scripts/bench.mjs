#!/usr/bin/env node
/**
 * `npm run bench [-- --only webhooks] [-- --duration 10] [-- --state <dir>]`: starts `wrangler dev`
 * on port 8797 with fresh state in .wrangler/bench-state (or <dir>) and a local fake Twilio, then runs every bench module
 * in scripts/bench/ (all but lib.mjs) in name order, prints one table and writes
 * .bench/results.json.
 *
 * A module is `export default { name, description, async run(ctx) }` returning
 * `{ results, rows }`: `results` (any JSON) goes to results.json under the module's name, `rows`
 * (`{ metric, value, aim?, pass? }`) to the table. `ctx` carries `base` (the Worker's URL),
 * `vars` (its configuration), `fakeTwilio` ({ baseUrl, received, waitFor(to) }), `fakeAnthropic`
 * ({ baseUrl, delayMs, requests() }),
 * `durationSeconds`, `log(msg)`, and the helpers in scripts/bench/lib.mjs can be imported.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import {
  benchDir,
  benchVars,
  printTable,
  startFakeAnthropic,
  startFakeTwilio,
  startWorker,
} from './bench/lib.mjs'
import { argValue, root } from './lib/local.mjs'

const PORT = 8797
const args = process.argv.slice(2)
// `--state <dir>` moves the local D1/DO state, e.g. onto tmpfs to see what disk syncs cost.
const PERSIST_TO = argValue(args, '--state') ?? '.wrangler/bench-state'
const only = argValue(args, '--only')
const durationSeconds = Number(argValue(args, '--duration') ?? 10)

const log = (msg) => console.log(`\x1b[35m[bench]\x1b[0m ${msg}`)

const benchFolder = join(root, 'scripts', 'bench')
const candidates = readdirSync(benchFolder)
  .filter((f) => f.endsWith('.mjs') && f !== 'lib.mjs')
  .filter((f) => !only || f === `${only}.mjs`)
  .sort()
// Only files written as modules (`export default { name, run }`) are imported: a standalone
// script in the folder would run its own top-level code on import.
const moduleFiles = candidates.filter((f) =>
  /export default/.test(readFileSync(join(benchFolder, f), 'utf8')),
)
for (const f of candidates.filter((c) => !moduleFiles.includes(c))) {
  console.log(`[bench] skipping scripts/bench/${f}: not a bench module (no \`export default\`)`)
}

const fakeTwilio = await startFakeTwilio()
const fakeAnthropic = await startFakeAnthropic({ delayMs: 500 })
const vars = benchVars({
  port: PORT,
  fakeTwilioUrl: fakeTwilio.baseUrl,
  fakeAnthropicUrl: fakeAnthropic.baseUrl,
})
log(`starting wrangler dev on ${PORT} (fresh ${PERSIST_TO}), fake Twilio on ${fakeTwilio.baseUrl}`)
let worker
try {
  worker = await startWorker({ port: PORT, persistTo: PERSIST_TO, vars })
} catch (error) {
  await fakeTwilio.close()
  await fakeAnthropic.close()
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
}

const stopAll = async () => {
  await worker.stop()
  await fakeTwilio.close()
  await fakeAnthropic.close()
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => stopAll().then(() => process.exit(130)))
}

const report = {
  date: new Date().toISOString(),
  machine: {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
  },
  method: `wrangler dev (local workerd) on :${PORT}, state in ${PERSIST_TO}, autocannon 10 connections × ${durationSeconds}s per load test`,
  modules: {},
}
const rows = []
let failed = false
try {
  for (const file of moduleFiles) {
    const mod = (await import(`./bench/${file}`)).default
    log(`${mod.name}: ${mod.description ?? ''}`)
    const ctx = {
      base: worker.base,
      vars,
      fakeTwilio,
      fakeAnthropic,
      durationSeconds,
      log: (m) => log(`  ${m}`),
    }
    try {
      const { results, rows: moduleRows } = await mod.run(ctx)
      report.modules[mod.name] = results
      rows.push(...moduleRows.map((r) => ({ ...r, metric: `${mod.name}: ${r.metric}` })))
    } catch (error) {
      failed = true
      const message = error instanceof Error ? error.message : String(error)
      report.modules[mod.name] = { error: message }
      rows.push({ metric: `${mod.name}: could not run`, value: message.slice(0, 60) })
    }
  }
} finally {
  await stopAll()
}

printTable(rows)
writeFileSync(join(benchDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`)
console.log(`\nWrote .bench/results.json (${report.machine.cpus}, ${report.date}).`)
process.exit(failed ? 1 : 0)
