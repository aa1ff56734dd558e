/**
 * Bench module: reminders at scale (docs/AUTOMATIONS.md, docs/PERFORMANCE.md).
 * 10,000 reminders due in the same minute across 1,000 clinics: `POST /__dev/bench/reminders`
 * writes them (appointments, scheduled rows, sealed numbers) and registers each clinic's wake-ups
 * with its Durable Object, as bookings do; every object's alarm then hands its due ids to the
 * queue and the `scheduled-due` jobs send through the fake Twilio. Measured: from the instant
 * they fell due to the LAST one handed to Twilio (and the first, and the rate), beside the same
 * path for ONE reminder in the same run (the baseline: alarm → queue → send, nothing else).
 */
const CLINICS = Number(process.env.BENCH_REMINDER_CLINICS ?? 1000)
const PER = Number(process.env.BENCH_REMINDERS_PER_CLINIC ?? 10)

async function load(ctx, clinics, per, inSeconds) {
  const res = await fetch(
    `${ctx.base}/__dev/bench/reminders?clinics=${clinics}&per=${per}&inSeconds=${inSeconds}`,
    { method: 'POST' },
  )
  if (!res.ok) throw new Error(`POST /__dev/bench/reminders answered ${res.status}`)
  return res.json()
}

/** Waits until `count` more messages than `before` reached the fake Twilio; epoch ms of each. */
async function handedOver(ctx, before, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (ctx.fakeTwilio.received.length < before + count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250))
  }
  return ctx.fakeTwilio.received.slice(before).map((r) => performance.timeOrigin + r.at)
}

export default {
  name: 'reminders',
  description: `${CLINICS * PER} reminders due in one minute across ${CLINICS} clinics → Twilio`,
  async run(ctx) {
    // Baseline: one clinic, one reminder, the same path.
    let before = ctx.fakeTwilio.received.length
    const one = await load(ctx, 1, 1, 5)
    const [single] = await handedOver(ctx, before, 1, 60_000)
    const baselineMs = single ? single - one.dueAt : null

    before = ctx.fakeTwilio.received.length
    const t0 = Date.now()
    ctx.log(`writing ${CLINICS * PER} reminders across ${CLINICS} clinics…`)
    const big = await load(ctx, CLINICS, PER, 90)
    ctx.log(
      `written in ${((Date.now() - t0) / 1000).toFixed(1)} s; due in ${Math.round((big.dueAt - Date.now()) / 1000)} s`,
    )
    const times = await handedOver(ctx, before, big.reminders, 15 * 60_000)
    const sent = times.length
    const first = Math.min(...times) - big.dueAt
    const last = Math.max(...times) - big.dueAt
    const rate = sent / Math.max(0.001, (Math.max(...times) - big.dueAt) / 1000)
    return {
      results: {
        clinics: CLINICS,
        perClinic: PER,
        reminders: big.reminders,
        sent,
        firstMs: first,
        lastMs: last,
        baselineMs,
      },
      rows: [
        {
          metric: 'one reminder: due → Twilio (baseline)',
          value: `${baselineMs?.toFixed(0) ?? 'none'} ms`,
        },
        {
          metric: `${big.reminders} reminders: due → first / last at Twilio`,
          value: `${(first / 1000).toFixed(1)} s / ${(last / 1000).toFixed(1)} s (${rate.toFixed(0)}/s)`,
          aim: 'all sent; last < 10 min',
          pass: sent === big.reminders && last < 10 * 60_000,
        },
      ],
    }
  },
}
