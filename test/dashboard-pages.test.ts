/**
 * The pages a manager reads every day (issue 10 item 8), rendered in workerd: charts start at the
 * latest days on a phone, the phone navigation wraps so the current page stays in view, an
 * unattributed booking shows no counted value, and the outbox pages.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { appointments, outboundMessages } from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { clinicKeyring } from '../src/privacy/crypto'
import { call, createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)

async function css(): Promise<string> {
  return (await call('/assets/app.css')).text()
}

describe('charts on a phone', () => {
  it('open at the latest days: the scroll box starts at its right end, its content left to right', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const html = await (await call('/', { headers: owner.headers })).text()
    const boxes = [...html.matchAll(/<section class="([^"]*chart-scroll[^"]*)"/g)].map((m) => m[1])
    expect(boxes.length).toBeGreaterThanOrEqual(2)
    for (const cls of boxes) expect(cls).toContain('from-end')
    const sheet = await css()
    expect(sheet).toContain('.chart-scroll.from-end{direction:rtl}')
    expect(sheet).toContain('.chart-scroll.from-end>*{direction:ltr}')
    // No script is needed for it: the overview loads none.
    expect(html).not.toMatch(/<script/)
  })
})

describe('the phone navigation', () => {
  it('wraps on narrow screens, so the current page (even the last one) is never scrolled away', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const html = await (await call('/audit', { headers: owner.headers })).text()
    expect(html).toMatch(/<a href="\/audit" aria-current="page">Audit log<\/a>/)
    const sheet = await css()
    const narrow = /@media \(max-width:40rem\)\{([^\n]*)/.exec(sheet)?.[1] ?? ''
    expect(narrow).toContain('nav.main-nav ul{flex-wrap:wrap;overflow-x:visible')
  })
})

describe('appointments', () => {
  it('an unattributed booking shows no counted value; a recovered one does', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const t = Date.now() - 3_600_000
    const unattributed = newId('apt')
    const recovered = newId('apt')
    await db.insert(appointments).values([
      {
        id: unattributed,
        clinicId: clinic.clinicId,
        createdAt: t,
        receivedAt: t,
        attributionStatus: 'unattributed',
        valuePence: 12345,
      },
      {
        id: recovered,
        clinicId: clinic.clinicId,
        createdAt: t + 1000,
        receivedAt: t + 1000,
        attributionStatus: 'recovered',
        attributionPath: 'callback',
        ruleVersion: 1,
        valuePence: 45000,
      },
    ])
    const list = await (await call('/appointments', { headers: owner.headers })).text()
    expect(list).toContain('£450')
    expect(list).not.toContain('£123.45')
    const detail = await (
      await call(`/appointments/${unattributed}`, { headers: owner.headers })
    ).text()
    expect(detail).not.toContain('Counted value')
    expect(detail).not.toContain('£123.45')
    const counted = await (
      await call(`/appointments/${recovered}`, { headers: owner.headers })
    ).text()
    expect(counted).toContain('<dt>Counted value</dt>')
  })
})

describe('the outbox', () => {
  it('pages: 50 newest first, then an "Older messages" link to the rest', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const keyring = await clinicKeyring(db, getConfig(env), clinic.clinicId)
    const base = Date.UTC(2026, 10, 23, 9, 0)
    const rows = await Promise.all(
      Array.from({ length: 53 }, async (_, i) => ({
        id: newId('out'),
        clinicId: clinic.clinicId,
        dedupeKey: `test:${i}`,
        kind: 'reply' as const,
        channel: 'sms' as const,
        toMasked: '•••123',
        bodySealed: await keyring.seal(`Message number ${i}.`),
        status: 'sandboxed' as const,
        createdAt: base + i * 60_000,
      })),
    )
    // 53 rows × 10 columns stays under D1's 100 bound parameters only in small batches.
    for (let i = 0; i < rows.length; i += 9) {
      await db.insert(outboundMessages).values(rows.slice(i, i + 9))
    }
    const first = await (await call('/outbox', { headers: owner.headers })).text()
    expect(first).toContain('Message number 52.')
    expect(first).toContain('Message number 3.')
    expect(first).not.toContain('Message number 2.')
    const next = /<a href="(\/outbox\?cursor=[^"]+)" rel="next">Older messages<\/a>/.exec(
      first,
    )?.[1]
    expect(next).toBeDefined()
    const second = await (
      await call(next!.replaceAll('&amp;', '&'), { headers: owner.headers })
    ).text()
    expect(second).toContain('Message number 2.')
    expect(second).toContain('Message number 0.')
    expect(second).not.toContain('Message number 3.')
    expect(second).not.toContain('rel="next"')
  })

  it('a broken cursor starts from the newest page instead of failing', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await call('/outbox?cursor=%%%not-a-cursor', { headers: owner.headers })
    expect(res.status).toBe(200)
  })
})
