// Debian's Chromium for the browser tests, started as this machine needs (no background
// networking: the sandbox has no internet, and Chromium would otherwise retry lookups at start).
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/**
 * One Chromium for a test file: launched before its tests, closed after. Call at the top level;
 * the returned function gives the browser inside a test.
 */
export function useChromium(): () => Browser {
  let browser: Browser | undefined
  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })
  return () => {
    if (!browser)
      throw new Error('Chromium is not running (useChromium must be called at the top level)')
    return browser
  }
}
