import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hashPassword, verifyPassword } from '../src/auth/passwords'
import {
  afterFailure,
  FAILURE_WINDOW_MS,
  LOCKOUT_MS,
  lockedForMs,
  MAX_LOGIN_FAILURES,
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
  const gaps = fc.array(fc.integer({ min: 0, max: 40 * 60_000 }), { minLength: 1, maxLength: 30 })

  function replay(gapsMs: number[]) {
    let state: ThrottleState | null = null
    let now = 1_700_000_000_000
    const timeline: { now: number; state: ThrottleState }[] = []
    for (const gap of gapsMs) {
      now += gap
      if (lockedForMs(state, now) > 0) continue // a locked attempt is refused before counting
      state = afterFailure(state, now)
      timeline.push({ now, state })
    }
    return timeline
  }

  it('never locks before five failures within the window, and always locks at the fifth', () => {
    fc.assert(
      fc.property(gaps, (gapsMs) => {
        const timeline = replay(gapsMs)
        timeline.forEach(({ now, state }, i) => {
          // Counted failures at or after this one's window start (since the last lock ended).
          expect(state.failures).toBeLessThanOrEqual(MAX_LOGIN_FAILURES)
          expect(now - state.windowStartedAt).toBeLessThanOrEqual(FAILURE_WINDOW_MS)
          if (state.failures >= MAX_LOGIN_FAILURES) {
            expect(state.lockedUntil).toBe(now + LOCKOUT_MS)
          } else {
            expect(state.lockedUntil).toBeNull()
          }
          const recent = timeline
            .slice(0, i + 1)
            .filter((t) => t.now >= state.windowStartedAt).length
          expect(state.failures).toBe(recent)
        })
      }),
    )
  })

  it('a lock always ends after 15 minutes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 60_000 }), (spread) => {
        let state: ThrottleState | null = null
        const start = 1_800_000_000_000
        for (let i = 0; i < MAX_LOGIN_FAILURES; i++) {
          state = afterFailure(state, start + Math.floor((spread * i) / MAX_LOGIN_FAILURES))
        }
        const lockedAt =
          start + Math.floor((spread * (MAX_LOGIN_FAILURES - 1)) / MAX_LOGIN_FAILURES)
        expect(lockedForMs(state, lockedAt)).toBe(LOCKOUT_MS)
        expect(lockedForMs(state, lockedAt + LOCKOUT_MS)).toBe(0)
        expect(afterFailure(state, lockedAt + LOCKOUT_MS).failures).toBe(1)
      }),
    )
  })
})
