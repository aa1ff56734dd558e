/**
 * Bench module: Twilio voice webhooks against a bare route in the same run, and text-back latency.
 *  - bare: GET /healthz (the app's middleware, no storage) — the baseline.
 *  - webhooks: signed voice → dial-result pairs, a fresh CallSid per pair, signatures precomputed
 *    so the load generator spends its time sending, not hashing.
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

const sid = (prefix, n) => `${prefix}${String(n).padStart(32, '0')}`

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

    ctx.log(`bare route GET /healthz for ${duration}s…`)
    const bare = await load({ url: `${ctx.base}/healthz`, duration })

    ctx.log(`signed voice → dial-result webhooks for ${duration}s…`)
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

    const ratio = bare.requestsPerSecond ? webhooks.requestsPerSecond / bare.requestsPerSecond : 0
    const rows = [
      { metric: 'bare GET /healthz req/s', value: bare.requestsPerSecond },
      {
        metric: 'bare latency p50 / p97.5 / p99 (ms)',
        value: `${bare.latencyMs.p50} / ${bare.latencyMs.p97_5} / ${bare.latencyMs.p99}`,
      },
      {
        metric: 'voice webhooks req/s',
        value: webhooks.requestsPerSecond,
        aim: '≥ 50% of bare',
        pass: ratio >= 0.5,
      },
      { metric: '  … as a share of bare', value: `${Math.round(ratio * 100)}%` },
      {
        metric: 'webhook latency p50 / p97.5 / p99 (ms)',
        value: `${webhooks.latencyMs.p50} / ${webhooks.latencyMs.p97_5} / ${webhooks.latencyMs.p99}`,
        aim: 'p99 < 50 ms',
        pass: webhooks.latencyMs.p99 < 50,
      },
      {
        metric: 'webhook errors / non-2xx',
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
    return { results: { bare, webhooks, webhookToBareRatio: ratio, textBack }, rows }
  },
}
