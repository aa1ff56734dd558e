/**
 * Bench module: website forms (docs/LEADS.md).
 *  - /embed.js bytes, gzipped (aim < 5 KB).
 *  - submissions per second: JSON enquiries POSTed to a form from its allowed origin, a fresh
 *    person and client address each (the per-client rate limit would otherwise answer 429), beside
 *    the bare route (GET /healthz) measured in the same run. Each submission seals the person's
 *    details, writes the lead, the enquiry and a timeline event in one D1 batch. Aim: ≥ 0.2× bare
 *    (five writes and the sealing against none); reported with its latency percentiles.
 *  - the hosted form page's render (wall clock, p50 / p95 of 50).
 */
import { gzipSync } from 'node:zlib'
import { createDemoForm, load, percentile } from './lib.mjs'

const SITE = 'https://www.bench.example'

export default {
  name: 'leads',
  description:
    'embed.js size, form submissions per second beside the bare route, hosted form render',
  async run(ctx) {
    const duration = ctx.durationSeconds
    const embed = Buffer.from(await (await fetch(`${ctx.base}/embed.js`)).arrayBuffer())
    const embedGzip = gzipSync(embed).length
    const formId = await createDemoForm(ctx.base, 'enquiry', 'Bench enquiries', [SITE])

    const hosted = []
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now()
      await (await fetch(`${ctx.base}/f/${formId}`)).arrayBuffer()
      hosted.push(performance.now() - t0)
    }

    ctx.log(`bare route GET /healthz for ${duration}s…`)
    const bare = await load({ url: `${ctx.base}/healthz`, duration })
    ctx.log(`form submissions for ${duration}s…`)
    let n = 0
    const submissions = await load({
      url: ctx.base,
      duration,
      requests: [
        {
          setupRequest: (req) => {
            n++
            return {
              ...req,
              method: 'POST',
              path: `/api/v1/forms/${formId}/submissions`,
              headers: {
                'content-type': 'application/json',
                origin: SITE,
                'cf-connecting-ip': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
              },
              body: JSON.stringify({
                name: `Bench Person ${n}`,
                email: `bench.${n}.${Date.now()}@example.com`,
                message: 'Is bonding possible on a chipped tooth?',
                consent: { marketing: false, ads: true },
                attribution: { utmSource: 'google', gclid: `bench-${n}` },
              }),
            }
          },
        },
      ],
    })
    const ratio = submissions.requestsPerSecond / Math.max(1, bare.requestsPerSecond)
    const rows = [
      {
        metric: '/embed.js gzipped',
        value: `${embedGzip} B (${embed.length} B raw)`,
        aim: '< 5 KB',
        pass: embedGzip < 5 * 1024,
      },
      { metric: 'bare GET /healthz', value: `${bare.requestsPerSecond} req/s` },
      {
        metric: 'form submissions',
        value: `${submissions.requestsPerSecond} req/s (${ratio.toFixed(2)}× bare)`,
        aim: '≥ 0.2× bare, no errors',
        pass: ratio >= 0.2 && submissions.non2xx === 0 && submissions.errors === 0,
      },
      {
        metric: 'submission latency p50 / p99',
        value: `${submissions.latencyMs.p50} / ${submissions.latencyMs.p99} ms`,
      },
      {
        metric: 'hosted form page p50 / p95',
        value: `${percentile(hosted, 50).toFixed(1)} / ${percentile(hosted, 95).toFixed(1)} ms`,
      },
    ]
    return {
      results: { embedBytes: embed.length, embedGzip, bare, submissions, hostedMs: hosted },
      rows,
    }
  },
}
