/**
 * The one safe-redirect rule (src/lib/redirect.ts) for every input-named redirect, and the
 * dashboard's sign-in `next` through it: same-origin paths only, never a 500.
 */
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hashPassword } from '../src/auth/passwords'
import { createDb } from '../src/db/client'
import { users } from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { safeNextPath } from '../src/lib/redirect'
import { clinicKeyring, userEmailLookup } from '../src/privacy/crypto'
import { testIp } from './helpers/abuse'
import { call, createTestClinic, ORIGIN } from './helpers/clinic'

const BASE = 'https://a.example'

/** The rule every result must meet: `/`, or a path that stays on this origin and fits a header. */
function expectSafe(result: string) {
  if (result === '/') return
  expect(result.startsWith('/')).toBe(true)
  expect(new URL(result, BASE).origin).toBe(BASE)
  expect(() => new Headers({ location: result })).not.toThrow()
}

describe('safeNextPath (property)', () => {
  it('for every string the result is / or a path that resolves to this origin', () => {
    const pathish = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.webPath(),
      fc.webUrl(),
      fc
        .array(
          fc.constantFrom(
            '/',
            '\\',
            '%09',
            '%0a',
            '%2F',
            '%5C',
            '%2509',
            '\t',
            '\n',
            ' ',
            'evil.example',
            ':',
            '@',
            '.',
            'https:',
            '%',
            '\u2028',
            '\u200b',
          ),
          { maxLength: 8 },
        )
        .map((parts) => parts.join('')),
    )
    fc.assert(
      fc.property(pathish, (raw) => expectSafe(safeNextPath(raw))),
      { numRuns: 2000 },
    )
  })

  it('keeps ordinary paths and refuses the tricks', () => {
    expect(safeNextPath('/calls?status=missed&from=2026-01-01')).toBe(
      '/calls?status=missed&from=2026-01-01',
    )
    expect(safeNextPath('/appointments/apt_1#top')).toBe('/appointments/apt_1#top')
    for (const bad of [
      '/%09/evil.example',
      '/\t/evil.example',
      '//evil.example',
      '/\\evil.example',
      '/%5Cevil.example',
      '/%2F%2Fevil.example',
      '/%2509/evil.example',
      '/x%0d%0aSet-Cookie:a=b',
      'https://evil.example',
      'javascript:alert(1)',
      '',
      '/%E0%A4%A',
      '/\u0000',
      undefined,
      42,
    ]) {
      expect(safeNextPath(bad)).toBe('/')
    }
  })
})

describe('dashboard sign-in `next`', () => {
  async function member() {
    const clinic = await createTestClinic()
    const config = getConfig(env)
    const db = createDb(env.DB)
    const email = `next.${newId('usr').toLowerCase()}@clinic.test`
    const keyring = await clinicKeyring(db, config, clinic.clinicId)
    await db.insert(users).values({
      id: newId('usr'),
      clinicId: clinic.clinicId,
      emailLookup: await userEmailLookup(config, email),
      emailSealed: await keyring.seal(email),
      passwordHash: await hashPassword('correct-horse-battery'),
      role: 'owner',
      status: 'active',
    })
    return email
  }

  function signIn(email: string, next: string) {
    return call('/login', {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: ORIGIN,
        'cf-connecting-ip': testIp(),
      },
      body: new URLSearchParams({ email, password: 'correct-horse-battery', next }).toString(),
    })
  }

  it('follows a same-site path, and sends /%09/evil.example and control characters home', async () => {
    const email = await member()
    const good = await signIn(email, '/calls?status=missed')
    expect(good.status).toBe(303)
    expect(good.headers.get('location')).toBe('/calls?status=missed')
    for (const bad of [
      '/%09/evil.example',
      '/\t/evil.example',
      '/x\r\nSet-Cookie: a=b',
      '\u0000',
      '//evil.example',
    ]) {
      const res = await signIn(email, bad)
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/')
    }
  })

  it('a failed sign-in with a hostile `next` re-renders the form (401), never a 500', async () => {
    const res = await call('/login', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: ORIGIN,
        'cf-connecting-ip': testIp(),
      },
      body: new URLSearchParams({
        email: 'nobody@clinic.test',
        password: 'wrong-password',
        next: '/\u0007\r\n//evil.example',
      }).toString(),
    })
    expect(res.status).toBe(401)
    expect(await res.text()).not.toContain('evil.example')
    const page = await call(`/login?next=${encodeURIComponent('/%09/evil.example')}`)
    expect(page.status).toBe(200)
    expect(await page.text()).not.toContain('evil.example')
  })
})
