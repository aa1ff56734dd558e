// The dashboard in a real browser: Debian's chromium driven by playwright-core against
// `wrangler dev` with the demo clinic seeded (see global-setup.ts). Every page is checked with
// axe-core (no serious or critical violations) and photographed at desktop and phone width.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { launchChromium } from './browser'
import { checkPage, signIn } from './pages'

const BASE = inject('e2eBaseUrl')
const OWNER = { email: 'owner@demo.clinic', password: 'demo-password-123' }

let browser: Browser
let owner: BrowserContext
let page: Page

beforeAll(async () => {
  browser = await launchChromium()
  owner = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  page = await owner.newPage()
})

afterAll(async () => {
  await browser?.close()
})

describe('the dashboard in a browser', () => {
  it('checks the signed-out pages', async () => {
    for (const [name, url] of [
      ['login', '/login'],
      ['signup', '/signup'],
      ['reset-password', '/reset-password'],
    ] as const) {
      await page.goto(`${BASE}${url}`)
      await checkPage(page, name)
    }
  })

  it('sends a signed-out visitor to sign in, then signs the demo owner in to the overview with charts', async () => {
    await page.goto(`${BASE}/calls`)
    expect(page.url()).toBe(`${BASE}/login?next=%2Fcalls`)
    await signIn(page, BASE, OWNER.email, OWNER.password)
    await expect.poll(() => page.title()).toBe('Overview · Ringback')
    expect(await page.locator('svg[role="img"]').count()).toBe(2)
    expect(await page.locator('#chart-daily-title').textContent()).toContain('Missed calls')
    expect(await page.locator('#this-month + .stats').textContent()).toMatch(/£[\d,]+\.\d\d/)
    await checkPage(page, 'overview')
  })

  it('opens a recovered appointment and reads its explanation', async () => {
    await page.goto(`${BASE}/appointments?status=recovered`)
    await checkPage(page, 'appointments')
    await page.locator('table a[href^="/appointments/"]').first().click()
    const explanation = (await page.locator('.explanation').textContent()) ?? ''
    expect(explanation).toContain('Recovered.')
    expect(explanation).toMatch(/missed call/)
    expect(explanation).toContain('attribution rules version 1')
    expect(explanation).toMatch(/Path: (callback|text-back|return-call|direct)/)
    await checkPage(page, 'appointment')
  })

  it('shows the calls, treatments, numbers, API keys, outbox and audit pages', async () => {
    for (const name of ['calls', 'treatments', 'numbers', 'api-keys', 'outbox', 'audit']) {
      const res = await page.goto(`${BASE}/${name}`)
      expect(res?.status(), name).toBe(200)
      await checkPage(page, name)
    }
    await page.goto(`${BASE}/numbers`)
    expect(await page.locator('code').allTextContents()).toContain(`${BASE}/webhooks/twilio/voice`)
    await page.goto(`${BASE}/audit`)
    expect(await page.getByRole('status').textContent()).toContain('Verified')
  })

  it('changes the text-back template with a live preview', async () => {
    await page.goto(`${BASE}/settings`)
    const template = page.getByLabel('Message', { exact: true })
    await template.fill('Sorry we missed you at {clinic}. Reply to book, or STOP to opt out.')
    // The preview updates as you type (the page's one small script).
    expect(await page.locator('#text-back-preview').textContent()).toBe(
      'Sorry we missed you at Demo Dental & Aesthetics. Reply to book, or STOP to opt out.',
    )
    await checkPage(page, 'settings')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.waitForURL(`${BASE}/settings?notice=saved`)
    expect(await page.getByRole('status').first().textContent()).toContain('Settings saved.')
    expect(await page.getByLabel('Message', { exact: true }).inputValue()).toBe(
      'Sorry we missed you at {clinic}. Reply to book, or STOP to opt out.',
    )
  })

  it('invites a receptionist who accepts through the emailed link and cannot open settings', async () => {
    const email = `reception.${Date.now()}@demo.clinic`
    await page.goto(`${BASE}/team`)
    await checkPage(page, 'team')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Role').selectOption('receptionist')
    await page.getByRole('button', { name: 'Send invite' }).click()
    await page.waitForURL(`${BASE}/team?notice=invited`)

    // Sandbox mode: the invite email goes through the queue into the outbox (a second or two
    // later); its link carries the one-time token.
    const inviteLink = async () => {
      await page.goto(`${BASE}/outbox`)
      const bodies = await page.locator('td.message-body').allTextContents()
      return bodies.join('\n').match(/http:\/\/localhost:8790\/accept-invite\?token=[\w%-]+/)?.[0]
    }
    await expect.poll(inviteLink, { timeout: 20_000, interval: 1_000 }).toBeDefined()
    const link = await inviteLink()

    const reception = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const rp = await reception.newPage()
    await rp.goto(link!)
    await checkPage(rp, 'accept-invite')
    await rp.getByLabel('Choose a password').fill('reception-password-1')
    await rp.getByRole('button', { name: 'Accept invite' }).click()
    await rp.waitForURL(`${BASE}/`)
    expect(await rp.locator('.role').textContent()).toBe('receptionist')
    expect(await rp.locator('nav.main-nav a[href="/settings"]').count()).toBe(0)
    const res = await rp.goto(`${BASE}/settings`)
    expect(res?.status()).toBe(403)
    expect(await rp.locator('main').textContent()).toContain('cannot open this page')
    await checkPage(rp, 'forbidden-receptionist')
    // Sign out revokes the session: going back needs a new sign-in.
    await rp.getByRole('button', { name: 'Sign out' }).click()
    await rp.waitForURL(`${BASE}/login?notice=signed-out`)
    await rp.goto(`${BASE}/`)
    expect(rp.url()).toBe(`${BASE}/login`)
    await reception.close()
  })

  it('runs an access request and lists it with its due date', async () => {
    await page.goto(`${BASE}/privacy`)
    await page.getByLabel('Type').selectOption('access')
    await page.getByLabel("Subject's phone number").fill('07700 900123')
    await page.getByRole('button', { name: 'Record request' }).click()
    expect(await page.getByRole('status').first().textContent()).toContain(
      'Request recorded (access)',
    )
    const firstRow = page.locator('section[aria-labelledby="requests"] tbody tr').first()
    // The request reads in words (src/audit/describe.ts), e.g. "Access: a copy of their data".
    expect(await firstRow.locator('td[data-label="Request"]').textContent()).toMatch(/access/i)
    expect(await firstRow.locator('td[data-label="Due"]').textContent()).toMatch(
      /\d{1,2} \w{3} \d{4}/,
    )
    await checkPage(page, 'privacy')
  })
})
