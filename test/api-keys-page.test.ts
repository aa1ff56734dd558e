/**
 * The dashboard's API-keys page: scopes chosen at creation (defaults ticked), shown per key; the
 * new key shown once after a redirect (a reload creates nothing); revoking asks first.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_API_KEY_SCOPES } from '../src/auth/policy'
import { api, call, createTestClinic } from './helpers/clinic'

function form(body: URLSearchParams, headers: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: body.toString(),
    redirect: 'manual',
  }
}

async function liveKeys(headers: Record<string, string>) {
  const res = await api('GET', '/api/v1/api-keys', undefined, headers)
  return ((await res.json()) as { items: { id: string; name: string; scopes: string[] }[] }).items
}

describe('the API-keys page', () => {
  it('ticks the contract’s default scopes on the form', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const html = await (await call('/api-keys', { headers: owner.headers })).text()
    const ticked = [...html.matchAll(/<input[^>]*name="scope"[^>]*>/g)]
      .map((m) => m[0])
      .filter((tag) => /\bchecked\b/.test(tag))
      .map((tag) => /value="([^"]+)"/.exec(tag)?.[1])
    expect(ticked.sort()).toEqual([...DEFAULT_API_KEY_SCOPES].sort())
    expect(html).toContain('value="leads:read"')
    expect(html).not.toContain('value="audit:read"')
  })

  it('creates a key with the chosen scopes, shows it once after the redirect, and lists its scopes', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const body = new URLSearchParams([
      ['name', 'Reports'],
      ['scope', 'metrics:read'],
      ['scope', 'calls:read'],
    ])
    const res = await call('/api-keys', form(body, owner.headers))
    expect(res.status).toBe(303)
    const keys = await liveKeys(owner.headers)
    expect(keys).toHaveLength(1)
    expect(keys[0]!.scopes).toEqual(['calls:read', 'metrics:read'])

    const flash = (res.headers.get('set-cookie') ?? '').split(';')[0]!
    expect(flash).not.toMatch(/rb_live_/)
    const withFlash = { ...owner.headers, cookie: `${owner.headers.cookie}; ${flash}` }
    const first = await call('/api-keys', { headers: withFlash })
    const html = await first.text()
    const key = /rb_live_[A-Za-z0-9_-]+/.exec(html)?.[0]
    expect(key).toBeDefined()
    expect(html).toContain('<code>metrics:read</code>')
    // The page that showed it deletes the flash: a reload (even replaying the cookie late) shows nothing new.
    expect(first.headers.get('set-cookie') ?? '').toMatch(/Max-Age=0/i)
    const reload = await (await call('/api-keys', { headers: owner.headers })).text()
    expect(reload).not.toContain(key!)
    // The key works within its scopes only.
    const bearer = { authorization: `Bearer ${key}` }
    expect((await api('GET', '/api/v1/calls', undefined, bearer)).status).toBe(200)
    expect((await api('GET', '/api/v1/appointments', undefined, bearer)).status).toBe(403)
  })

  it('refuses a key with no scope ticked, re-rendering the form with a 400 and creating nothing', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await call(
      '/api-keys',
      form(
        new URLSearchParams([
          ['name', 'None'],
          ['scope', ''],
        ]),
        owner.headers,
      ),
    )
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('Choose at least one of the scopes listed.')
    const forged = new URLSearchParams([
      ['name', 'Forged'],
      ['scope', 'calls:read'],
      ['scope', 'audit:read'],
    ])
    expect((await call('/api-keys', form(forged, owner.headers))).status).toBe(400)
    expect(await liveKeys(owner.headers)).toHaveLength(0)
  })

  it('asks before revoking: the first POST shows a confirmation, the confirmed one revokes', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    await call(
      '/api-keys',
      form(
        new URLSearchParams([
          ['name', 'Old'],
          ['scope', 'calls:read'],
        ]),
        owner.headers,
      ),
    )
    const [k] = await liveKeys(owner.headers)
    const ask = await call(`/api-keys/${k!.id}/revoke`, form(new URLSearchParams(), owner.headers))
    expect(ask.status).toBe(200)
    const page = await ask.text()
    expect(page).toContain('name="confirm" value="yes"')
    expect(page).not.toMatch(/<script(?![^>]*src=)/)
    expect(await liveKeys(owner.headers)).toHaveLength(1)
    const done = await call(
      `/api-keys/${k!.id}/revoke`,
      form(new URLSearchParams([['confirm', 'yes']]), owner.headers),
    )
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/api-keys?notice=key-revoked')
    expect(await liveKeys(owner.headers)).toHaveLength(0)
  })
})
