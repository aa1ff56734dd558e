/**
 * Helpers for tests that meet the abuse controls: a distinct client IP per simulated client
 * (`CF-Connecting-IP`, which rate limits and login throttling key on), and polling for work that
 * finishes after the response (waitUntil, the queue).
 */

const run = crypto.getRandomValues(new Uint16Array(1))[0]!.toString(16)
let counter = 0

/**
 * A fresh client: an IPv6 documentation address in its own /64 (clients are counted per /64),
 * unique across files sharing limiter state.
 */
export function testIp(): string {
  counter++
  return `2001:db8:${run}:${counter.toString(16)}::1`
}

/** Retries `check` until it stops throwing (or the time is up, then throws its last error). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > until) throw err
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}
