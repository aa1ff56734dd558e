// What every browser test does to a page: sign in, check it with axe (no serious or critical
// violations), photograph it at desktop and 375 px width, and make sure it never scrolls sideways
// on a phone. Screenshots land in test/e2e/screenshots/ (git-ignored).
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { expect } from 'vitest'

export const SHOTS = path.join(import.meta.dirname, 'screenshots')
mkdirSync(SHOTS, { recursive: true })

/** Signs in through the login form and waits for the overview. */
export async function signIn(p: Page, base: string, email: string, password: string) {
  await p.goto(`${base}/login`)
  await p.getByLabel('Email').fill(email)
  await p.getByLabel('Password').fill(password)
  await p.getByRole('button', { name: 'Sign in' }).click()
  await p.waitForURL(`${base}/`)
}

/** Serious and critical axe violations on the current page, as readable lines. */
export async function axeProblems(p: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page: p }).analyze()
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

/** Screenshots at desktop and 375 px, then the axe check; also asserts no horizontal overflow at 375 px. */
export async function checkPage(p: Page, name: string) {
  await p.setViewportSize({ width: 1280, height: 900 })
  await p.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true })
  await p.setViewportSize({ width: 375, height: 812 })
  await p.screenshot({ path: path.join(SHOTS, `${name}-375.png`), fullPage: true })
  // Runs in the page; typed loosely because the project's TS lib has no DOM.
  const overflow = await p.evaluate(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  )
  expect(Number(overflow), `${name} scrolls sideways at 375 px`).toBeLessThanOrEqual(0)
  expect(await axeProblems(p), `${name} accessibility`).toEqual([])
  await p.setViewportSize({ width: 1280, height: 900 })
}
