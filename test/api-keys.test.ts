import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { API_KEY_PREFIX } from '../src/auth/middleware'
import { createDb } from '../src/db/client'
import { apiKeys } from '../src/db/schema'
import { api, createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)

async function auditActions(clinicId: string): Promise<string[]> {
  return (await env.CLINIC.getByName(clinicId).listAudit(500, null)).map((e) => e.action)
}

describe('API keys', () => {
  it('an owner creates a key: 201 with the key shown once and only its hash stored', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api('POST', '/api/v1/api-keys', { name: 'Practice system' }, owner.headers)
    expect(res.status).toBe(201)
    const created = (await res.json()) as { id: string; name: string; key: string }
    expect(created).toMatchObject({ id: expect.stringMatching(/^key_/), name: 'Practice system' })
    expect(created.key.startsWith(API_KEY_PREFIX)).toBe(true)
    const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, created.id))
    expect(JSON.stringify(row)).not.toContain(created.key)
    expect(row?.keyHash).toMatch(/^[0-9a-f]{64}$/)

    const list = await api('GET', '/api/v1/api-keys', undefined, owner.headers)
    const body = (await list.json()) as { items: Record<string, unknown>[] }
    expect(body.items.map((k) => k.id)).toContain(created.id)
    expect(JSON.stringify(body)).not.toContain(created.key)
    expect(await auditActions(clinic.clinicId)).toContain('api-key.create')
  })

  it('the key works as a Bearer token within its default scopes, with no Origin header', async () => {
    const clinic = await createTestClinic()
    const admin = await clinic.as('admin')
    const created = (await (
      await api('POST', '/api/v1/api-keys', { name: 'PMS' }, admin.headers)
    ).json()) as { key: string; scopes: string[] }
    expect(created.scopes.sort()).toEqual(
      ['appointments:read', 'appointments:write', 'calls:read', 'metrics:read'].sort(),
    )
    const headers = { authorization: `Bearer ${created.key}` }
    expect((await api('GET', '/api/v1/appointments', undefined, headers)).status).toBe(200)
    expect((await api('GET', '/api/v1/calls', undefined, headers)).status).toBe(200)
    // Outside its scopes: the settings, and never a manager's power such as adding treatments.
    expect((await api('GET', '/api/v1/clinic', undefined, headers)).status).toBe(403)
    const add = await api(
      'POST',
      '/api/v1/treatments',
      { name: 'Whitening', valuePence: 30000 },
      headers,
    )
    expect(add.status).toBe(403)
  })

  it('a key made with chosen scopes can do those alone, and lists them', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/api-keys',
      { name: 'Reporting', scopes: ['metrics:read', 'clinic:read'] },
      owner.headers,
    )
    expect(res.status).toBe(201)
    const created = (await res.json()) as { id: string; key: string; scopes: string[] }
    expect(created.scopes).toEqual(['metrics:read', 'clinic:read'])
    const headers = { authorization: `Bearer ${created.key}` }
    expect((await api('GET', '/api/v1/clinic', undefined, headers)).status).toBe(200)
    expect((await api('GET', '/api/v1/calls', undefined, headers)).status).toBe(403)
    const list = (await (
      await api('GET', '/api/v1/api-keys', undefined, owner.headers)
    ).json()) as {
      items: { id: string; scopes: string[] }[]
    }
    expect(list.items.find((k) => k.id === created.id)?.scopes).toEqual([
      'metrics:read',
      'clinic:read',
    ])
  })

  it('refuses scopes a key may not hold (audit, team, outbox, unknown) and an empty list with 400', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    for (const scopes of [['audit:read'], ['team:read'], ['outbox:read'], ['calls:delete'], []]) {
      const res = await api('POST', '/api/v1/api-keys', { name: 'Bad', scopes }, owner.headers)
      expect(res.status, JSON.stringify(scopes)).toBe(400)
    }
    const list = (await (
      await api('GET', '/api/v1/api-keys', undefined, owner.headers)
    ).json()) as {
      items: unknown[]
    }
    expect(list.items).toHaveLength(0)
  })

  it('a revoked key stops working at once (401), and revoking again answers 404', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const { id, key } = (await (
      await api('POST', '/api/v1/api-keys', { name: 'Old' }, owner.headers)
    ).json()) as { id: string; key: string }
    expect((await api('DELETE', `/api/v1/api-keys/${id}`, undefined, owner.headers)).status).toBe(
      204,
    )
    const res = await api('GET', '/api/v1/clinic', undefined, { authorization: `Bearer ${key}` })
    expect(res.status).toBe(401)
    expect((await api('DELETE', `/api/v1/api-keys/${id}`, undefined, owner.headers)).status).toBe(
      404,
    )
    expect(await auditActions(clinic.clinicId)).toContain('api-key.revoke')
  })

  it('another clinic’s key cannot be revoked or listed (404, and it keeps working)', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const owner = await clinic.as('owner')
    const theirOwner = await other.as('owner')
    const theirs = (await (
      await api('POST', '/api/v1/api-keys', { name: 'Theirs' }, theirOwner.headers)
    ).json()) as { id: string; key: string }
    expect(
      (await api('DELETE', `/api/v1/api-keys/${theirs.id}`, undefined, owner.headers)).status,
    ).toBe(404)
    const list = (await (
      await api('GET', '/api/v1/api-keys', undefined, owner.headers)
    ).json()) as {
      items: { id: string }[]
    }
    expect(list.items.map((k) => k.id)).not.toContain(theirs.id)
    const still = await api('GET', '/api/v1/calls', undefined, {
      authorization: `Bearer ${theirs.key}`,
    })
    expect(still.status).toBe(200)
  })

  it('receptionists, analysts and API keys themselves cannot create keys (403)', async () => {
    const clinic = await createTestClinic()
    for (const role of ['receptionist', 'analyst'] as const) {
      const member = await clinic.as(role)
      expect((await api('POST', '/api/v1/api-keys', { name: 'x' }, member.headers)).status).toBe(
        403,
      )
    }
    const key = await clinic.apiKey()
    const res = await api(
      'POST',
      '/api/v1/api-keys',
      { name: 'x' },
      { authorization: `Bearer ${key}` },
    )
    expect(res.status).toBe(403)
  })

  it('a cookie-authenticated key creation without Origin is refused (403); a bogus Bearer gets 401', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    expect(
      (await api('POST', '/api/v1/api-keys', { name: 'x' }, { cookie: owner.cookie })).status,
    ).toBe(403)
    const bogus = await api('GET', '/api/v1/clinic', undefined, {
      authorization: `Bearer ${API_KEY_PREFIX}not-a-real-key`,
    })
    expect(bogus.status).toBe(401)
  })

  it('an empty name is a 400', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    expect((await api('POST', '/api/v1/api-keys', { name: '  ' }, owner.headers)).status).toBe(400)
  })
})
