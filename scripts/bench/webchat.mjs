/**
 * Bench module: web chat (docs/LEADS.md "Web chat").
 *  - time from a chat message to the AI's first words on the page: a page's WebSocket sends a
 *    message; the clock stops when the assistant's reply arrives on the same socket. The path is
 *    the real one: the clinic's Durable Object stores it in D1, the queue runs the `ai-reply` job
 *    (the consumer waits up to 1 s to fill a batch), the model answers (the local fake Anthropic,
 *    which takes `fakeAnthropic.delayMs`), the reply is stored and pushed through the object.
 *  - beside it, in the same run: message → acknowledgement (stored, no model), and the fake
 *    model's own delay, so what Ringback adds is plain. Aim: first words p95 < 2.5 s with the
 *    0.5 s model.
 */
import { createDemoForm, percentile } from './lib.mjs'

const SAMPLES = 12

/** Starts a chat as the hosted page does and opens its socket; resolves once it is open. */
async function openChat(base, formId, n) {
  const origin = new URL(base).origin
  const res = await fetch(`${base}/api/v1/forms/${formId}/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, 'cf-connecting-ip': `10.9.0.${n}` },
    body: JSON.stringify({
      name: `Bench Chatter ${n}`,
      email: `bench.chat.${n}.${Date.now()}@example.com`,
      message: 'Hello',
      consent: { marketing: false, ads: false },
    }),
  })
  if (res.status !== 201) throw new Error(`chat start answered ${res.status}`)
  const { chat } = await res.json()
  const url = `${base.replace(/^http/, 'ws')}/f/${formId}/chat?token=${encodeURIComponent(chat.token)}`
  const ws = new WebSocket(url, { headers: { origin } })
  const frames = []
  const listeners = new Set()
  ws.addEventListener('message', (e) => {
    const frame = JSON.parse(String(e.data))
    frames.push(frame)
    for (const l of listeners) l(frame)
  })
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true })
    ws.addEventListener('error', () => reject(new Error('chat socket did not open')), {
      once: true,
    })
  })
  const next = (match, timeoutMs = 15_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener)
        reject(new Error('no matching chat frame in time'))
      }, timeoutMs)
      const listener = (f) => {
        if (!match(f)) return
        clearTimeout(timer)
        listeners.delete(listener)
        resolve(f)
      }
      listeners.add(listener)
    })
  return { ws, frames, next }
}

export default {
  name: 'webchat',
  description: 'web chat: message → acknowledgement, and → the AI’s first words on the page',
  async run(ctx) {
    const formId = await createDemoForm(ctx.base, 'chat', 'Bench chat')
    const acked = []
    const firstWords = []
    for (let i = 1; i <= SAMPLES; i++) {
      const page = await openChat(ctx.base, formId, i)
      // The start's own AI turn first, so the measured message is the conversation's newest.
      const greeted = page.next((f) => f.type === 'message' && f.message.author === 'ai')
      page.ws.send(JSON.stringify({ type: 'hello' }))
      const history = await page.next((f) => f.type === 'history')
      if (!history.messages.some((m) => m.author === 'ai')) await greeted
      const id = `bench-${i}-${Date.now()}`
      const t0 = performance.now()
      const ack = page.next((f) => f.type === 'ack' && f.id === id)
      const words = page.next((f) => f.type === 'message' && f.message.author === 'ai')
      page.ws.send(
        JSON.stringify({ type: 'message', id, body: 'Do you have anything on Saturday?' }),
      )
      await ack
      acked.push(performance.now() - t0)
      await words
      firstWords.push(performance.now() - t0)
      page.ws.close()
    }
    const p = (v, q) => percentile(v, q).toFixed(0)
    const model = ctx.fakeAnthropic.delayMs
    return {
      results: { samples: SAMPLES, ackMs: acked, firstWordsMs: firstWords, modelDelayMs: model },
      rows: [
        {
          metric: 'chat message → stored (ack) p50 / p95',
          value: `${p(acked, 50)} / ${p(acked, 95)} ms`,
        },
        { metric: 'fake model’s own delay (baseline)', value: `${model} ms` },
        {
          metric: 'chat message → AI’s first words p50 / p95',
          value: `${p(firstWords, 50)} / ${p(firstWords, 95)} ms`,
          aim: 'p95 < 2.5 s (0.5 s model)',
          pass: percentile(firstWords, 95) < 2500,
        },
      ],
    }
  },
}
