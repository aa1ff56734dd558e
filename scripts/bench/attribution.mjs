/**
 * Bench module: attribution and metrics (issue 3).
 *  - appointments/s through ONE clinic's Durable Object: POST /api/v1/appointments with an API
 *    key, 20 connections. Bookings rotate over 500 callers; 50 of them rang first and were missed
 *    (signed voice + dial-result webhooks), so those bookings are recovered. Every booking is
 *    settled in the object, written to D1 and rolled into its day's metrics.
 *  - appointments/s across 20 clinics in parallel: the same load, 20 connections, each request
 *    for one of 20 clinics in turn (20 Durable Objects deciding side by side).
 *  - metrics query latency for a clinic holding two years of daily aggregates and 90 days of
 *    calls at 200 a day (18,000 calls), loaded straight into the local D1 with
 *    `wrangler d1 execute`: 90 days daily, a year daily, 24 months monthly.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { nodeBin, root, wranglerBin } from '../lib/local.mjs'
import { benchDir, load, percentile, webhookRequest } from './lib.mjs'

const DEFAULT_PERSIST_TO = '.wrangler/bench-state' // scripts/bench.mjs's state folder
const DAY = 86_400_000
const PASSWORD = 'bench-password-123456'

async function json(res) {
  const text = await res.text()
  try {
    return JSON.parse(text)
  } catch {
    return { status: res.status, text: text.slice(0, 200) }
  }
}

/** A clinic with an owner session and an API key, through the public API. */
async function createClinic(ctx, label) {
  const origin = new URL(ctx.base).origin
  const email = `bench-attr-${label}-${Date.now()}@bench.test`
  const signup = await fetch(`${ctx.base}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ clinicName: `Attribution bench ${label}`, email, password: PASSWORD }),
  })
  if (signup.status !== 201) throw new Error(`signup failed: ${signup.status}`)
  const { clinic } = await json(signup)
  const cookie = (signup.headers.get('set-cookie') ?? '').split(';')[0]
  const keyRes = await fetch(`${ctx.base}/api/v1/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, cookie },
    body: JSON.stringify({ name: 'bench' }),
  })
  if (keyRes.status !== 201) throw new Error(`api key failed: ${keyRes.status}`)
  const { key } = await json(keyRes)
  const trackingNumber = `+4411349620${String(label).padStart(2, '0')}`
  const numberRes = await fetch(`${ctx.base}/api/v1/numbers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, cookie },
    body: JSON.stringify({ phoneNumber: trackingNumber, forwardTo: '+441134960999' }),
  })
  if (numberRes.status !== 201) throw new Error(`number failed: ${numberRes.status}`)
  return { id: clinic.id, key, trackingNumber }
}

const MISSED_CALLERS = 50
const ACCOUNT = 'ACbench00000000000000000000000000'
const callerNumber = (i) => `+4477009${String(i).padStart(5, '0')}`

/** Missed calls from the first MISSED_CALLERS callers, through the signed voice webhooks. */
async function missedCalls(ctx, clinic, label) {
  const one = async (i) => {
    const from = callerNumber(i)
    const params = {
      AccountSid: ACCOUNT,
      ApiVersion: '2010-04-01',
      CallSid: `CAat${String(label).padStart(4, '0')}${String(i).padStart(26, '0')}`,
      From: from,
      Caller: from,
      To: clinic.trackingNumber,
      Called: clinic.trackingNumber,
      Direction: 'inbound',
    }
    for (const [path, extra] of [
      ['/webhooks/twilio/voice', { CallStatus: 'ringing' }],
      [
        '/webhooks/twilio/voice/dial-result',
        { CallStatus: 'in-progress', DialCallStatus: 'no-answer', DialCallDuration: '0' },
      ],
    ]) {
      const req = webhookRequest(ctx, path, { ...params, ...extra })
      const res = await fetch(`${ctx.base}${req.path}`, req)
      await res.arrayBuffer()
    }
  }
  for (let i = 0; i < MISSED_CALLERS; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, k) => one(i + k)))
  }
}

/** Runs SQL against the bench Worker's local D1 (the same state directory wrangler dev uses). */
function d1Execute(sqlText, name, persistTo = DEFAULT_PERSIST_TO) {
  mkdirSync(benchDir, { recursive: true })
  const file = join(benchDir, `${name}.sql`)
  writeFileSync(file, sqlText)
  const run = spawnSync(
    nodeBin,
    [
      wranglerBin,
      'd1',
      'execute',
      'DB',
      '--local',
      '--persist-to',
      persistTo,
      '--file',
      file,
      '--yes',
    ],
    { cwd: root, env: { ...process.env, CI: 'true' }, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  )
  if (run.status !== 0)
    throw new Error(`d1 execute failed: ${(run.stderr || run.stdout).slice(0, 400)}`)
}

const q = (v) =>
  v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`

function insertRows(table, columns, rows, perStatement = 400) {
  const out = []
  for (let i = 0; i < rows.length; i += perStatement) {
    const values = rows
      .slice(i, i + perStatement)
      .map((r) => `(${r.map(q).join(',')})`)
      .join(',\n')
    out.push(`INSERT INTO ${table} (${columns.join(',')}) VALUES\n${values};`)
  }
  return out.join('\n')
}

/** Two years of daily aggregates and 90 days × 200 calls for one clinic (synthetic hashes). */
function metricsDataset(clinicId, now) {
  const dailyRows = []
  for (let d = 730; d >= 1; d--) {
    const date = new Date(now - d * DAY).toISOString().slice(0, 10)
    const seconds = JSON.stringify([120, 300, 600, 900, 1800])
    dailyRows.push([
      clinicId,
      date,
      200,
      40,
      160,
      8,
      25,
      30,
      seconds,
      6,
      6 * 24_000,
      4,
      0,
      26,
      5,
      now,
    ])
  }
  const callRows = []
  let n = 0
  for (let d = 90; d >= 0; d--) {
    for (let i = 0; i < 200; i++) {
      const startedAt = now - d * DAY - i * 7 * 60_000
      const missed = i % 5 === 0
      n++
      callRows.push([
        `call_bench${String(n).padStart(8, '0')}`,
        clinicId,
        `CAbench${String(n).padStart(27, '0')}`,
        'inbound',
        `bench-caller-${n % 3000}`,
        'mobile',
        startedAt,
        missed ? 'missed' : 'answered',
        missed ? startedAt + 600_000 : null,
        missed ? 'sent' : 'none',
        now,
      ])
    }
  }
  return [
    `DELETE FROM daily_metrics WHERE clinic_id = ${q(clinicId)};`,
    insertRows(
      'daily_metrics',
      [
        'clinic_id',
        'date',
        'inbound_calls',
        'missed_calls',
        'answered_calls',
        'voicemails',
        'callbacks',
        'text_backs',
        'callback_seconds_json',
        'recovered_appointments',
        'recovered_revenue_pence',
        'held_out_missed_calls',
        'held_out_recovered',
        'text_back_missed_calls',
        'text_back_recovered',
        'updated_at',
      ],
      dailyRows,
    ),
    insertRows(
      'calls',
      [
        'id',
        'clinic_id',
        'call_sid',
        'direction',
        'caller_hash',
        'caller_kind',
        'started_at',
        'status',
        'called_back_at',
        'text_back_status',
        'updated_at',
      ],
      callRows,
    ),
  ].join('\n')
}

/** Sequential GETs: wall-clock latency percentiles in ms. */
async function latency(ctx, path, key, runs = 30) {
  const times = []
  let status = 0
  await fetch(`${ctx.base}${path}`, { headers: { authorization: `Bearer ${key}` } }) // warm-up
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    const res = await fetch(`${ctx.base}${path}`, { headers: { authorization: `Bearer ${key}` } })
    await res.arrayBuffer()
    times.push(performance.now() - t0)
    status = res.status
  }
  return {
    status,
    p50: Number(percentile(times, 50).toFixed(1)),
    p95: Number(percentile(times, 95).toFixed(1)),
  }
}

