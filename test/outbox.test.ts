/**
 * GET /api/v1/outbox: owners and admins see what was sent or kept in sandbox mode, newest first,
 * with masked recipients and opened bodies; each read is audited; other clinics see nothing.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { API_KEY_SCOPES } from '../src/auth/policy'
import { outboundMessages } from '../src/db/schema'
import { deliverTextBack } from '../src/textback/deliver'
import { api, createTestClinic } from './helpers/clinic'
import { BODY, CALLER, db, missedCallWithTextBack } from './textback-delivery.fixtures'

type OutboxItem = {
  id: string
  channel: string
  to: string
  body: string | null
  status: string
  createdAt: string
}
type OutboxPage = { items: OutboxItem[]; nextCursor: string | null }

/** A clinic with `count` sandboxed text-backs, one minute apart (oldest first). */
async function clinicWithTextBacks(count: number) {
  const clinic = await createTestClinic()
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const { job, outboxId } = await missedCallWithTextBack(clinic)
    await deliverTextBack(job, env)
    await db
      .update(outboundMessages)
      .set({ createdAt: Date.UTC(2026, 10, 23, 9, i) })
      .where(eq(outboundMessages.id, outboxId))
    ids.push(outboxId)
  }
  return { clinic, ids }
}

describe('GET /api/v1/outbox', () => {
  it('lists sandboxed text-backs newest first, with masked recipient and opened body', async () => {
    const { clinic, ids } = await clinicWithTextBacks(2)
    const owner = await clinic.as('owner')

    const res = await api('GET', '/api/v1/outbox', undefined, owner.headers)

    expect(res.status).toBe(200)
    const page = (await res.json()) as OutboxPage
    expect(page.items.map((i) => i.id)).toEqual([ids[1], ids[0]])
    expect(page.items[0]).toEqual({
      id: ids[1],
      channel: 'sms',
      to: `•••${CALLER.slice(-3)}`,
      body: BODY,
      status: 'sandboxed',
      createdAt: '2026-11-23T09:01:00Z',
    })
    expect(page.nextCursor).toBeNull()
    expect(JSON.stringify(page)).not.toContain(CALLER.slice(1))
  })

  it('pages with limit and cursor, each message exactly once', async () => {
    const { clinic, ids } = await clinicWithTextBacks(5)
    const admin = await clinic.as('admin')
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2'
      const res = await api('GET', `/api/v1/outbox${query}`, undefined, admin.headers)
      expect(res.status).toBe(200)
      const page = (await res.json()) as OutboxPage
      expect(page.items.length).toBeLessThanOrEqual(2)
      seen.push(...page.items.map((i) => i.id))
      cursor = page.nextCursor
    } while (cursor)

    expect(seen).toEqual([...ids].reverse())
  })

  it('writes an audit entry for each read, naming the reader but no message content', async () => {
    const { clinic } = await clinicWithTextBacks(1)
    const owner = await clinic.as('owner')

    await api('GET', '/api/v1/outbox', undefined, owner.headers)

    const entries = await env.CLINIC.getByName(clinic.clinicId).listAudit(20, null)
    const read = entries.find((e) => e.action === 'outbox.read')
    expect(read).toMatchObject({ actor: `user:${owner.userId}` })
    expect(JSON.stringify(read)).not.toContain(BODY)
  })

  it('refuses every API key, whatever its scopes (403): no key reads the outbox', async () => {
    const { clinic } = await clinicWithTextBacks(1)
    const key = await clinic.apiKey(API_KEY_SCOPES.join(','))

    const res = await api('GET', '/api/v1/outbox', undefined, { authorization: `Bearer ${key}` })

    expect(res.status).toBe(403)
  })

  for (const role of ['receptionist', 'analyst'] as const) {
    it(`refuses a ${role} with 403`, async () => {
      const { clinic } = await clinicWithTextBacks(1)
      const member = await clinic.as(role)

      const res = await api('GET', '/api/v1/outbox', undefined, member.headers)

      expect(res.status).toBe(403)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    })
  }

  it('refuses an anonymous caller with 401', async () => {
    const res = await api('GET', '/api/v1/outbox')
    expect(res.status).toBe(401)
  })

  it('never shows another clinic’s messages', async () => {
    await clinicWithTextBacks(2)
    const empty = await createTestClinic()
    const owner = await empty.as('owner')

    const res = await api('GET', '/api/v1/outbox', undefined, owner.headers)

    expect(((await res.json()) as OutboxPage).items).toEqual([])
  })

  it('answers a bad limit or cursor with a problem+json 400', async () => {
    const { clinic } = await clinicWithTextBacks(1)
    const owner = await clinic.as('owner')

    for (const query of ['?limit=0', '?limit=501', '?limit=abc', '?cursor=not-a-cursor']) {
      const res = await api('GET', `/api/v1/outbox${query}`, undefined, owner.headers)
      expect(res.status, query).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
  })

  it('appears in the OpenAPI document', async () => {
    const res = await api('GET', '/api/v1/openapi.json')
    const doc = (await res.json()) as { paths: Record<string, unknown> }
    expect(doc.paths['/api/v1/outbox']).toHaveProperty('get')
  })
})
