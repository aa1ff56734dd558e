/**
 * Login throttling keyed by client AND account, decided atomically in D1 (`login_throttle`), so
 * parallel guesses cannot outrun the count and nobody can lock a known email out for long.
 *
 * Three counters per attempt, each one row whose key holds no email or IP in clear (keyed hashes):
 * - `pair:<account>:<client>` — 5 attempts per 15 minutes for one account from one client IP
 *   (`CF-Connecting-IP`); the 5th failure locks that pair for 15 minutes, even for the right
 *   password. Only the guessing client is locked: the owner elsewhere still signs in.
 * - `ip:<client>` — 50 attempts per 15 minutes from one client across every account (spraying one
 *   password over many emails), then that client is locked for 15 minutes.
 * - `acct:<account>` — 20 attempts per 15 minutes on one account from all clients together
 *   (a botnet), then a lock of 1 minute only: it slows distributed guessing to ~20 a minute but
 *   never applies to a device that signed in to the account before (signed cookie), so it can
 *   never keep the real owner out. Clients are IPs (IPv4) or /64 prefixes (IPv6): `clientBucket`.
 * An attempt takes a slot in each counter BEFORE the password is checked (one
 * `INSERT … ON CONFLICT DO UPDATE … RETURNING` that increments and decides), so 25 parallel
 * guesses get 5 checks, not 25. A success gives its slots back (and clears its pair); a refused
 * attempt gives back the slots it took in counters that did not refuse it.
 * `afterAttempt` is the same rule as a pure function (property-tested against the SQL).
 */
import { MINUTE_MS } from '../lib/time'

export type ThrottlePolicy = {
  /** Attempts allowed within the window; the attempt that reaches this count locks (after it is tried). */
  max: number
  windowMs: number
  lockMs: number
}

export const PAIR_POLICY: ThrottlePolicy = {
  max: 5,
  windowMs: 15 * MINUTE_MS,
  lockMs: 15 * MINUTE_MS,
}
export const CLIENT_POLICY: ThrottlePolicy = {
  max: 50,
  windowMs: 15 * MINUTE_MS,
  lockMs: 15 * MINUTE_MS,
}
export const ACCOUNT_POLICY: ThrottlePolicy = {
  max: 20,
  windowMs: 15 * MINUTE_MS,
  lockMs: MINUTE_MS,
}

export type ThrottleState = {
  failures: number
  windowStartedAt: number
  lockedUntil: number | null
}

export type AttemptDecision = {
  state: ThrottleState
  /** May this attempt check the password? */
  allowed: boolean
  /** This attempt started the lock (for the lock-out audit). */
  lockedNow: boolean
  /** When refused: milliseconds until the counter lets attempts through again. */
  retryAfterMs: number
}

/** Milliseconds until the key may try again, or 0 when it may try now. */
export function lockedForMs(state: ThrottleState | null, now: number): number {
  if (!state?.lockedUntil) return 0
  return Math.max(0, state.lockedUntil - now)
}

/**
 * One attempt at `now` against a counter (the pure twin of `attemptStatement`'s SQL). While
 * locked, attempts are refused (counted, lock unchanged); a window that has passed, or a lock
 * that has ended, starts afresh; the attempt that brings the count to `max` is allowed and locks.
 */
export function afterAttempt(
  state: ThrottleState | null,
  now: number,
  policy: ThrottlePolicy,
): AttemptDecision {
  if (state && state.lockedUntil !== null && state.lockedUntil > now) {
    const next = { ...state, failures: state.failures + 1 }
    return { state: next, allowed: false, lockedNow: false, retryAfterMs: state.lockedUntil - now }
  }
  const fresh =
    !state || now - state.windowStartedAt > policy.windowMs || state.lockedUntil !== null
  const failures = fresh ? 1 : state.failures + 1
  const windowStartedAt = fresh ? now : state.windowStartedAt
  const lockedUntil = failures >= policy.max ? now + policy.lockMs : null
  const allowed = failures <= policy.max
  return {
    state: { failures, windowStartedAt, lockedUntil },
    allowed,
    lockedNow: allowed && lockedUntil !== null,
    retryAfterMs: allowed ? 0 : (lockedUntil ?? now) - now,
  }
}

