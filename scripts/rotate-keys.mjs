#!/usr/bin/env node
/**
 * Key-encryption-key rotation (`npm run keys:rotate`).
 *
 * What rotation is: every clinic's data key is stored wrapped by DATA_ENCRYPTION_KEY (the KEK).
 * To rotate the KEK, nothing sealed with the data keys is re-encrypted; only the wrapped keys
 * are re-wrapped (src/privacy/keys.ts `rewrapClinicKeys`), by the daily cron whenever
 * DATA_ENCRYPTION_KEY_PREVIOUS is set.
 *
 * Steps (production):
 *   1. `node scripts/rotate-keys.mjs --new-key` prints a fresh base64 key.
 *   2. `wrangler secret put DATA_ENCRYPTION_KEY_PREVIOUS` ← the current key;
 *      `wrangler secret put DATA_ENCRYPTION_KEY` ← the new key. Reads keep working throughout:
 *      the keyring unwraps with either key.
 *   3. Wait for the 03:00 UTC cron (or trigger it); its log line "data keys re-wrapped" reports
 *      `remaining: 0` when done.
 *   4. `wrangler secret delete DATA_ENCRYPTION_KEY_PREVIOUS`.
 *
 * Locally (default): put the two keys in .dev.vars, run `npm run dev`, then this script (no
 * flag) triggers the scheduled handler at http://localhost:8787 (override with --url).
 */
import { randomBytes } from 'node:crypto'

const args = process.argv.slice(2)
if (args.includes('--new-key')) {
  console.log(randomBytes(32).toString('base64'))
  process.exit(0)
}
const urlFlag = args.indexOf('--url')
const base = urlFlag >= 0 ? args[urlFlag + 1] : 'http://localhost:8787'
const target = `${base.replace(/\/+$/, '')}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent('0 3 * * *')}`
try {
  const res = await fetch(target)
  console.log(`Triggered the daily cron at ${target}: HTTP ${res.status}.`)
  console.log('The worker log shows "data keys re-wrapped" with {rewrapped, remaining}.')
  process.exit(res.ok ? 0 : 1)
} catch (err) {
  console.error(
    `Could not reach ${base}: is \`npm run dev\` running? (${err instanceof Error ? err.message : err})`,
  )
  process.exit(1)
}
