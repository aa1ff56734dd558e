#!/usr/bin/env node
/**
 * `node scripts/measure-storage.mjs [--state .wrangler/state/v3] [--json]`: measures what the demo
 * clinic costs in local D1 and in its Durable Object's SQLite (after `npm run dev` has seeded it,
 * and with the server stopped), and prints the per-call, per-day and full-retention figures and
 * the capacity and peak-write arithmetic that docs/SCALING.md is written from.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { argValue, nodeBin, root } from './lib/local.mjs'

const args = process.argv.slice(2)

// node:sqlite (with the dbstat table) ships with the project's pinned Node; re-run under it when
// the machine's own Node is older.
let sqlite
try {
  sqlite = await import('node:sqlite')
} catch {
  if (process.env.RINGBACK_MEASURE_CHILD) throw new Error('node:sqlite is not available')
  const child = spawnSync(nodeBin, ['--no-warnings', fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
    env: { ...process.env, RINGBACK_MEASURE_CHILD: '1' },
  })
  process.exit(child.status ?? 1)
}
const { DatabaseSync } = sqlite

const DAY_MS = 86_400_000
const GB = 1e9
const D1_LIMIT_BYTES = 10 * GB
const state = argValue(args, '--state') ?? join(root, '.wrangler', 'state', 'v3')
const asJson = args.includes('--json')

// ---------------------------------------------------------------------------------------------
// Assumptions: everything here is a modelling choice, not a measurement (docs/SCALING.md says so).
// ---------------------------------------------------------------------------------------------
const ASSUME = {
  /** Twilio sends an idempotency token, so each webhook writes two delivery keys (token + natural). */
  deliveryKeysPerWebhook: 2,
  /** SMS status callbacks per text-back (sent, delivered). */
  smsStatusCallbacksPerTextBack: 2,
  /** Audit entries per clinic-day: logins, list/outbox reads, imports, settings (the seed writes none). */
  auditEntriesPerDay: 40,
  /** Purge receipts per clinic-day: calls, recordings, conversations, audit jobs (never purged). */
  purgeReceiptsPerDay: 4,
  /** Plan to fill at most this share of D1's 10 GB: B-tree fill under interleaved tenants + headroom. */
  usableShareOfD1: 0.5,
  /**
   * The platform's peak hour as a multiple of the demo's mean busiest hour of the week (Monday
   * 09:00): clinics larger than the demo in the mix, and a busier-than-average Monday.
   */
  peakHourFactor: 2,
  clinics: 10_000,
}

// ---------------------------------------------------------------------------------------------
// Reading local state
// ---------------------------------------------------------------------------------------------

/** The SQLite files of one local storage namespace, largest first. */
function sqliteFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite')
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)
}

function open(file) {
  return new DatabaseSync(file, { readOnly: true })
}

/** Rows, bytes (pages) and payload per table, indexes included, from SQLite's dbstat table. */
function tableSizes(db) {
  const owner = new Map(
    db
      .prepare("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")
      .all()
      .map((r) => [r.name, r.tbl_name]),
  )
  const out = {}
  for (const r of db
    .prepare('SELECT name, sum(pgsize) AS bytes, sum(payload) AS payload FROM dbstat GROUP BY name')
    .all()) {
    const table = owner.get(r.name) ?? r.name
    if (table.startsWith('sqlite_') || table.startsWith('_cf_') || table === 'd1_migrations')
      continue
    out[table] ??= { rows: 0, bytes: 0, payload: 0, indexBytes: 0 }
    out[table].bytes += Number(r.bytes)
    out[table].payload += Number(r.payload)
    if (r.name !== table) out[table].indexBytes += Number(r.bytes)
  }
  for (const [table, s] of Object.entries(out)) {
    s.rows = Number(db.prepare(`SELECT count(*) AS n FROM "${table}"`).get().n)
  }
  return out
}

/**
 * Bytes per row of a table that the demo seed does not fill, measured by inserting `n` rows
 * shaped like production rows into an in-memory copy of its real schema (table and indexes).
 */
