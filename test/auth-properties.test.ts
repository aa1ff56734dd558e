import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hashPassword, verifyPassword } from '../src/auth/passwords'
import {
  ACCOUNT_POLICY,
  afterAttempt,
  attemptCounter,
  CLIENT_POLICY,
  lockedForMs,
  PAIR_POLICY,
  type ThrottlePolicy,
  type ThrottleState,
} from '../src/auth/throttle'

describe('password hashing (property)', () => {
  it('any password verifies against its own hash, which never contains it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 12, maxLength: 64 }), async (password) => {
        const hash = await hashPassword(password)
        expect(hash.startsWith('scrypt$')).toBe(true)
        expect(hash.split('$').slice(4).join('$')).not.toContain(password)
        expect(await verifyPassword(password, hash)).toBe(true)
      }),
      { numRuns: 8 },
    )
  })

  it('any change to a password fails verification', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 12, maxLength: 40 }),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1 }),
        async (password, at, ch) => {
          const i = at % password.length
          const mutated = password.slice(0, i) + ch + password.slice(i + 1)
          fc.pre(mutated.normalize('NFKC') !== password.normalize('NFKC'))
          const hash = await hashPassword(password)
          expect(await verifyPassword(mutated, hash)).toBe(false)
        },
      ),
      { numRuns: 8 },
    )
  })

  it('a malformed stored hash never verifies', async () => {
    for (const stored of ['', 'plain', 'scrypt$1$2$3', 'bcrypt$x$y$z$a$b']) {
      expect(await verifyPassword('whatever-password', stored)).toBe(false)
    }
  })
})

describe('login throttling (property)', () => {
  const gaps = fc.array(fc.integer({ min: 0, max: 40 * 60_000 }), { minLength: 1, maxLength: 40 })
  const policies = fc.constantFrom(PAIR_POLICY, CLIENT_POLICY, ACCOUNT_POLICY)

  function replay(gapsMs: number[], policy: ThrottlePolicy) {
    let state: ThrottleState | null = null
    let now = 1_700_000_000_000
    const timeline: { now: number; allowed: boolean; state: ThrottleState }[] = []
    for (const gap of gapsMs) {
      now += gap
      const d = afterAttempt(state, now, policy)
      state = d.state
      timeline.push({ now, allowed: d.allowed, state })
    }
    return timeline
  }

  it('never allows more than `max` attempts within one window, and refuses every attempt while locked', () => {
    fc.assert(
      fc.property(gaps, policies, (gapsMs, policy) => {
        const timeline = replay(gapsMs, policy)
        let lockedUntil: number | null = null
        timeline.forEach(({ now, allowed, state }, i) => {
          if (lockedUntil !== null && now < lockedUntil) expect(allowed).toBe(false)
          if (allowed && state.lockedUntil !== null) lockedUntil = state.lockedUntil
          // Allowed attempts since this one's window start never exceed the limit.
          const inWindow = timeline
            .slice(0, i + 1)
            .filter((t) => t.allowed && t.now >= state.windowStartedAt).length
          expect(inWindow).toBeLessThanOrEqual(policy.max)
        })
      }),
    )
  })

  it('the attempt that reaches `max` is allowed and locks for exactly the policy’s lock time', () => {
    fc.assert(
      fc.property(policies, fc.integer({ min: 0, max: 10 * 60_000 }), (policy, spread) => {
        let state: ThrottleState | null = null
        const start = 1_800_000_000_000
        let last = start
        for (let i = 0; i < policy.max; i++) {
          last = start + Math.floor((spread * i) / policy.max)
          const d = afterAttempt(state, last, policy)
          expect(d.allowed).toBe(true)
          expect(d.lockedNow).toBe(i === policy.max - 1)
          state = d.state
        }
        expect(lockedForMs(state, last)).toBe(policy.lockMs)
        expect(afterAttempt(state, last + policy.lockMs - 1, policy).allowed).toBe(false)
        const after = afterAttempt(state, last + policy.lockMs, policy)
        expect(after.allowed).toBe(true)
        expect(after.state.failures).toBe(1)
      }),
    )
  })

  it('the one-statement SQL counter in D1 decides exactly as the pure rule', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 20 * 60_000 }), { minLength: 1, maxLength: 25 }),
        policies,
        async (gapsMs, policy) => {
          run++
          const key = `prop:${run}:${crypto.randomUUID()}`
          let state: ThrottleState | null = null
          let now = 1_700_000_000_000
          for (const gap of gapsMs) {
            now += gap
            const expected = afterAttempt(state, now, policy)
            const actual = await attemptCounter(env.DB, key, now, policy)
            expect(actual).toEqual(expected)
            state = expected.state
          }
        },
      ),
      { numRuns: 30 },
    )
  })
})
