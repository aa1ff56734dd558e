// The tab icon: linked from every page and served under both names browsers ask for.
import { describe, expect, it } from 'vitest'
import { ASSET_PATHS } from '../src/dashboard/asset-paths'
import { call } from './helpers/clinic'

describe('favicon', () => {
  it('is linked from the sign-in page and served as SVG at /favicon.svg and /favicon.ico', async () => {
    const page = await (await call('/login')).text()
    expect(page).toContain(`<link rel="icon" type="image/svg+xml" href="${ASSET_PATHS.icon}"`)
    for (const path of [ASSET_PATHS.icon, '/favicon.ico']) {
      const res = await call(path)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('image/svg+xml')
      expect(await res.text()).toMatch(/^<svg[^>]+viewBox="0 0 32 32"/)
    }
  })
})