function syntheticBytesPerRow(source, table, n, makeRow) {
  const mem = new DatabaseSync(':memory:')
  for (const r of source
    .prepare(
      'SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC',
    )
    .all(table)) {
    mem.exec(r.sql)
  }
  const first = makeRow(0)
  const cols = Object.keys(first)
  const insert = mem.prepare(
    `INSERT INTO "${table}" (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
  )
  mem.exec('BEGIN')
  for (let i = 0; i < n; i++) insert.run(...cols.map((c) => makeRow(i)[c]))
  mem.exec('COMMIT')
  const s = tableSizes(mem)[table]
  mem.close()
  return { bytesPerRow: s.bytes / n, payloadPerRow: s.payload / n }
}

const ulid = (prefix) => `${prefix}_${randomBytes(13).toString('hex').slice(0, 26).toUpperCase()}`
const hex = (bytes) => randomBytes(bytes).toString('hex')

// ---------------------------------------------------------------------------------------------
// Measure
// ---------------------------------------------------------------------------------------------
const [d1File] = sqliteFiles(join(state, 'd1', 'miniflare-D1DatabaseObject'))
if (!d1File) {
  console.error(
    `No local D1 under ${state}: run \`npm run dev\` once (it seeds the demo), stop it, retry.`,
  )
  process.exit(1)
}
const d1 = open(d1File)
const d1Tables = tableSizes(d1)

const demo = d1
  .prepare(
    "SELECT clinic_id AS id, count(*) AS n FROM calls WHERE direction = 'inbound' GROUP BY clinic_id ORDER BY n DESC LIMIT 1",
  )
  .get()
if (!demo) {
  console.error('No calls in local D1: is the demo clinic seeded?')
  process.exit(1)
}
const clinicId = demo.id
const one = (sql, ...params) =>
  Number(Object.values(d1.prepare(sql).get(clinicId, ...params))[0] ?? 0)

// The window the calls table still covers (120 days after a fresh seed, 90 after the cron).
const span = d1
  .prepare(
    "SELECT min(started_at) AS a, max(started_at) AS b FROM calls WHERE clinic_id = ? AND direction = 'inbound'",
  )
  .get(clinicId)
const from = Number(span.a)
const to = Number(span.b)
const days = (to - from) / DAY_MS
const inWindow = (table, col, extra = '') =>
  one(
    `SELECT count(*) FROM ${table} WHERE clinic_id = ? AND ${col} BETWEEN ? AND ? ${extra}`,
    from,
    to,
  )

const counts = {
  inbound: inWindow('calls', 'started_at', "AND direction = 'inbound'"),
  missed: inWindow(
    'calls',
    'started_at',
    "AND direction = 'inbound' AND status IN ('missed', 'voicemail')",
  ),
  voicemails: inWindow('calls', 'started_at', "AND status = 'voicemail'"),
  callbacks: inWindow('calls', 'started_at', "AND direction = 'outbound'"),
  textBacks: inWindow('outbound_messages', 'created_at', "AND kind = 'text-back'"),
  otherOutbound: inWindow('outbound_messages', 'created_at', 'AND call_id IS NULL'),
  textBackReplies: inWindow(
    'inbound_messages',
    'received_at',
    'AND in_reply_to_call_id IS NOT NULL',
  ),
  otherInbound: inWindow('inbound_messages', 'received_at', 'AND in_reply_to_call_id IS NULL'),
  appointments: inWindow('appointments', 'created_at'),
  optOuts: one('SELECT count(*) FROM opt_outs WHERE clinic_id = ?'),
}
const perDay = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / days]))

// Load shape: the busiest clock hour of the history, and the busiest hour of the week on average
// (local time), which is what all clinics share at once (Monday morning).
const startTimes = d1
  .prepare("SELECT started_at AS t FROM calls WHERE clinic_id = ? AND direction = 'inbound'")
  .all(clinicId)
  .map((r) => Number(r.t))
const perClockHour = new Map()
for (const t of startTimes) {
  const h = Math.floor(t / 3_600_000)
  perClockHour.set(h, (perClockHour.get(h) ?? 0) + 1)
}
const busiestHour = Math.max(0, ...perClockHour.values())
const timeZone =
  d1.prepare('SELECT timezone AS tz FROM clinics WHERE id = ?').get(clinicId)?.tz ?? 'UTC'
