/**
 * Bench module: a patient's SMS → the AI's reply reaching (fake) Twilio, with a fake model that
 * answers in 500 ms (scripts/bench/lib.mjs startFakeAnthropic). Each patient is a distinct mobile
 * writing to the bench clinic's tracking number, so every message is a fresh conversation turn
 * that goes webhook → queue → the clinic's Durable Object (the turn) → the model → Twilio.
 * Aim: p95 < 2 s on top of the model's own time.
 */
import { percentile, webhookRequest } from './lib.mjs'

const CLINIC_NUMBER = '+441134960001' // the bench clinic (src/demo/seed.ts BENCH_CLINIC)
const ACCOUNT = 'ACbench00000000000000000000000000'
const PATIENTS = 40
const AIM_OVERHEAD_MS = 2000

const messageSid = (n) => `SMbe${String(n).padStart(30, '0')}`

async function replyLatency(ctx) {
  const latencies = []
  let missing = 0
  const one = async (i) => {
    // Drama-range mobiles apart from the text-back bench's (which starts at 900000).
    const from = `+447700900${String(800 + i).padStart(3, '0')}`
    const req = webhookRequest(ctx, '/webhooks/twilio/messaging', {
      AccountSid: ACCOUNT,
      ApiVersion: '2010-04-01',
      MessageSid: messageSid(i),
      SmsSid: messageSid(i),
      From: from,
      To: CLINIC_NUMBER,
      Body: 'Hi, can I book a hygienist appointment on Tuesday morning?',
      NumMedia: '0',
    })
    const sentAt = performance.now()
    const arrival = ctx.fakeTwilio.waitFor(from, 20_000, sentAt)
    const res = await fetch(`${ctx.base}${req.path}`, req)
    await res.arrayBuffer()
    const at = await arrival
    if (at === null) missing++
    else latencies.push(at - sentAt)
  }
  // Five patients at a time: a busy evening for one clinic.
  for (let i = 0; i < PATIENTS; i += 5) {
    await Promise.all(Array.from({ length: Math.min(5, PATIENTS - i) }, (_, k) => one(i + k)))
  }
  return {
    patients: PATIENTS,
    replied: latencies.length,
    missing,
    modelDelayMs: ctx.fakeAnthropic.delayMs,
    p50Ms: latencies.length ? Math.round(percentile(latencies, 50)) : null,
    p95Ms: latencies.length ? Math.round(percentile(latencies, 95)) : null,
    maxMs: latencies.length ? Math.round(Math.max(...latencies)) : null,
  }
}

export default {
  name: 'conversations',
  description: 'patient SMS → AI reply at the fake Twilio, model answering in 500 ms',
  async run(ctx) {
    const seed = await fetch(`${ctx.base}/__dev/seed/bench`, { method: 'POST' })
    if (!seed.ok) throw new Error(`POST /__dev/seed/bench answered ${seed.status}`)
    const results = await replyLatency(ctx)
    const overhead = results.p95Ms === null ? null : results.p95Ms - results.modelDelayMs
    return {
      results,
      rows: [
        {
          metric: 'patient SMS → AI reply p50 / p95',
          value: `${results.p50Ms} / ${results.p95Ms} ms`,
          aim: `p95 < ${results.modelDelayMs + AIM_OVERHEAD_MS} ms`,
          pass: results.missing === 0 && overhead !== null && overhead < AIM_OVERHEAD_MS,
        },
        {
          metric: 'AI replies missing (of patients)',
          value: `${results.missing} of ${results.patients}`,
          aim: '0',
          pass: results.missing === 0,
        },
      ],
    }
  },
}
