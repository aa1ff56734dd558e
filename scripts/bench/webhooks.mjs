/**
 * Bench module: Twilio voice webhooks against a bare route in the same run, and text-back latency.
 *  - bare: GET /healthz (the app's middleware, no storage) — the baseline.
 *  - voice: signed inbound-call webhooks (POST /webhooks/twilio/voice), a fresh CallSid each,
 *    signatures precomputed so the load generator spends its time sending, not hashing. The aims
 *    are ratios to the bare route measured in the same run (absolute figures depend on the machine):
 *    throughput ≥ 0.5× bare, p99 ≤ 3× bare's p99.
 *  - pairs: voice → dial-result (answered) pairs, the whole of an answered call: reported, no aim.
 *  - text-back: a missed call's dial-result webhook sent → the Messages API POST reaching the
 *    local fake Twilio, over distinct mobile callers (one text-back per caller per 24 h).
 */
import { load, percentile, webhookRequest } from './lib.mjs'

const CLINIC_NUMBER = '+441134960001' // the bench clinic (src/demo/seed.ts BENCH_CLINIC)
const ACCOUNT = 'ACbench00000000000000000000000000'

function callParams(callSid, from, extra) {
  return {
    AccountSid: ACCOUNT,
    ApiVersion: '2010-04-01',
    CallSid: callSid,
    From: from,
    Caller: from,
    To: CLINIC_NUMBER,
    Called: CLINIC_NUMBER,
    Direction: 'inbound',
    ...extra,
  }
}

// Twilio sids are two letters and 32 characters: keep each load's prefix inside those 32.
const sid = (prefix, n) =>
  `${prefix.slice(0, 2)}${prefix.slice(2).padEnd(4, '0')}${String(n).padStart(28, '0')}`

async function textBackLatency(ctx, calls) {
  const latencies = []
  let missing = 0
  const one = async (i) => {
    // Drama-range mobiles, one per call: each is owed exactly one text-back.
    const from = `+447700900${String(i).padStart(3, '0')}`
    const callSid = sid('CAbe', i)
    const voice = webhookRequest(
      ctx,
      '/webhooks/twilio/voice',
      callParams(callSid, from, { CallStatus: 'ringing' }),
    )
    await fetch(`${ctx.base}${voice.path}`, voice)
    const dial = webhookRequest(
      ctx,
      '/webhooks/twilio/voice/dial-result',
      callParams(callSid, from, {
        CallStatus: 'in-progress',
        DialCallStatus: 'no-answer',
        DialCallDuration: '0',
      }),
    )
    const sentAt = performance.now()
    const arrival = ctx.fakeTwilio.waitFor(from, 15_000, sentAt)
    const res = await fetch(`${ctx.base}${dial.path}`, dial)
    await res.arrayBuffer()
    const at = await arrival
    if (at === null) missing++
    else latencies.push(at - sentAt)
  }
  // Five callers at a time: a realistic burst for one clinic, and it keeps the run short.
  for (let i = 0; i < calls; i += 5) {
    await Promise.all(Array.from({ length: Math.min(5, calls - i) }, (_, k) => one(i + k)))
  }
  return {
    calls,
    delivered: latencies.length,
    missing,
    p50Ms: latencies.length ? Math.round(percentile(latencies, 50)) : null,
    p95Ms: latencies.length ? Math.round(percentile(latencies, 95)) : null,
    maxMs: latencies.length ? Math.round(Math.max(...latencies)) : null,
  }
}

function inboundCalls(ctx, count) {
  const requests = []
  for (let i = 0; i < count; i++) {
    const from = `+442079461${String(i % 1000).padStart(3, '0')}`
    requests.push(
      webhookRequest(
        ctx,
        '/webhooks/twilio/voice',
        callParams(sid('CAv', i), from, { CallStatus: 'ringing' }),
      ),
    )
  }
  return requests
}

/** One request at a time (no queueing): the p50/p95 of each kind, to show per-request cost. */
async function sequential(ctx, count) {
  const time = async (make) => {
    const ms = []
    for (let i = 0; i < count; i++) {
      const req = make(i)
      const started = performance.now()
      const res = await fetch(`${ctx.base}${req.path}`, req)
      await res.arrayBuffer()
      ms.push(performance.now() - started)
    }
    const round = (v) => Math.round(v * 10) / 10
    return { p50Ms: round(percentile(ms, 50)), p95Ms: round(percentile(ms, 95)) }
  }
  const calls = inboundCalls(ctx, count).map((r, i) => ({
    ...r,
    ...webhookRequest(
      ctx,
      '/webhooks/twilio/voice',
      callParams(sid('CAs', i), `+442079462${String(i).padStart(3, '0')}`, {
        CallStatus: 'ringing',
      }),
    ),
  }))
  return {
    bare: await time(() => ({ method: 'GET', path: '/healthz' })),
    voice: await time((i) => calls[i]),
  }
}

/** Throughput and p99 of `measured` as ratios to the bare route's. */
function ratios(measured, bare) {
  return {
    throughput: bare.requestsPerSecond ? measured.requestsPerSecond / bare.requestsPerSecond : 0,
    p99: bare.latencyMs.p99
      ? measured.latencyMs.p99 / bare.latencyMs.p99
      : Number.POSITIVE_INFINITY,
  }
}

const fmt = (ratio) => `${ratio.toFixed(2)}×`