const localParts = new Intl.DateTimeFormat('en-GB', {
  timeZone,
  weekday: 'short',
  hour: '2-digit',
  hourCycle: 'h23',
})
const perWeekHour = new Map()
for (const t of startTimes) {
  const parts = Object.fromEntries(localParts.formatToParts(t).map((p) => [p.type, p.value]))
  const key = `${parts.weekday} ${parts.hour}:00`
  perWeekHour.set(key, (perWeekHour.get(key) ?? 0) + 1)
}
const [busiestWeekHour, busiestWeekHourCalls] = [...perWeekHour.entries()].sort(
  (a, b) => b[1] - a[1],
)[0] ?? ['', 0]
// How many of that weekday the window holds: the mean is over those weeks.
const weeks = days / 7
const busiestWeekHourMean = busiestWeekHourCalls / weeks
const mondayNineMean = (perWeekHour.get('Mon 09:00') ?? 0) / weeks

const rowBytes = (table) => {
  const s = d1Tables[table]
  return s && s.rows > 0 ? s.bytes / s.rows : 0
}

// Tables the seed leaves empty, measured on synthetic production-shaped rows.
const now = Date.now()
const deliveries = syntheticBytesPerRow(d1, 'webhook_deliveries', 20_000, (i) => ({
  key:
    i % 2 === 0
      ? `twilio-token:${randomUUID()}`
      : `voice:${['incoming', 'dial-result', 'status'][i % 3]}:CA${hex(16)}${i % 3 === 2 ? ':completed' : ''}`,
  clinic_id: `cln_${'0'.repeat(22)}${String(i % 500).padStart(4, '0')}`,
  received_at: now + i * 1000,
}))
const purgeRuns = syntheticBytesPerRow(d1, 'purge_runs', 5_000, (i) => ({
  id: ulid('prg'),
  clinic_id: `cln_${'0'.repeat(22)}${String(i % 500).padStart(4, '0')}`,
  job: ['calls', 'recordings', 'conversations', 'audit'][i % 4],
  ran_at: now + i * 1000,
  cutoff: now,
  deleted_json:
    i % 4 === 0
      ? '{"recordings":0,"textBacks":6,"textBackReplies":1,"calls":36,"workingSetRows":40,"appointmentLinks":8,"webhookDeliveries":190}'
      : '{"recordings":0}',
  status: 'completed',
}))

// The clinic's Durable Object: the largest object (the demo clinic's; others are empty or tiny).
const doFiles = sqliteFiles(join(state, 'do', 'ringback-ClinicDurableObject'))
const dObj = doFiles.length ? open(doFiles[0]) : null
const doTables = dObj ? tableSizes(dObj) : {}
const audit = dObj
  ? syntheticBytesPerRow(dObj, 'audit_log', 10_000, (i) => ({
      seq: i + 1,
      id: ulid('aud'),
      at: now + i * 1000,
      actor: `user:${ulid('usr')}`,
      action: ['auth.login', 'outbox.read', 'calls.export', 'appointments.import'][i % 4],
      target: i % 2 === 0 ? `user:${ulid('usr')}` : 'outbox',
      details: i % 2 === 0 ? null : '{"count":25}',
      prev_hash: hex(32),
      hash: hex(32),
    }))
  : { bytesPerRow: 0, payloadPerRow: 0 }
const attrTables = Object.entries(doTables).filter(([t]) => t.startsWith('attr_'))
const attrBytes = attrTables.reduce((sum, [, s]) => sum + s.bytes, 0)
const attrRows = attrTables.reduce((sum, [, s]) => sum + s.rows, 0)
const attrCalls = doTables.attr_calls?.rows ?? 0

// ---------------------------------------------------------------------------------------------
// Per call, per clinic-day, per clinic at full retention
// ---------------------------------------------------------------------------------------------
const webhooksPerDay =
  perDay.inbound * 3 + // voice, dial-result, status
  perDay.voicemails + // recording
  perDay.callbacks + // outbound status
  perDay.textBacks * ASSUME.smsStatusCallbacksPerTextBack +
  perDay.textBackReplies +
  perDay.otherInbound
