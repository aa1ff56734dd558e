// Automations and reminders in a real browser: the demo clinic's defaults read as sentences, an
// owner previews and saves a new automation through the form, switches it off, and sets reminders
// and quiet hours on the settings page. axe-checked and photographed at desktop and 375 px.
import { describe, expect, inject, it } from 'vitest'
import { useChromium } from './browser'
import { checkPage, signIn } from './pages'

const BASE = inject('e2eBaseUrl')
const browser = useChromium()

describe('automations in a browser', () => {
  it('shows the defaults in words, previews and saves a new one, and turns it off', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    await signIn(page, BASE, 'owner@demo.clinic', 'demo-password-123')
    await page.getByRole('link', { name: 'Automations' }).first().click()
    await page.waitForURL(`${BASE}/automations`)
    await expect
      .poll(() =>
        page
          .getByText(
            'When a missed call comes in during opening hours, wait 5 minutes, then notify reception.',
          )
          .first()
          .isVisible(),
      )
      .toBe(true)
    await checkPage(page, 'automations')

    await page.getByLabel('Name', { exact: true }).fill('Evening callers')
    await page.getByLabel('When', { exact: true }).selectOption('missed-call')
    await page.getByLabel('Wait (minutes)').fill('10')
    await page.getByLabel('Opening hours', { exact: true }).selectOption('closed')
    await page
      .getByLabel('Text them (optional)')
      .fill('Thanks for calling {clinic} — we will ring you first thing.')
    await page.getByRole('button', { name: 'Preview' }).click()
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toContain(
        'When a missed call comes in outside opening hours, wait 10 minutes, then notify reception, then text them',
      )
    await checkPage(page, 'automation-preview')
    await page.getByRole('button', { name: 'Save automation' }).click()
    await page.waitForURL(/\/automations\?notice=automation-saved/)
    const card = page.locator('section.card', { hasText: 'Evening callers' })
    await expect.poll(() => card.getByText('On', { exact: true }).isVisible()).toBe(true)
    await card.getByRole('button', { name: 'Turn off' }).click()
    await page.waitForURL(/notice=automation-saved/)
    await expect
      .poll(() =>
        page
          .locator('section.card', { hasText: 'Evening callers' })
          .getByText('Off', { exact: true })
          .isVisible(),
      )
      .toBe(true)
    await page
      .locator('section.card', { hasText: 'Evening callers' })
      .getByRole('link', { name: 'Edit' })
      .click()
    await expect
      .poll(() => page.getByLabel('Name', { exact: true }).inputValue())
      .toBe('Evening callers')
    await checkPage(page, 'automation-edit')

    // Reminders and quiet hours on the settings page.
    await page.goto(`${BASE}/settings`)
    await expect
      .poll(() => page.getByLabel('Remind them before (d = days, h = hours)').inputValue())
      .toBe('7d, 2d, 2h')
    await page.getByLabel('Quiet from').fill('21:00')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.waitForURL(/notice=saved/)
    await expect.poll(() => page.getByLabel('Quiet from').inputValue()).toBe('21:00')
    await checkPage(page, 'settings-reminders')
    await context.close()
  })
})
