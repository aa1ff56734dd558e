#!/usr/bin/env node
/**
 * Copies the browser files the Worker serves as static assets out of their npm packages (pinned
 * in package-lock.json) into public/vendor/, so nothing is ever loaded from a CDN: the API
 * reference works offline. Run by `npm install` (postinstall), `npm run dev`, the tests and deploy.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** [package file, path under public/] */
export const VENDOR_FILES = [
  ['@scalar/api-reference/dist/browser/standalone.js', 'vendor/scalar/standalone.js'],
]

export function vendorAssets() {
  for (const [from, to] of VENDOR_FILES) {
    const target = join(root, 'public', to)
    mkdirSync(dirname(target), { recursive: true })
    copyFileSync(join(root, 'node_modules', from), target)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) vendorAssets()