type Row = { failures: number; window_started_at: number; locked_until: number | null }

/**
 * The atomic increment-and-decide for one counter: one statement, so concurrent attempts each
 * see the count their own increment produced. `onlyIfAllowedKey` makes the statement a no-op
 * unless that (earlier in the same batch) counter allowed this attempt.
 */
function attemptStatement(
  d1: D1Database,
  key: string,
  now: number,
  policy: ThrottlePolicy,
  onlyIfAllowed?: { key: string; policy: ThrottlePolicy },
): D1PreparedStatement {
  const guard = onlyIfAllowed
    ? 'WHERE EXISTS (SELECT 1 FROM login_throttle WHERE key = ?6 AND failures <= ?7)'
    : 'WHERE 1'
  // Raw SQL: an upsert whose every column is a CASE on the old row, guarded by another key's row
  // and RETURNING the result, is one atomic statement here; Drizzle cannot express the guard.
  // In an UPDATE's SET, column names are the row's OLD values: every CASE decides from them.
  const sql = `
    INSERT INTO login_throttle (key, failures, window_started_at, locked_until)
    SELECT ?1, 1, ?2, CASE WHEN 1 >= ?3 THEN ?2 + ?5 ELSE NULL END ${guard}
    ON CONFLICT(key) DO UPDATE SET
      failures = CASE
        WHEN locked_until > ?2 THEN failures + 1
        WHEN ?2 - window_started_at > ?4 OR locked_until IS NOT NULL THEN 1
        ELSE failures + 1 END,
      window_started_at = CASE
        WHEN locked_until > ?2 THEN window_started_at
        WHEN ?2 - window_started_at > ?4 OR locked_until IS NOT NULL THEN ?2
        ELSE window_started_at END,
      locked_until = CASE
        WHEN locked_until > ?2 THEN locked_until
        WHEN (CASE WHEN ?2 - window_started_at > ?4 OR locked_until IS NOT NULL THEN 1
                   ELSE failures + 1 END) >= ?3 THEN ?2 + ?5
        ELSE NULL END
    RETURNING failures, window_started_at, locked_until`
  const params: unknown[] = [key, now, policy.max, policy.windowMs, policy.lockMs]
  if (onlyIfAllowed) params.push(onlyIfAllowed.key, onlyIfAllowed.policy.max)
  return d1.prepare(sql).bind(...params)
}

/** Gives back the slot an attempt took (it was not tried, or it succeeded). */
function releaseStatement(d1: D1Database, key: string, policy: ThrottlePolicy) {
  // A lock this slot's count set is lifted with it; a lock from later attempts stays.
  return d1
    .prepare(
      `UPDATE login_throttle SET
         failures = MAX(failures - 1, 0),
         locked_until = CASE WHEN failures - 1 >= ?2 THEN locked_until ELSE NULL END
       WHERE key = ?1 AND failures <= ?2`,
    )
    .bind(key, policy.max)
}

function decide(row: Row | undefined, policy: ThrottlePolicy, now: number): AttemptDecision | null {
  if (!row) return null
  const state = {
    failures: row.failures,
    windowStartedAt: row.window_started_at,
    lockedUntil: row.locked_until,
  }
  const allowed = state.failures <= policy.max
  return {
    state,
    allowed,
    lockedNow: allowed && state.lockedUntil !== null,
    retryAfterMs: allowed ? 0 : Math.max(0, (state.lockedUntil ?? now) - now),
  }
}

/** The throttle keys of one sign-in attempt. `account` and `client` are keyed hashes. */
export function throttleKeys(account: string, client: string) {
  return {
    pair: `pair:${account}:${client}`,
    client: `ip:${client}`,
    account: accountThrottleKeys(account).account,
  }
}

export type LoginAttempt =
  | { allowed: true; pairLockedNow: boolean; release(success: boolean): Promise<void> }
  | { allowed: false; retryAfterMs: number }