const deliveryRowsPerDay = webhooksPerDay * ASSUME.deliveryKeysPerWebhook

/** Bytes a day adds, by retention class. */
const daily = {
  // 90 days
  calls: (perDay.inbound + perDay.callbacks) * rowBytes('calls'),
  textBacks: perDay.textBacks * rowBytes('outbound_messages'),
  textBackReplies: perDay.textBackReplies * rowBytes('inbound_messages'),
  webhookDeliveries: deliveryRowsPerDay * deliveries.bytesPerRow,
  // 24 months (conversations outside a text-back exchange)
  conversations:
    perDay.otherOutbound * rowBytes('outbound_messages') +
    perDay.otherInbound * rowBytes('inbound_messages'),
  // never purged
  appointments: perDay.appointments * rowBytes('appointments'),
  dailyMetrics: rowBytes('daily_metrics'),
  purgeRuns: ASSUME.purgeReceiptsPerDay * purgeRuns.bytesPerRow,
  // Durable Object: attribution working set (90 days) and the audit chain (7 years)
  attribution: attrCalls > 0 ? attrBytes / days : 0,
  audit: ASSUME.auditEntriesPerDay * audit.bytesPerRow,
}
const RETENTION_DAYS = {
  calls: 90,
  textBacks: 90,
  textBackReplies: 90,
  webhookDeliveries: 90,
  conversations: 730,
  appointments: null,
  dailyMetrics: null,
  purgeRuns: null,
  attribution: 90,
  audit: 7 * 365,
}
const D1_KINDS = [
  'calls',
  'textBacks',
  'textBackReplies',
  'webhookDeliveries',
  'conversations',
  'appointments',
  'dailyMetrics',
  'purgeRuns',
]
/** Bytes held for a clinic that has been a customer for `years`. */
function heldAfter(kind, years) {
  const keep = RETENTION_DAYS[kind]
  const age = years * 365
  return daily[kind] * (keep === null ? age : Math.min(keep, age))
}
// Per-clinic fixed rows (clinic, owner, number, treatments, key, opt-outs …): measured as a whole.
const fixedTables = [
  'clinics',
  'users',
  'tracking_numbers',
  'treatments',
  'clinic_keys',
  'opt_outs',
]
const fixedPayload = fixedTables.reduce((sum, t) => sum + (d1Tables[t]?.payload ?? 0), 0)
const fixed = fixedPayload * 2 // tiny tables sit in shared pages; payload × 2 covers page overhead

const years = [1, 3, 7]
const d1PerClinic = Object.fromEntries(
  years.map((y) => [y, fixed + D1_KINDS.reduce((sum, k) => sum + heldAfter(k, y), 0)]),
)
const doPerClinic = Object.fromEntries(
  years.map((y) => [y, heldAfter('attribution', y) + heldAfter('audit', y)]),
)
const usable = D1_LIMIT_BYTES * ASSUME.usableShareOfD1
const clinicsPerD1 = Object.fromEntries(
  years.map((y) => [y, { raw: D1_LIMIT_BYTES / d1PerClinic[y], planned: usable / d1PerClinic[y] }]),
)

