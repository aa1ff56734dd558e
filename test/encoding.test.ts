// Constant-time string comparison (through WebCrypto's timingSafeEqual) answers exactly like ===.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { timingSafeEqual } from '../src/lib/encoding'

describe('timingSafeEqual', () => {
  it('agrees with === for every pair of strings, equal lengths or not', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(timingSafeEqual(a, b)).toBe(a === b)
        expect(timingSafeEqual(a, a)).toBe(true)
      }),
    )
  })

  it('tells apart strings that differ only in their last character or in multi-byte text', () => {
    expect(timingSafeEqual('signature=', 'signature+')).toBe(false)
    expect(timingSafeEqual('é', 'e\u0301')).toBe(false)
    expect(timingSafeEqual('', '')).toBe(true)
  })
})
