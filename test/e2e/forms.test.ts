// Lead capture in a real browser: a clinic's page on another origin embeds a form with
// /embed.js, a visitor who came from a Google ad sends an enquiry with a photo, and the lead shows
// in the dashboard with the ad click and campaign that brought them. Every page on the way is
// checked with axe and photographed at desktop and 375 px width.
import { createServer } from 'node:http'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { jpegWithLocation } from '../helpers/photos'
import { launchChromium } from './browser'
import { checkPage, signIn } from './pages'

const BASE = inject('e2eBaseUrl')
// The clinic's website: a real server on another origin (another port) of this machine.
const SITE_PORT = 8791
const SITE = `http://127.0.0.1:${SITE_PORT}`
let siteHtml = ''
const siteServer = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
  res.end(siteHtml)
})

let browser: Browser

beforeAll(async () => {
  browser = await launchChromium()
  await new Promise<void>((resolve) => siteServer.listen(SITE_PORT, '127.0.0.1', resolve))
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => siteServer.close(resolve))
})

describe('forms and leads in a browser', () => {
  it('an embedded enquiry with a photo becomes a lead with its ad attribution', async () => {
    const staff = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const desk = await staff.newPage()
    await signIn(desk, BASE, 'owner@demo.clinic', 'demo-password-123')
    const made = await desk.request.post(`${BASE}/api/v1/forms`, {
      headers: { origin: BASE },
      data: { kind: 'enquiry', name: 'Bonding landing page', allowedOrigins: [SITE] },
    })
    expect(made.status()).toBe(201)
    const form = (await made.json()) as { id: string; embedSnippet: string }

    await desk.goto(`${BASE}/forms`)
    await expect.poll(() => desk.getByText('Bonding landing page').first().isVisible()).toBe(true)
    await checkPage(desk, 'forms')

    // The clinic's own site, on another origin, with the snippet pasted in.
    const visitor = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    siteHtml = `<!doctype html><html lang="en"><head><title>Smile Studio: composite bonding</title></head><body><main><h1>Composite bonding</h1>${form.embedSnippet}</main></body></html>`
    const site = await visitor.newPage()
    await site.goto(
      `${SITE}/bonding?utm_source=google&utm_campaign=bonding-winter&gclid=E2E-GCLID-1`,
    )
    const frame = site.frameLocator('iframe')
    await frame.getByLabel('Your name (required)').waitFor()

    // Sending nothing: the errors are announced and name the fields.
    await frame.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => frame.getByRole('alert').textContent()).toContain('Your name')
    await checkPage(site, 'embedded-form-errors')

    await frame.getByLabel('Your name (required)').fill('Erin Embed')
    await frame.getByLabel('Email', { exact: true }).fill('erin.embed@example.com')
    await frame.getByLabel('Phone', { exact: true }).fill('07700 900777')
    await frame.getByLabel('Treatment you are interested in').fill('Composite bonding')
    await frame.getByLabel('Your question').fill('Could bonding fix a chipped front tooth?')
    await frame.getByLabel(/Photos of the area/).setInputFiles({
      name: 'tooth.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.from(jpegWithLocation()),
    })
    await frame.getByLabel(/tell Google and Meta/).check()
    await frame.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => frame.getByRole('status').textContent()).toContain('Thank you')
    await checkPage(site, 'embedded-form-sent')

    // The hosted page alone.
    const alone = await visitor.newPage()
    await alone.goto(`${BASE}/f/${form.id}`)
    await checkPage(alone, 'hosted-form')

    // The front desk sees the lead, with where it came from.
    await desk.goto(`${BASE}/leads`)
    await desk.getByRole('link', { name: /EE · •••777/ }).click()
    await expect.poll(() => desk.getByText('Erin Embed').first().isVisible()).toBe(true)
    await expect.poll(() => desk.getByText('Google (gclid)').isVisible()).toBe(true)
    await expect.poll(() => desk.getByText('google / bonding-winter').isVisible()).toBe(true)
    expect(await desk.locator('.photos img').count()).toBe(1)
    await checkPage(desk, 'lead')
    // Booked from the lead page: the lead came from a Google ad with ads consent, so the booking
    // is reported (sandbox here: kept, never sent).
    await desk.getByRole('button', { name: 'Record booking' }).click()
    await desk.waitForURL(/\/appointments\//)
    await desk.goto(`${BASE}/conversions`)
    await expect.poll(() => desk.getByText('Google Ads').first().isVisible()).toBe(true)
    await checkPage(desk, 'conversions')
    await desk.goto(`${BASE}/leads`)
    await checkPage(desk, 'leads')
    await staff.close()
    await visitor.close()
  })

  it('a visitor chats on the clinic’s site: the AI answers at once, the front desk replies from the inbox', async () => {
    const staff = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const desk = await staff.newPage()
    await signIn(desk, BASE, 'owner@demo.clinic', 'demo-password-123')
    const made = await desk.request.post(`${BASE}/api/v1/forms`, {
      headers: { origin: BASE },
      data: { kind: 'chat', name: 'Website chat', allowedOrigins: [SITE] },
    })
    expect(made.status()).toBe(201)
    const form = (await made.json()) as { id: string; embedSnippet: string }

    const visitor = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    siteHtml = `<!doctype html><html lang="en"><head><title>Smile Studio: whitening</title></head><body><main><h1>Teeth whitening</h1>${form.embedSnippet}</main></body></html>`
    const site = await visitor.newPage()
    await site.goto(`${SITE}/whitening?utm_source=facebook&fbclid=E2E-FBCLID-CHAT`)
    const frame = site.frameLocator('iframe')
    await frame.getByLabel('Your name (required)').fill('Chloe Chat')
    await frame.getByLabel('Email', { exact: true }).fill('chloe.chat@example.com')
    await frame.getByLabel('Your message (required)').fill('Do you do teeth whitening?')
    await frame.getByRole('button', { name: 'Start the chat' }).click()
    const log = frame.getByRole('list', { name: 'Messages' })
    await expect.poll(() => log.textContent(), { timeout: 15_000 }).toContain('automated assistant')
    expect(await log.textContent()).toContain('Do you do teeth whitening?')

    // A follow-up, sent with Enter: shown at once, then confirmed (stored).
    const say = frame.getByLabel('Your message', { exact: true })
    await say.fill('Could I come in on a Saturday?')
    await say.press('Enter')
    await expect.poll(() => log.textContent()).toContain('Could I come in on a Saturday?')
    await expect.poll(() => log.locator('.sending').count()).toBe(0)
    await checkPage(site, 'web-chat')

    // The front desk finds it in the inbox (web chats show initials) and answers.
    await desk.goto(`${BASE}/inbox?channel=web`)
    await desk.getByRole('link', { name: 'CC', exact: true }).first().click()
    await expect.poll(() => desk.getByText('Chloe Chat').first().isVisible()).toBe(true)
    await expect.poll(() => desk.getByText('Could I come in on a Saturday?').isVisible()).toBe(true)
    await desk.getByLabel('Your reply').fill('Yes — Saturday at 10am is free. Shall I book it?')
    await desk.getByRole('button', { name: 'Send reply' }).click()
    await expect
      .poll(() => log.textContent(), { timeout: 15_000 })
      .toContain('Saturday at 10am is free')
    await checkPage(desk, 'web-chat-thread')
    await checkPage(site, 'web-chat-answered')
    await staff.close()
    await visitor.close()
  })
})
