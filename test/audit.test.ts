import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { audit } from '../src/audit/audit'
import { DAY_MS } from '../src/lib/time'
import { api, createTestClinic } from './helpers/clinic'

type AuditPage = {
  items: {
    id: string
    at: string
    actor: string
    action: string
    target: string | null
    hash: string
    prevHash: string
  }[]
  nextCursor: string | null
}

async function clinicWithEntries(n: number, at?: (i: number) => number) {
  const clinic = await createTestClinic()
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const entry = await audit(env, clinic.clinicId, {
      actor: 'user:usr_test',
      action: `test.action.${i}`,
      target: `thing:${i}`,
      at: at?.(i),
    })
    ids.push(entry.id)
  }
  return { clinic, ids }
}

describe('GET /api/v1/audit', () => {
  it('lists the chain newest first, each entry carrying the previous entry’s hash, page by page', async () => {
    const { clinic, ids } = await clinicWithEntries(3)
    const owner = await clinic.as('owner')
    const first = await api('GET', '/api/v1/audit?limit=2', undefined, owner.headers)
    expect(first.status).toBe(200)
    const page1 = (await first.json()) as AuditPage
    expect(page1.items.map((e) => e.id)).toEqual([ids[2], ids[1]])
    expect(page1.items[0]!.prevHash).toBe(page1.items[1]!.hash)
    expect(page1.items[0]).toMatchObject({
      actor: 'user:usr_test',
      action: 'test.action.2',
      target: 'thing:2',
    })
    expect(page1.items[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(page1.nextCursor).not.toBeNull()
    const second = await api(
      'GET',
      `/api/v1/audit?limit=2&cursor=${page1.nextCursor}`,
      undefined,
      owner.headers,
    )
    const page2 = (await second.json()) as AuditPage
    expect(page2.items.map((e) => e.id)).toEqual([ids[0]])
    expect(page2.items[0]!.prevHash).toBe('0'.repeat(64))
    expect(page2.nextCursor).toBeNull()
  })

  it('is for owners and admins only', async () => {
    const { clinic } = await clinicWithEntries(1)
    const receptionist = await clinic.as('receptionist')
    expect((await api('GET', '/api/v1/audit', undefined, receptionist.headers)).status).toBe(403)
    expect((await api('GET', '/api/v1/audit/verify', undefined, receptionist.headers)).status).toBe(
      403,
    )
    expect((await api('GET', '/api/v1/audit')).status).toBe(401)
    const admin = await clinic.as('admin')
    expect((await api('GET', '/api/v1/audit', undefined, admin.headers)).status).toBe(200)
  })

  it('shows only the caller’s own clinic’s entries', async () => {
    const a = await clinicWithEntries(2)
    const b = await clinicWithEntries(1)
    const owner = await b.clinic.as('owner')
    const page = (await (
      await api('GET', '/api/v1/audit', undefined, owner.headers)
    ).json()) as AuditPage
    expect(page.items.map((e) => e.id)).toEqual(b.ids)
    expect(page.items.some((e) => a.ids.includes(e.id))).toBe(false)
  })

  it('rejects a malformed cursor with a problem+json 400', async () => {
    const { clinic } = await clinicWithEntries(1)
    const owner = await clinic.as('owner')
    const res = await api('GET', '/api/v1/audit?cursor=%%%', undefined, owner.headers)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})

describe('GET /api/v1/audit/verify', () => {
  it('reports an untouched chain as valid, having checked every entry', async () => {
    const { clinic } = await clinicWithEntries(4)
    const owner = await clinic.as('owner')
    const res = await api('GET', '/api/v1/audit/verify', undefined, owner.headers)
    expect(await res.json()).toEqual({ valid: true, checked: 4, firstBrokenId: null })
  })

  it('names the entry whose stored row was edited directly', async () => {
    const { clinic, ids } = await clinicWithEntries(5)
    await runInDurableObject(env.CLINIC.getByName(clinic.clinicId), (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE audit_log SET actor = 'user:someone-else' WHERE id = ?",
        ids[2],
      )
    })
    const owner = await clinic.as('owner')
    const res = await api('GET', '/api/v1/audit/verify', undefined, owner.headers)
    expect(await res.json()).toEqual({ valid: false, checked: 3, firstBrokenId: ids[2] })
  })

  it('names the entry after one that was deleted from the middle', async () => {
    const { clinic, ids } = await clinicWithEntries(4)
    await runInDurableObject(env.CLINIC.getByName(clinic.clinicId), (_instance, state) => {
      state.storage.sql.exec('DELETE FROM audit_log WHERE id = ?', ids[1])
    })
    const owner = await clinic.as('owner')
    const body = (await (
      await api('GET', '/api/v1/audit/verify', undefined, owner.headers)
    ).json()) as {
      valid: boolean
      firstBrokenId: string
    }
    expect(body.valid).toBe(false)
    expect(body.firstBrokenId).toBe(ids[2])
  })
})

describe('audit retention (7 years)', () => {
  const now = Date.UTC(2033, 5, 1)
  const eightYearsAgo = now - 8 * 365 * DAY_MS

  it('removes entries older than the cut-off and the rest still verifies from the anchor', async () => {
    const { clinic, ids } = await clinicWithEntries(5, (i) =>
      i < 3 ? eightYearsAgo + i : now - DAY_MS + i,
    )
    const stub = env.CLINIC.getByName(clinic.clinicId)
    const result = await stub.purgeAudit(now - 7 * 365 * DAY_MS)
    expect(result.removed).toBe(3)
    const owner = await clinic.as('owner')
    const page = (await (
      await api('GET', '/api/v1/audit', undefined, owner.headers)
    ).json()) as AuditPage
    // The two young entries, plus the retention entry vouching for the anchor.
    expect(page.items.map((e) => e.action)).toEqual([
      'audit.retention',
      'test.action.4',
      'test.action.3',
    ])
    expect(page.items.map((e) => e.id)).not.toContain(ids[0])
    const verify = await api('GET', '/api/v1/audit/verify', undefined, owner.headers)
    expect(await verify.json()).toEqual({ valid: true, checked: 3, firstBrokenId: null })
    // Running it again removes nothing more.
    expect((await stub.purgeAudit(now - 7 * 365 * DAY_MS)).removed).toBe(0)
  })

  it('purges in chunks without ever removing the newest entry', async () => {
    const { clinic } = await clinicWithEntries(5, (i) => eightYearsAgo + i)
    const stub = env.CLINIC.getByName(clinic.clinicId)
    expect((await stub.purgeAudit(now, 2)).removed).toBe(2)
    expect((await stub.purgeAudit(now, 2)).removed).toBe(2)
    // Everything is older than `now`, yet the head survives every run: there is always an entry
    // to append to, and the retention entries vouching for the anchor verify.
    expect((await stub.purgeAudit(now, 100)).removed).toBeGreaterThan(0)
    const left = await stub.listAudit(10, null)
    expect(left).toHaveLength(2)
    expect(left.map((e) => e.action)).toEqual(['audit.retention', 'audit.retention'])
    const owner = await clinic.as('owner')
    const verify = (await (
      await api('GET', '/api/v1/audit/verify', undefined, owner.headers)
    ).json()) as {
      valid: boolean
    }
    expect(verify.valid).toBe(true)
  })

  it('detects an edited anchor', async () => {
    const { clinic } = await clinicWithEntries(3, (i) => (i < 2 ? eightYearsAgo + i : now))
    const stub = env.CLINIC.getByName(clinic.clinicId)
    await stub.purgeAudit(now - 7 * 365 * DAY_MS)
    await runInDurableObject(stub, (_instance, state) => {
      // Pretend fewer entries were removed: point the anchor at the first one.
      const first = String(state.storage.sql.exec('SELECT hash FROM audit_anchor').one().hash)
      // Flip the last hex digit (always a change, whatever the digit was).
      const last = first.at(-1) === '0' ? '1' : '0'
      state.storage.sql.exec(
        'UPDATE audit_anchor SET hash = ? WHERE id = 1',
        `${first.slice(0, -1)}${last}`,
      )
    })
    const owner = await clinic.as('owner')
    const verify = (await (
      await api('GET', '/api/v1/audit/verify', undefined, owner.headers)
    ).json()) as {
      valid: boolean
    }
    expect(verify.valid).toBe(false)
  })
})
