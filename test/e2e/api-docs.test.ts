// The API reference in a real browser with every request off this machine refused: it must
// still render the Ringback API, proving nothing it needs comes from a CDN or a font server.
import { describe, expect, inject, it } from 'vitest'
import { useChromium } from './browser'

const BASE = inject('e2eBaseUrl')
const browser = useChromium()

describe('/api/docs offline', () => {
  it('renders the reference from local files alone', async () => {
    const page = await browser().newPage()
    const offsite: string[] = []
    await page.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(BASE) || url.startsWith('data:') || url.startsWith('blob:')) {
        return route.continue()
      }
      offsite.push(new URL(url).host)
      return route.abort()
    })
    await page.goto(`${BASE}/api/docs`)
    // The title and a route from our own OpenAPI document, drawn by the vendored script.
    await expect
      .poll(() => page.locator('body').innerText(), { timeout: 30_000 })
      .toContain('Ringback API')
    await expect.poll(() => page.locator('body').innerText()).toMatch(/auth\/login|Log in|login/i)
    expect(offsite).toEqual([])
    await page.close()
  })
})