function webhookPairs(ctx, count) {
  const pairs = []
  for (let i = 0; i < count; i++) {
    // Landline callers from the drama range: answered calls, no text-backs involved.
    const from = `+442079460${String(i % 1000).padStart(3, '0')}`
    const callSid = sid('CAa', i)
    pairs.push([
      webhookRequest(
        ctx,
        '/webhooks/twilio/voice',
        callParams(callSid, from, { CallStatus: 'ringing' }),
      ),
      webhookRequest(
        ctx,
        '/webhooks/twilio/voice/dial-result',
        callParams(callSid, from, {
          CallStatus: 'in-progress',
          DialCallStatus: 'completed',
          DialCallDuration: '42',
        }),
      ),
    ])
  }
  return pairs
}

export default {
  name: 'webhooks',
  description: 'Signed voice webhooks vs a bare route; text-back latency to a fake Twilio',
  async run(ctx) {
    const seeded = await fetch(`${ctx.base}/__dev/seed/bench`, { method: 'POST' })
    if (!seeded.ok) throw new Error(`bench clinic seed answered ${seeded.status}`)
    const duration = ctx.durationSeconds

    ctx.log('text-back latency (50 missed calls from distinct mobiles)…')
    const textBack = await textBackLatency(ctx, 50)

    ctx.log('sequential single requests (100 each)…')
    const oneByOne = await sequential(ctx, 100)

    ctx.log(`bare route GET /healthz for ${duration}s…`)
    const bare = await load({ url: `${ctx.base}/healthz`, duration })

    ctx.log(`signed inbound voice webhooks for ${duration}s…`)
    const singles = inboundCalls(ctx, 40_000)
    let nextSingle = 0
    const voice = await load({
      url: ctx.base,
      duration,
      requests: [
        { setupRequest: (req) => ({ ...req, ...singles[nextSingle++ % singles.length] }) },
      ],
    })
    if (nextSingle > singles.length) ctx.log(`note: CallSids reused after ${singles.length}`)

    ctx.log(`signed voice → dial-result pairs for ${duration}s…`)
    const pairs = webhookPairs(ctx, 40_000)
    let next = 0
    const webhooks = await load({
      url: ctx.base,
      duration,
      requests: [
        {
          setupRequest: (req, context) => {
            context.pair = pairs[next++ % pairs.length]
            return { ...req, ...context.pair[0] }
          },
        },
        { setupRequest: (req, context) => ({ ...req, ...context.pair[1] }) },
      ],
    })
    if (next > pairs.length)
      ctx.log(`note: ${next} pairs sent, CallSids reused after ${pairs.length}`)

    const voiceRatio = ratios(voice, bare)
    const pairRatio = ratios(webhooks, bare)
    const latency = (r) => `${r.latencyMs.p50} / ${r.latencyMs.p97_5} / ${r.latencyMs.p99}`
    const rows = [
      { metric: 'bare GET /healthz req/s', value: bare.requestsPerSecond },
      { metric: 'bare latency p50 / p97.5 / p99 (ms)', value: latency(bare) },
      {
        metric: 'one at a time p50 / p95 (ms): bare | voice',
        value: `${oneByOne.bare.p50Ms} / ${oneByOne.bare.p95Ms} | ${oneByOne.voice.p50Ms} / ${oneByOne.voice.p95Ms}`,
      },
      { metric: 'voice webhook req/s', value: voice.requestsPerSecond },
      { metric: 'voice webhook latency p50 / p97.5 / p99 (ms)', value: latency(voice) },
      {
        metric: 'voice webhook throughput ÷ bare',
        value: fmt(voiceRatio.throughput),
        aim: '≥ 0.5×',
        pass: voiceRatio.throughput >= 0.5,
      },
      {
        metric: 'voice webhook p99 ÷ bare p99',
        value: fmt(voiceRatio.p99),
        aim: '≤ 3×',
        pass: voiceRatio.p99 <= 3,
      },
      {
        metric: 'voice webhook errors / non-2xx',
        value: `${voice.errors} / ${voice.non2xx}`,
        aim: '0 / 0',
        pass: voice.errors === 0 && voice.non2xx === 0,
      },
      {
        metric: 'voice→dial-result pairs req/s (÷ bare)',
        value: `${webhooks.requestsPerSecond} (${fmt(pairRatio.throughput)})`,
      },
      {
        metric: 'pairs latency p50 / p97.5 / p99 (ms)',
        value: `${latency(webhooks)} (p99 ${fmt(pairRatio.p99)})`,
      },
      {
        metric: 'pairs errors / non-2xx',
        value: `${webhooks.errors} / ${webhooks.non2xx}`,
        aim: '0 / 0',
        pass: webhooks.errors === 0 && webhooks.non2xx === 0,
      },
      {
        metric: `text-back p50 / p95 (ms), ${textBack.delivered}/${textBack.calls} sent`,
        value: textBack.delivered ? `${textBack.p50Ms} / ${textBack.p95Ms}` : 'none arrived',
        aim: 'p95 < 2000 ms',
        pass:
          textBack.delivered === textBack.calls && textBack.p95Ms !== null && textBack.p95Ms < 2000,
      },
    ]
    return {
      results: {
        bare,
        voice,
        voiceToBare: voiceRatio,
        pairs: webhooks,
        pairsToBare: pairRatio,
        textBack,
      },
      rows,
    }
  },
}
