#!/usr/bin/env node
/**
 * `npm run eval`: runs eval/cases.json through the rules and the sandbox assistant, and through
 * the real model when ANTHROPIC_API_KEY is a real key (ANTHROPIC_BASE_URL, ANTHROPIC_MODEL apply).
 * Prints a confusion table per run; exits 1 if any red flag is missed, 2 on a broken cases file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = path.resolve(import.meta.dirname, '..')
const out = mkdtempSync(path.join(tmpdir(), 'ringback-eval-'))
try {
  // The assistant is TypeScript written for the Worker: bundle it once for Node, then import it.
  const file = path.join(out, 'eval.mjs')
  await build({
    entryPoints: [path.join(root, 'src/assistant/eval.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: file,
    logLevel: 'error',
  })
  const { EvalSetSchema, runEval, formatReport, DEFAULT_ANTHROPIC_MODEL } = await import(
    pathToFileURL(file).href
  )
  const parsed = EvalSetSchema.safeParse(
    JSON.parse(readFileSync(path.join(root, 'eval/cases.json'), 'utf8')),
  )
  if (!parsed.success) {
    console.error('eval/cases.json is not valid:', parsed.error.issues.slice(0, 5))
    process.exit(2)
  }
  const anthropic = (apiKey) => ({
    apiKey,
    baseUrl: process.env.ANTHROPIC_BASE_URL || 'https://api.anthropic.com',
    model: process.env.ANTHROPIC_MODEL || DEFAULT_ANTHROPIC_MODEL,
  })
  const runs = [
    await runEval(parsed.data, { config: { anthropic: anthropic(null) } }, 'rules + sandbox'),
  ]
  const key = process.env.ANTHROPIC_API_KEY?.trim()
  if (key && key !== 'sandbox') {
    const config = { anthropic: anthropic(key) }
    runs.push(await runEval(parsed.data, { config }, `rules + model ${config.anthropic.model}`, 2))
  } else {
    console.log('(ANTHROPIC_API_KEY is not set: the real model is not evaluated)\n')
  }
  for (const run of runs) console.log(`${formatReport(run)}\n`)
  const missed = runs.reduce((n, run) => n + run.missedRedFlags.length, 0)
  if (missed > 0) {
    console.error(`FAIL: ${missed} red flag(s) missed`)
    process.exitCode = 1
  } else {
    console.log('OK: no red flag missed')
  }
} finally {
  rmSync(out, { recursive: true, force: true })
}
