import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { identifyCaller } from '../src/calls/caller'
import { getConfig } from '../src/env'
import { normalisePhone, parseCaller } from '../src/phone/phone'

const config = getConfig(env)

/** A UK mobile as its 10 national significant digits: 7, then 1–5 or 7–9, then 8 digits. */
const ukMobile = fc
  .tuple(
    fc.constantFrom('1', '2', '3', '4', '5', '7', '8', '9'),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 8 }),
  )
  .map(([second, rest]) => `7${second}${rest.join('')}`)

/** Inserts spaces or dashes between some digits, as people write numbers. */
function withSeparators(digits: string, cuts: number[], sep: string): string {
  let out = ''
  for (let i = 0; i < digits.length; i++) {
    out += digits[i]
    if (cuts.includes(i) && i < digits.length - 1) out += sep
  }
  return out
}

const writtenForms = (nsn: string, cuts: number[], sep: string) => [
  `0${withSeparators(nsn, cuts, sep)}`,
  `+44${nsn}`,
  `+44 ${withSeparators(nsn, cuts, sep)}`,
  `0044${withSeparators(nsn, cuts, sep)}`,
  `0044 ${nsn}`,
  ` 0${nsn} `,
]

describe('caller normalisation and hashing (property)', () => {
  it('any UK mobile in any common written form normalises to the same E.164 mobile and hash', async () => {
    await fc.assert(
      fc.asyncProperty(
        ukMobile,
        fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }),
        fc.constantFrom(' ', '-'),
        async (nsn, cuts, sep) => {
          const e164 = `+44${nsn}`
          const hashes = new Set<string>()
          for (const form of writtenForms(nsn, cuts, sep)) {
            expect(normalisePhone(form), form).toMatchObject({ e164, mobile: true })
            const caller = parseCaller(form, 'GB')
            expect(caller).toMatchObject({ kind: 'number', e164, mobile: true })
            const identity = await identifyCaller(config, 'cln_A', form, 'GB')
            expect(identity.callerKind).toBe('mobile')
            hashes.add(identity.callerHash ?? 'null')
          }
          expect(hashes.size).toBe(1)
          expect([...hashes][0]).toMatch(/^[0-9a-f]{64}$/)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('the same number hashes differently for different clinics, and different numbers differently', async () => {
    await fc.assert(
      fc.asyncProperty(
        ukMobile,
        ukMobile,
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (a, b, clinicX, clinicY) => {
          fc.pre(clinicX !== clinicY)
          const ax = await identifyCaller(config, clinicX, `0${a}`, 'GB')
          const ay = await identifyCaller(config, clinicY, `0${a}`, 'GB')
          expect(ax.callerHash).not.toBe(ay.callerHash)
          if (a !== b) {
            const bx = await identifyCaller(config, clinicX, `0${b}`, 'GB')
            expect(bx.callerHash).not.toBe(ax.callerHash)
          }
        },
      ),
      { numRuns: 100 },
    )
  })

  it('the drama range +447700900xxx counts as mobile', () => {
    for (let i = 0; i < 1000; i += 37) {
      const n = `+447700900${String(i).padStart(3, '0')}`
      expect(normalisePhone(n)).toEqual({ e164: n, mobile: true })
    }
  })

  it('withheld and unparseable callers have no hash', async () => {
    for (const raw of ['anonymous', 'RESTRICTED', '+266696687', '', 'abc', '12']) {
      expect(await identifyCaller(config, 'cln_A', raw, 'GB')).toEqual({
        callerHash: null,
        callerKind: 'withheld',
        e164: null,
      })
    }
  })

  it('a UK landline is a number but not a mobile', async () => {
    const identity = await identifyCaller(config, 'cln_A', '0113 496 0123', 'GB')
    expect(identity.callerKind).toBe('other')
    expect(identity.e164).toBe('+441134960123')
  })
})
