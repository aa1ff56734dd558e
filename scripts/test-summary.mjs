// Sums vitest JSON reports in a folder into the one closing line CI reads: `N passed, N failed`.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

const dir = process.argv[2] ?? 'test-results'
let passed = 0
let failed = 0
let files = 0
let entries = []
try {
  entries = readdirSync(dir, { withFileTypes: true })
} catch {
  // no reports: counted as a failure below
}
for (const name of entries) {
  if (!name.isFile() || !name.name.endsWith('.json')) continue
  const report = JSON.parse(readFileSync(path.join(dir, name.name), 'utf8'))
  passed += report.numPassedTests ?? 0
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0)
  files++
}
if (files === 0) failed++
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 ? 1 : 0)