// ---------------------------------------------------------------------------------------------
// Peak write model (statements and round trips per event: read from the code, see the doc)
// ---------------------------------------------------------------------------------------------
const shares = {
  missed: counts.missed / counts.inbound,
  voicemail: counts.voicemails / counts.inbound,
  textBack: counts.textBacks / counts.inbound,
  callback: counts.callbacks / counts.inbound,
  reply: counts.textBackReplies / counts.inbound,
}
/** Per event: [write statements, round trips] today, and the target once webhooks are batched. */
const EVENTS = [
  { event: 'voice (inbound)', per: 1, today: [3, 3], target: [3, 2] },
  {
    event: 'dial-result',
    per: 1,
    today: [4 + 4 * shares.missed, 4 + 4 * shares.missed],
    target: [4 + 4 * shares.missed, 2 + shares.missed],
  },
  { event: 'status (completed)', per: 1, today: [3, 3], target: [3, 2] },
  { event: 'recording', per: shares.voicemail, today: [4, 5], target: [4, 2] },
  {
    event: 'attribution job',
    per: 1 + shares.voicemail + shares.callback,
    today: [1, 5],
    target: [1, 3],
  },
  { event: 'text-back send (queue)', per: shares.textBack, today: [3, 4], target: [3, 3] },
  {
    event: 'SMS status callbacks',
    per: shares.textBack * ASSUME.smsStatusCallbacksPerTextBack,
    today: [3, 3],
    target: [3, 2],
  },
  { event: 'callback status', per: shares.callback, today: [5, 5], target: [5, 2] },
  { event: 'text-back reply', per: shares.reply, today: [4, 4], target: [4, 2] },
]
const perCall = (field, i) => EVENTS.reduce((sum, e) => sum + e.per * e[field][i], 0)
const peakCallsPerClinicHour = busiestWeekHourMean * ASSUME.peakHourFactor
const peakCallsPerSecond = (ASSUME.clinics * peakCallsPerClinicHour) / 3600
const writeModel = {
  peakCallsPerClinicHour,
  peakCallsPerSecond,
  writesPerCallToday: perCall('today', 0),
  roundTripsPerCallToday: perCall('today', 1),
  writesPerCallTarget: perCall('target', 0),
  roundTripsPerCallTarget: perCall('target', 1),
}
writeModel.writesPerSecondToday = writeModel.writesPerCallToday * peakCallsPerSecond
writeModel.roundTripsPerSecondToday = writeModel.roundTripsPerCallToday * peakCallsPerSecond
writeModel.writesPerSecondTarget = writeModel.writesPerCallTarget * peakCallsPerSecond
writeModel.roundTripsPerSecondTarget = writeModel.roundTripsPerCallTarget * peakCallsPerSecond

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------
const result = {
  measuredAt: new Date().toISOString(),
  d1File: d1File.replace(`${root}/`, ''),
  durableObjectFiles: doFiles.length,
  window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), days },
  counts,
  perDay,
  busiestHour,
  busiestWeekHour: { hour: busiestWeekHour, meanCalls: busiestWeekHourMean },
  mondayNineMean,
  d1Tables,
  doTables,
  synthetic: { webhookDeliveries: deliveries, purgeRuns, auditLog: audit },
  attribution: {
    rows: attrRows,
    bytes: attrBytes,
    bytesPerInboundCall: attrCalls ? attrBytes / counts.inbound : 0,
  },
  assumptions: ASSUME,
  dailyBytes: daily,
  fixedBytes: fixed,
  d1PerClinic,
  doPerClinic,
  clinicsPerD1,
  eventsModel: EVENTS,
  writeModel,
}

if (asJson) {
  console.log(JSON.stringify(result, null, 2))
  process.exit(0)
}

const n = (x, digits = 0) =>
  Number(x).toLocaleString('en-GB', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  })
const kb = (bytes) => `${n(bytes / 1024, 1)} KiB`
const mb = (bytes) => `${n(bytes / 1024 / 1024, 2)} MiB`
function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) =>
    cells
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join('  ')
  console.log(line(headers))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of rows) console.log(line(r))
  console.log('')
}

console.log(`Ringback storage measurement, ${result.measuredAt}`)
console.log(`D1: ${result.d1File}; Durable Object files: ${doFiles.length}`)
console.log(
  `Demo clinic window: ${result.window.from.slice(0, 10)} → ${result.window.to.slice(0, 10)} (${n(days, 1)} days)\n`,
)

