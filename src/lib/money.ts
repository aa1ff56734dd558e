/**
 * Money as people type it (pounds in a form field or a CSV cell, to the integer pence we store),
 * and as people read it.
 */

/**
 * `450`, `79.99`, `£2,400`, `£1,200.50` → pence; null when it is not a non-negative amount of at
 * most seven whole-pound digits (the bound keeps a typo from becoming a plausible-looking fortune).
 */
export function parsePounds(raw: string): number | null {
  const cleaned = raw.replace(/[£,\s]/g, '')
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(cleaned)) return null
  return Math.round(Number(cleaned) * 100)
}

const GBP = new Intl.NumberFormat('en-GB', {
  style: 'currency',
  currency: 'GBP',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
})

/** Integer pence → `£1,234.56` (negative values keep their sign: `-£3.00`). */
export function formatPence(pence: number): string {
  return GBP.format(Math.round(pence) / 100)
}
