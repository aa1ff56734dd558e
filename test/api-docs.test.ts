// The interactive API reference works with no internet: its script is a pinned local asset.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { BASE, call } from './helpers/clinic'

describe('/api/docs', () => {
  it('loads the reference script from this Worker, never from a CDN', async () => {
    const res = await call('/api/docs')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('src="/vendor/scalar/standalone.js"')
    expect(html).not.toMatch(/https?:\/\/(?!ringback)[a-z0-9.-]+\/[^"']*\.js/i)
    expect(html).toContain('/api/v1/openapi.json')
  })

  it('serves that script as a static asset copied from the pinned npm package', async () => {
    // Cloudflare serves assets before the Worker runs; the binding is that same asset store.
    const res = await env.ASSETS.fetch(`${BASE}/vendor/scalar/standalone.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/javascript/)
    expect((await res.text()).length).toBeGreaterThan(100_000)
  })
})