/**
 * Takes a slot in the pair, client and account counters in one D1 batch (one transaction): the
 * client and account counters are touched only when the pair allowed the attempt, so a locked
 * pair's hammering never spills onto the account. Refused by any counter → the slots taken in the
 * others are given back. On `release(true)` (right password) the pair is cleared and the other
 * slots given back; `release(false)` keeps them as failures.
 */
export async function beginLoginAttempt(
  d1: D1Database,
  keys: ReturnType<typeof throttleKeys>,
  now: number,
  options: { knownDevice?: boolean } = {},
): Promise<LoginAttempt> {
  const pairGuard = { key: keys.pair, policy: PAIR_POLICY }
  // A device that signed in to this account before (signed cookie) is exempt from the account
  // ceiling: a botnet keeping that ceiling engaged cannot keep the owner out at all.
  const countAccount = !options.knownDevice
  const [pairRes, clientRes, accountRes] = await d1.batch<Row>([
    attemptStatement(d1, keys.pair, now, PAIR_POLICY),
    attemptStatement(d1, keys.client, now, CLIENT_POLICY, pairGuard),
    ...(countAccount ? [attemptStatement(d1, keys.account, now, ACCOUNT_POLICY, pairGuard)] : []),
  ])
  const pair = decide(pairRes?.results[0], PAIR_POLICY, now)
  if (!pair?.allowed) {
    return { allowed: false, retryAfterMs: pair?.retryAfterMs ?? PAIR_POLICY.lockMs }
  }
  const client = decide(clientRes?.results[0], CLIENT_POLICY, now)
  const account = decide(accountRes?.results[0], ACCOUNT_POLICY, now)
  const refusals = [client, account].filter((d) => d && !d.allowed) as AttemptDecision[]
  if (refusals.length > 0) {
    const giveBack = [releaseStatement(d1, keys.pair, PAIR_POLICY)]
    if (client?.allowed) giveBack.push(releaseStatement(d1, keys.client, CLIENT_POLICY))
    if (account?.allowed) giveBack.push(releaseStatement(d1, keys.account, ACCOUNT_POLICY))
    await d1.batch(giveBack)
    return { allowed: false, retryAfterMs: Math.max(...refusals.map((r) => r.retryAfterMs)) }
  }
  return {
    allowed: true,
    pairLockedNow: pair.lockedNow,
    async release(success: boolean) {
      if (!success) return
      await d1.batch([
        d1.prepare('DELETE FROM login_throttle WHERE key = ?1').bind(keys.pair),
        releaseStatement(d1, keys.client, CLIENT_POLICY),
        ...(countAccount ? [releaseStatement(d1, keys.account, ACCOUNT_POLICY)] : []),
      ])
    },
  }
}

/**
 * The bucket a client IP is counted in: the address for IPv4, the /64 prefix for IPv6 (one
 * subscriber gets a whole /64, so single addresses would be free to rotate through).
 */
export function clientBucket(ip: string): string {
  const v = ip.trim().toLowerCase()
  if (!v.includes(':')) return v
  // An IPv4-mapped or -embedded address (`::ffff:192.0.2.1`) counts as its IPv4 address.
  if (v.includes('.')) return v.slice(v.lastIndexOf(':') + 1)
  const [head = '', tail] = v.split('::', 2)
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups =
    tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  return `${groups
    .slice(0, 4)
    .map((g) => g.padStart(4, '0'))
    .join(':')}::/64`
}

/**
 * The keys of every lock on one account: its account counter and the range holding all its pairs
 * (`;` sorts right after `:`), for a completed password reset to clear.
 */
export function accountThrottleKeys(account: string) {
  return { account: `acct:${account}`, pairsFrom: `pair:${account}:`, pairsTo: `pair:${account};` }
}

/** One attempt against one counter, alone (the SQL twin of `afterAttempt`, for tests and tools). */
export async function attemptCounter(
  d1: D1Database,
  key: string,
  now: number,
  policy: ThrottlePolicy,
): Promise<AttemptDecision | null> {
  const row = await attemptStatement(d1, key, now, policy).first<Row>()
  return decide(row ?? undefined, policy, now)
}
