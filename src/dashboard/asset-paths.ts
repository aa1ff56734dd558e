/** Where the dashboard's static assets are served. The `?v=` changes with the content, so they cache long. */
import { APP_CSS, APP_ICON, APP_JS } from './assets'

function shortHash(text: string): string {
  // FNV-1a: a cache-busting tag, not a security boundary.
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(36)
}

export const ASSET_PATHS = {
  css: `/assets/app.css?v=${shortHash(APP_CSS)}`,
  js: `/assets/app.js?v=${shortHash(APP_JS)}`,
  icon: `/favicon.svg?v=${shortHash(APP_ICON)}`,
} as const
