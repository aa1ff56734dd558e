/**
 * The one retry helper: a few attempts with exponential back-off. Durable Object calls retry only
 * transient failures ("Durable Object reset because its code was updated", "Network connection
 * lost"); a D1 write that must land (src/textback/deliver.ts) retries whatever failed.
 */
const RETRYABLE = [
  /reset because its code was updated/i,
  /network connection lost/i,
  /storage caused object to be reset/i,
  /overloaded/i,
]

/** True for an error a Durable Object call may safely be retried after. */
export function isTransientDurableError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err)
  return (
    (err as { retryable?: boolean })?.retryable === true || RETRYABLE.some((re) => re.test(message))
  )
}

/**
 * Runs `fn`, retrying up to `attempts` times in all while `isRetryable(err)` holds, waiting
 * `baseDelayMs`, then twice that, and so on. The last error is rethrown.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  options: {
    attempts?: number
    baseDelayMs?: number
    isRetryable?: (err: unknown) => boolean
  } = {},
): Promise<T> {
  const { attempts = 3, baseDelayMs = 25, isRetryable = () => true } = options
  let lastError: unknown
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn()
    } catch (err) {
      lastError = err
      if (!isRetryable(err)) throw err
      await new Promise((r) => setTimeout(r, baseDelayMs * 2 ** i))
    }
  }
  throw lastError
}

/** A Durable Object call, retried on transient object resets only. */
export function withDurableRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  return withRetry(fn, { attempts, isRetryable: isTransientDurableError })
}
