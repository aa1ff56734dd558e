// The overview and /api/v1/metrics agree: every figure the page shows for the demo clinic is the
// figure the API returns for the same range (one source for each figure).
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { clinics, users } from '../src/db/schema'
import { seedDemoClinic } from '../src/demo/seed'
import { DAY_MS } from '../src/lib/time'
import { rollUpMetrics } from '../src/metrics/rollup'
import { api, call, sessionFor } from './helpers/clinic'

const db = createDb(env.DB)

/** A figure as the page marks it: `<data data-figure="name" value="raw">`. */
type Marked = Record<string, string>

type Page = {
  periods: Map<string, { from: string; to: string; figures: Marked }>
  days: Map<string, Marked>
  months: Map<string, Marked>
  holdOut: Marked | null
}

/** Reads the marked figures out of the overview with workerd's HTML parser (no regex on prose). */
async function readOverview(html: string): Promise<Page> {
  const page: Page = { periods: new Map(), days: new Map(), months: new Map(), holdOut: null }
  let target: Marked | null = null
  const scope = (make: (el: Element) => Marked) => ({
    element(el: Element) {
      target = make(el)
      el.onEndTag(() => {
        target = null
      })
    },
  })
  await new HTMLRewriter()
    .on(
      '[data-period]',
      scope((el) => {
        const figures: Marked = {}
        page.periods.set(el.getAttribute('data-period')!, {
          from: el.getAttribute('data-from')!,
          to: el.getAttribute('data-to')!,
          figures,
        })
        return figures
      }),
    )
    .on(
      'tr[data-date]',
      scope((el) => {
        const row: Marked = {}
        page.days.set(el.getAttribute('data-date')!, row)
        return row
      }),
    )
    .on(
      'tr[data-month]',
      scope((el) => {
        const row: Marked = {}
        page.months.set(el.getAttribute('data-month')!, row)
        return row
      }),
    )
    .on(
      '[data-holdout]',
      scope(() => {
        page.holdOut = {}
        return page.holdOut
      }),
    )
    .on('data[data-figure]', {
      element(el) {
        if (target) target[el.getAttribute('data-figure')!] = el.getAttribute('value') ?? ''
      },
    })
    .transform(new Response(html))
    .text()
  return page
}

/** The API's value as the page writes it in `value` (null → empty). */
const asMarked = (v: unknown) => (v === null ? '' : String(v))

type Figures = Record<string, unknown>

describe('overview figures against /api/v1/metrics', () => {
  let headers: Record<string, string>
  let page: Page

  beforeAll(async () => {
    const seeded = await seedDemoClinic(env)
    // Hold-out on, with every tenth text-back turned into a held-out call (the seed holds nobody
    // out), so the page shows a real comparison; the roll-up recomputes the stored days.
    await db.update(clinics).set({ holdOutPercent: 10 }).where(eq(clinics.id, seeded.clinicId))
    await env.DB.prepare(
      `UPDATE calls SET text_back_status = 'held-out', texted_back_at = NULL
       WHERE clinic_id = ? AND text_back_status = 'sent' AND (rowid % 10) = 0`,
    )
      .bind(seeded.clinicId)
      .run()
    const now = Date.now()
    await rollUpMetrics(env, seeded.clinicId, now - 200 * DAY_MS, now)
    const [owner] = await db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.clinicId, seeded.clinicId), eq(users.role, 'owner')))
    headers = (await sessionFor(seeded.clinicId, owner!.id)).headers
    const res = await call('/', { headers })
    expect(res.status).toBe(200)
    page = await readOverview(await res.text())
  })

  async function daily(from: string, to: string) {
    const res = await api('GET', `/api/v1/metrics/daily?from=${from}&to=${to}`, undefined, headers)
    expect(res.status).toBe(200)
    return (await res.json()) as {
      days: Array<{ date: string } & Figures>
      total: Figures
      holdOut: Figures
    }
  }

  async function monthly(from: string, to: string) {
    const res = await api(
      'GET',
      `/api/v1/metrics/monthly?from=${from}&to=${to}`,
      undefined,
      headers,
    )
    expect(res.status).toBe(200)
    return (await res.json()) as { months: Array<{ month: string } & Figures>; holdOut: Figures }
  }

  const PERIOD_FIGURES = [
    'inboundCalls',
    'missedCalls',
    'answeredCalls',
    'voicemails',
    'callbacks',
    'textBacks',
    'medianCallbackSeconds',
    'recoveredAppointments',
    'recoveredRevenuePence',
  ]

  it('shows this week and this month exactly as the daily API totals them', async () => {
    expect([...page.periods.keys()]).toEqual(['this-week', 'this-month'])
    for (const [id, period] of page.periods) {
      expect(Object.keys(period.figures).sort(), id).toEqual([...PERIOD_FIGURES].sort())
      const { total } = await daily(period.from, period.to)
      for (const name of PERIOD_FIGURES) {
        expect(period.figures[name], `${id} ${name}`).toBe(asMarked(total[name]))
      }
    }
    // Not a comparison of zeros: the demo month has calls, misses and callbacks.
    const month = page.periods.get('this-month')!.figures
    expect(Number(month.inboundCalls)).toBeGreaterThan(0)
    expect(Number(month.missedCalls)).toBeGreaterThan(0)
  })

  it('shows this month as the monthly API does', async () => {
    const { from, figures } = page.periods.get('this-month')!
    const { months } = await monthly(from.slice(0, 7), from.slice(0, 7))
    for (const name of PERIOD_FIGURES) {
      expect(figures[name], name).toBe(asMarked(months[0]![name]))
    }
  })

  it('charts each day’s missed calls and recovered appointments as the daily API does', async () => {
    const dates = [...page.days.keys()]
    expect(dates).toHaveLength(30)
    const { days } = await daily(dates[0]!, dates[dates.length - 1]!)
    expect(days.map((d) => d.date)).toEqual(dates)
    for (const d of days) {
      expect(page.days.get(d.date), d.date).toEqual({
        missedCalls: asMarked(d.missedCalls),
        recoveredAppointments: asMarked(d.recoveredAppointments),
      })
    }
    expect(days.some((d) => Number(d.recoveredAppointments) > 0)).toBe(true)
  })

  it('charts each month’s recovered revenue and the hold-out uplift as the monthly API does', async () => {
    const months = [...page.months.keys()]
    expect(months).toHaveLength(6)
    const api = await monthly(months[0]!, months[months.length - 1]!)
    expect(api.months.map((m) => m.month)).toEqual(months)
    for (const m of api.months) {
      expect(page.months.get(m.month), m.month).toEqual({
        recoveredRevenuePence: asMarked(m.recoveredRevenuePence),
      })
    }
    expect(api.holdOut.upliftPercentagePoints).not.toBeNull()
    expect(page.holdOut).toEqual({
      upliftPercentagePoints: asMarked(api.holdOut.upliftPercentagePoints),
      textBackMissedCalls: asMarked(api.holdOut.textBackMissedCalls),
      heldOutMissedCalls: asMarked(api.holdOut.heldOutMissedCalls),
    })
  })
})