console.log('D1 tables (pages from dbstat; indexes included)')
table(
  ['table', 'rows', 'bytes', 'of which indexes', 'payload', 'bytes/row'],
  Object.entries(d1Tables)
    .filter(([, s]) => s.rows > 0)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([t, s]) => [
      t,
      n(s.rows),
      n(s.bytes),
      n(s.indexBytes),
      n(s.payload),
      n(s.bytes / s.rows),
    ]),
)
console.log("Durable Object tables (the demo clinic's object)")
table(
  ['table', 'rows', 'bytes', 'of which indexes', 'payload', 'bytes/row'],
  Object.entries(doTables)
    .filter(([, s]) => s.rows > 0)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([t, s]) => [
      t,
      n(s.rows),
      n(s.bytes),
      n(s.indexBytes),
      n(s.payload),
      n(s.bytes / s.rows),
    ]),
)
console.log('Synthetic production-shaped rows (tables the seed leaves empty)')
table(
  ['table', 'bytes/row', 'payload/row'],
  [
    ['webhook_deliveries (D1)', n(deliveries.bytesPerRow), n(deliveries.payloadPerRow)],
    ['purge_runs (D1)', n(purgeRuns.bytesPerRow), n(purgeRuns.payloadPerRow)],
    ['audit_log (DO)', n(audit.bytesPerRow), n(audit.payloadPerRow)],
  ],
)
console.log('Demo clinic per day (measured over the window)')
table(
  ['what', 'count', 'per day'],
  Object.entries(counts).map(([k, v]) => [k, n(v), n(perDay[k], 2)]),
)
console.log(
  `Busiest clock hour: ${busiestHour} inbound calls; busiest hour of the week: ${busiestWeekHour} (${timeZone}), ${n(busiestWeekHourMean, 1)} calls on average; Mon 09:00 ${n(mondayNineMean, 1)}`,
)
console.log(`Webhooks per day (modelled from the counts): ${n(webhooksPerDay, 1)}\n`)

console.log('Bytes per clinic-day by retention class, and held per clinic')
table(
  ['class', 'kept', 'per day', 'after 1 y', 'after 3 y', 'after 7 y'],
  Object.keys(daily).map((k) => [
    k,
    RETENTION_DAYS[k] === null ? 'forever' : `${RETENTION_DAYS[k]} d`,
    kb(daily[k]),
    mb(heldAfter(k, 1)),
    mb(heldAfter(k, 3)),
    mb(heldAfter(k, 7)),
  ]),
)
console.log(
  `Per inbound call (90-day classes, D1): ${n((daily.calls + daily.textBacks + daily.textBackReplies + daily.webhookDeliveries) / perDay.inbound)} bytes`,
)
console.log(`Fixed per-clinic rows (D1, payload × 2): ${kb(fixed)}\n`)

console.log('Clinics per D1 database (10 GB)')
table(
  [
    'customer for',
    'D1 per clinic',
    'DO per clinic',
    'clinics (100%)',
    `clinics (${ASSUME.usableShareOfD1 * 100}%)`,
  ],
  years.map((y) => [
    `${y} y`,
    mb(d1PerClinic[y]),
    mb(doPerClinic[y]),
    n(clinicsPerD1[y].raw),
    n(clinicsPerD1[y].planned),
  ]),
)

console.log(
  `Peak write model: ${n(ASSUME.clinics)} clinics × ${n(peakCallsPerClinicHour, 1)} calls/h (mean ${busiestWeekHour} ${n(busiestWeekHourMean, 1)} × ${ASSUME.peakHourFactor}) = ${n(peakCallsPerSecond, 1)} calls/s`,
)
table(
  ['event', 'per call', 'writes today', 'round trips today', 'writes target', 'round trips target'],
  EVENTS.map((e) => [
    e.event,
    n(e.per, 2),
    n(e.today[0], 1),
    n(e.today[1], 1),
    n(e.target[0], 1),
    n(e.target[1], 1),
  ]),
)
table(
  ['', 'per call', 'per second at peak'],
  [
    [
      'write statements today',
      n(writeModel.writesPerCallToday, 1),
      n(writeModel.writesPerSecondToday),
    ],
    [
      'round trips (reads + writes) today',
      n(writeModel.roundTripsPerCallToday, 1),
      n(writeModel.roundTripsPerSecondToday),
    ],
    [
      'write statements target',
      n(writeModel.writesPerCallTarget, 1),
      n(writeModel.writesPerSecondTarget),
    ],
    [
      'round trips (reads + writes) target',
      n(writeModel.roundTripsPerCallTarget, 1),
      n(writeModel.roundTripsPerSecondTarget),
    ],
  ],
)
