// Billing and the operator's view in a real browser: the demo owner chooses a plan and comes back
// from checkout to the billing page (sandbox here: no Stripe account, nothing charged); the
// operator's own tenant opens the Operator page. axe-checked, photographed at desktop and 375 px.
import { describe, expect, inject, it } from 'vitest'
import { useChromium } from './browser'
import { checkPage, signIn } from './pages'

const BASE = inject('e2eBaseUrl')
const browser = useChromium()

describe('billing in a browser', () => {
  it('an owner chooses a plan and comes back from checkout to the billing page', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    await signIn(page, BASE, 'owner@demo.clinic', 'demo-password-123')
    await page.getByRole('link', { name: 'Billing' }).first().click()
    await page.waitForURL(`${BASE}/billing`)
    await expect.poll(() => page.getByText('Choose a plan').isVisible()).toBe(true)
    await checkPage(page, 'billing')
    await page.getByRole('button', { name: 'Start Growth' }).click()
    await page.waitForURL(`${BASE}/billing?notice=billing-sandbox`)
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toContain('nothing was charged')
    await checkPage(page, 'billing-returned')
    await context.close()
  })

  it('the operator’s tenant sees every clinic’s plan and MRR', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    await signIn(page, BASE, 'team@ringback.example', 'operator-password-123')
    await page.getByRole('link', { name: 'Operator' }).first().click()
    await page.waitForURL(`${BASE}/operator`)
    await expect
      .poll(() => page.getByText('Demo Dental & Aesthetics').first().isVisible())
      .toBe(true)
    await checkPage(page, 'operator')
    await context.close()
  })
})
