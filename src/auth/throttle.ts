/**
 * Login throttling as pure decisions: how many failures an account may have, and for how long it
 * is locked. The state lives in D1 (`login_throttle`, keyed by the email lookup hash, so unknown
 * emails are throttled exactly like known ones and the table holds no email address).
 */
import { MINUTE_MS } from '../lib/time'

/** Failures allowed within the window; the next failure after this many locks the account. */
export const MAX_LOGIN_FAILURES = 5
export const FAILURE_WINDOW_MS = 15 * MINUTE_MS
export const LOCKOUT_MS = 15 * MINUTE_MS

export type ThrottleState = {
  failures: number
  windowStartedAt: number
  lockedUntil: number | null
}

/** Milliseconds until the account may try again, or 0 when it may try now. */
export function lockedForMs(state: ThrottleState | null, now: number): number {
  if (!state?.lockedUntil) return 0
  return Math.max(0, state.lockedUntil - now)
}

/**
 * The state after one more failed attempt at `now`. Failures older than the window (or from
 * before a lock that has ended) no longer count; the fifth failure within the window locks.
 */
export function afterFailure(state: ThrottleState | null, now: number): ThrottleState {
  const fresh =
    !state ||
    now - state.windowStartedAt > FAILURE_WINDOW_MS ||
    (state.lockedUntil !== null && state.lockedUntil <= now)
  const failures = fresh ? 1 : state.failures + 1
  const windowStartedAt = fresh ? now : state.windowStartedAt
  return {
    failures,
    windowStartedAt,
    lockedUntil: failures >= MAX_LOGIN_FAILURES ? now + LOCKOUT_MS : null,
  }
}
