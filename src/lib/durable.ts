/**
 * Calls into a Durable Object can fail transiently ("Durable Object reset because its code was
 * updated", "Network connection lost"). Retry those, and only those, a few times.
 */
const RETRYABLE = [
  /reset because its code was updated/i,
  /network connection lost/i,
  /storage caused object to be reset/i,
  /overloaded/i,
]

export async function withDurableRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  let lastError: unknown
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn()
    } catch (err) {
      lastError = err
      const message = err instanceof Error ? err.message : String(err)
      const retryable =
        (err as { retryable?: boolean })?.retryable === true ||
        RETRYABLE.some((re) => re.test(message))
      if (!retryable) throw err
      await new Promise((r) => setTimeout(r, 25 * 2 ** i))
    }
  }
  throw lastError
}
