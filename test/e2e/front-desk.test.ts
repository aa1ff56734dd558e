// The front desk's loop in a real browser (Debian's chromium against `wrangler dev`): a missed
// call, the patient replies by SMS, the AI receptionist answers (sandbox assistant, through the
// real queue and the clinic's Durable Object), a receptionist takes over, books, and the call
// shows as recovered. Every page on the way is checked with axe and photographed at desktop and
// 375 px width.
import type { Browser } from 'playwright-core'
import twilio from 'twilio'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { launchChromium } from './browser'
import { checkPage, signIn } from './pages'

const BASE = inject('e2eBaseUrl')
const TOKEN = 'e2e-twilio-auth-token' // global-setup.ts VARS.TWILIO_AUTH_TOKEN
const TRACKING = '+441134960000' // the demo clinic's tracking number
const PATIENT = '+447700900555'

let browser: Browser

const sid = (prefix: string) =>
  `${prefix}${crypto.randomUUID().replace(/-/g, '')}`.slice(0, 34).padEnd(34, '0')

/** A correctly signed Twilio webhook, as Twilio would send it. */
async function webhook(pathname: string, params: Record<string, string>) {
  const url = `${BASE}${pathname}`
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, url, params),
    },
    body: new URLSearchParams(params),
  })
  expect(res.status, pathname).toBe(200)
}

beforeAll(async () => {
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
})

describe('the front desk in a browser', () => {
  it('missed call → patient replies → the AI answers → a receptionist takes over and books → recovered', async () => {
    // A receptionist joins the demo clinic (invited by the owner through the API).
    const ownerContext = await browser.newContext()
    const owner = await ownerContext.newPage()
    await signIn(owner, BASE, 'owner@demo.clinic', 'demo-password-123')
    const invite = await owner.request.post(`${BASE}/api/v1/users`, {
      headers: { origin: BASE },
      data: { email: `front.${Date.now()}@demo.clinic`, role: 'receptionist' },
    })
    expect(invite.status()).toBe(201)
    const { inviteToken } = (await invite.json()) as { inviteToken: string }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    await page.goto(`${BASE}/accept-invite?token=${encodeURIComponent(inviteToken)}`)
    await page.getByLabel('Choose a password').fill('front-desk-password-1')
    await page.getByRole('button', { name: 'Accept invite' }).click()
    await page.waitForURL(`${BASE}/`)

    // The missed call, as Twilio reports it.
    const callSid = sid('CA')
    const call = {
      CallSid: callSid,
      AccountSid: sid('AC'),
      From: PATIENT,
      To: TRACKING,
      Direction: 'inbound',
    }
    await webhook('/webhooks/twilio/voice', { ...call, CallStatus: 'ringing' })
    await webhook('/webhooks/twilio/voice/dial-result', {
      ...call,
      CallStatus: 'in-progress',
      DialCallStatus: 'no-answer',
    })
    // The waiting list names callers by their hash, never their number: newest first.
    const latest = await owner.request.get(`${BASE}/api/v1/calls?status=missed&limit=1`)
    const [missed] = ((await latest.json()) as { items: { callerHash: string }[] }).items
    await page.goto(`${BASE}/calls/waiting`)
    expect(await page.locator('main tbody tr').first().textContent()).toContain(
      `Caller ${missed!.callerHash.slice(0, 6)}`,
    )
    await checkPage(page, 'worklist')

    // The patient replies to the text-back; the AI answers through the queue.
    await webhook('/webhooks/twilio/messaging', {
      MessageSid: sid('SM'),
      AccountSid: call.AccountSid,
      From: PATIENT,
      To: TRACKING,
      Body: 'Hi, can I get a hygienist appointment Tuesday morning?',
    })
    await page.goto(`${BASE}/inbox`)
    await page.getByRole('link', { name: /555/ }).first().click()
    await page.waitForURL(/\/inbox\/cnv_/)
    await expect
      .poll(
        async () => {
          await page.reload()
          return page.locator('main').textContent()
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toMatch(/automated assistant/i)
    await checkPage(page, 'thread')

    // The receptionist takes over and books.
    await page.getByRole('button', { name: 'Take over' }).click()
    await page.waitForURL(/\/inbox\/cnv_.*done=status-human/)
    expect(await page.locator('main').textContent()).toContain('You have taken over')
    await page.getByLabel('Treatment').selectOption({ index: 1 })
    await page.getByLabel('Appointment time').fill('2026-12-08T09:30')
    await page.getByRole('button', { name: 'Record booking' }).click()
    await page.waitForURL(/\/appointments\/apt_/)
    expect(await page.locator('main').textContent()).toMatch(/recovered/i)
    await checkPage(page, 'booked-from-thread')

    // The call shows the booking it recovered.
    const appointmentId = page.url().split('/appointments/')[1]!.split('?')[0]!
    const res = await page.request.get(`${BASE}/api/v1/appointments/${appointmentId}`)
    const booked = (await res.json()) as { attribution: { status: string; callId: string } }
    expect(booked.attribution.status).toBe('recovered')
    await page.goto(`${BASE}/calls/${booked.attribution.callId}`)
    expect(await page.locator('main').textContent()).toMatch(/recovered/i)
    await checkPage(page, 'call-recovered')
    await ownerContext.close()
    await context.close()
  })
})