/** Appointment load: each request books for one of `callers` (each caller's missed call was just reported). */
function appointmentLoad(ctx, clinics, label) {
  let counter = 0
  const now = Date.now()
  return load({
    url: ctx.base,
    connections: 20,
    duration: ctx.durationSeconds,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/appointments',
        setupRequest: (req) => {
          counter++
          const clinic = clinics[counter % clinics.length]
          const caller = counter % 500
          return {
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${clinic.key}` },
            body: JSON.stringify({
              phone: callerNumber(caller),
              externalId: `${label}-${counter}`,
              createdAt: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
              valuePence: 7070,
            }),
          }
        },
      },
    ],
  })
}

export default {
  name: 'attribution',
  description: 'appointments/s through one clinic and 20 clinics; metrics query latency',
  async run(ctx) {
    ctx.log('creating 21 clinics through the API')
    const clinics = []
    for (let i = 0; i < 21; i++) clinics.push(await createClinic(ctx, i))
    const [single, ...rest] = clinics
    const twenty = rest.slice(0, 20)
    const metricsClinic = rest[19]
    ctx.log(`${MISSED_CALLERS} missed calls per clinic through the voice webhooks`)
    for (const [i, clinic] of [single, ...twenty].entries()) await missedCalls(ctx, clinic, i)

    ctx.log(`one clinic: POST /appointments for ${ctx.durationSeconds}s, 20 connections`)
    const one = await appointmentLoad(ctx, [single], 'one')
    ctx.log(
      `20 clinics in parallel: POST /appointments for ${ctx.durationSeconds}s, 20 connections`,
    )
    const many = await appointmentLoad(ctx, twenty, 'many')

    ctx.log('loading 2 years of daily aggregates and 90 days × 200 calls into D1')
    const now = Date.now()
    d1Execute(metricsDataset(metricsClinic.id, now), 'attribution-metrics', ctx.persistTo)
    const today = new Date(now).toISOString().slice(0, 10)
    const minus = (days) => new Date(now - days * DAY).toISOString().slice(0, 10)
    const month = (days) => new Date(now - days * DAY).toISOString().slice(0, 7)
    const daily90 = await latency(
      ctx,
      `/api/v1/metrics/daily?from=${minus(89)}&to=${today}`,
      metricsClinic.key,
    )
    const daily365 = await latency(
      ctx,
      `/api/v1/metrics/daily?from=${minus(364)}&to=${today}`,
      metricsClinic.key,
    )
    const monthly24 = await latency(
      ctx,
      `/api/v1/metrics/monthly?from=${month(700)}&to=${month(0)}`,
      metricsClinic.key,
    )
    // How many of the one-clinic bookings were recovered (today's figure; at most MISSED_CALLERS).
    const recovered = async (clinic) => {
      const day = new Date().toISOString().slice(0, 10)
      const body = await json(
        await fetch(`${ctx.base}/api/v1/metrics/daily?from=${minus(1)}&to=${day}`, {
          headers: { authorization: `Bearer ${clinic.key}` },
        }),
      )
      return (body.days ?? []).reduce((n, d) => n + d.recoveredAppointments, 0)
    }
    // Check the loaded history is what the queries read (a year of stored aggregates).
    const year = await json(
      await fetch(`${ctx.base}/api/v1/metrics/daily?from=${minus(364)}&to=${minus(100)}`, {
        headers: { authorization: `Bearer ${metricsClinic.key}` },
      }),
    )
    const storedInboundCalls = (year.days ?? []).reduce((n, d) => n + d.inboundCalls, 0)
    if (storedInboundCalls === 0) throw new Error('the metrics dataset did not reach the Worker')
    const results = {
      storedInboundCallsDays100to364: storedInboundCalls,
      recoveredInOneClinic: await recovered(single),
      oneClinic: one,
      twentyClinics: many,
      metrics: { daily90, daily365, monthly24 },
      dataset: { dailyAggregates: 730, calls: 91 * 200 },
    }
    const ok = (r) =>
      r.non2xx === 0 && r.errors === 0 ? '' : ` (${r.non2xx} non-2xx, ${r.errors} errors)`
    return {
      results,
      rows: [
        { metric: 'appointments/s, one clinic', value: `${one.requestsPerSecond}${ok(one)}` },
        {
          metric: 'appointment p50 / p99 ms, one clinic',
          value: `${one.latencyMs.p50} / ${one.latencyMs.p99}`,
        },
        { metric: 'appointments/s, 20 clinics', value: `${many.requestsPerSecond}${ok(many)}` },
        {
          metric: 'appointment p50 / p99 ms, 20 clinics',
          value: `${many.latencyMs.p50} / ${many.latencyMs.p99}`,
        },
        { metric: 'metrics daily 90 d p50 / p95 ms', value: `${daily90.p50} / ${daily90.p95}` },
        { metric: 'metrics daily 365 d p50 / p95 ms', value: `${daily365.p50} / ${daily365.p95}` },
        {
          metric: 'metrics monthly 24 m p50 / p95 ms',
          value: `${monthly24.p50} / ${monthly24.p95}`,
        },
      ],
    }
  },
}
