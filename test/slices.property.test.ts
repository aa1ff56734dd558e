import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { slices } from '../src/lib/slices'

describe('slices', () => {
  it('cuts any list into non-empty pieces of at most `size` that join back to it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 200 }), (items, size) => {
        const pieces = [...slices(items, size)]
        expect(pieces.flat()).toEqual(items)
        for (const p of pieces) {
          expect(p.length).toBeGreaterThan(0)
          expect(p.length).toBeLessThanOrEqual(size)
        }
        // Only the last piece may be short.
        for (const p of pieces.slice(0, -1)) expect(p.length).toBe(size)
      }),
    )
  })
})
