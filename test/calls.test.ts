import { describe, expect, it } from 'vitest'
import { calls } from '../src/db/schema'
import { newId } from '../src/lib/ids'
import { api, type createTestClinic } from './helpers/clinic'
import { createClinic, db } from './helpers/voice'

type Clinic = Awaited<ReturnType<typeof createTestClinic>>
const T0 = Date.parse('2026-11-02T09:00:00Z')
const HOUR = 3600_000

async function seedCall(
  clinic: Clinic,
  startedAt: number,
  status: 'ringing' | 'answered' | 'missed' | 'voicemail',
  extra: Partial<typeof calls.$inferInsert> = {},
) {
  const id = newId('call', startedAt)
  await db.insert(calls).values({
    id,
    clinicId: clinic.clinicId,
    callSid: `CA${id}`,
    direction: 'inbound',
    callerHash: 'a'.repeat(64),
    callerKind: 'mobile',
    startedAt,
    status,
    ...extra,
  })
  return id
}

type ListBody = { items: Record<string, unknown>[]; nextCursor: string | null }

async function list(clinic: Clinic, query: string, headers?: Record<string, string>) {
  const h = headers ?? (await clinic.as('analyst')).headers
  const res = await api('GET', `/api/v1/calls${query}`, undefined, h)
  return { res, body: (await res.json()) as ListBody }
}

describe('GET /api/v1/calls', () => {
  it('lists settled calls newest first in the contract shape, leaving out calls still ringing', async () => {
    const clinic = await createClinic()
    const a = await seedCall(clinic, T0, 'missed', {
      calledBackAt: T0 + 600_000,
      callbackCallId: 'x',
    })
    const b = await seedCall(clinic, T0 + HOUR, 'answered')
    await seedCall(clinic, T0 + 2 * HOUR, 'ringing')
    const { res, body } = await list(clinic, '')
    expect(res.status).toBe(200)
    expect(body.items.map((i) => i.id)).toEqual([b, a])
    expect(body.items[1]).toEqual({
      id: a,
      direction: 'inbound',
      status: 'missed',
      startedAt: '2026-11-02T09:00:00Z',
      callerHash: 'a'.repeat(64),
      calledBackAt: '2026-11-02T09:10:00Z',
      textedBackAt: null,
      recoveredAppointmentId: null,
    })
    expect(body.nextCursor).toBeNull()
  })

  it('filters by status and by a from/to window on the start time', async () => {
    const clinic = await createClinic()
    const m = await seedCall(clinic, T0, 'missed')
    const v = await seedCall(clinic, T0 + HOUR, 'voicemail')
    await seedCall(clinic, T0 + 2 * HOUR, 'answered')
    expect((await list(clinic, '?status=missed')).body.items.map((i) => i.id)).toEqual([m])
    expect((await list(clinic, '?status=voicemail')).body.items.map((i) => i.id)).toEqual([v])
    const window = `?from=${new Date(T0 + HOUR).toISOString()}&to=${new Date(T0 + 2 * HOUR).toISOString()}`
    expect((await list(clinic, window)).body.items.map((i) => i.id)).toEqual([v])
  })

  it('pages with a cursor without skipping or repeating calls that share a start time', async () => {
    const clinic = await createClinic()
    const ids: string[] = []
    for (let i = 0; i < 7; i++)
      ids.push(await seedCall(clinic, T0 + Math.floor(i / 2) * HOUR, 'missed'))
    const member = await clinic.as('receptionist')
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const q: string = `?limit=3${cursor ? `&cursor=${cursor}` : ''}`
      const { body } = await list(clinic, q, member.headers)
      expect(body.items.length).toBeLessThanOrEqual(3)
      seen.push(...body.items.map((i) => i.id as string))
      cursor = body.nextCursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(new Set(seen).size).toBe(7)
    const expected = (await list(clinic, '?limit=500', member.headers)).body.items.map((i) => i.id)
    expect(seen).toEqual(expected)
  })

  it('never shows another clinic’s calls', async () => {
    const mine = await createClinic()
    const theirs = await createClinic()
    await seedCall(theirs, T0, 'missed')
    expect((await list(mine, '')).body.items).toEqual([])
  })

  it('answers 400 problem+json for bad filters and cursors', async () => {
    const clinic = await createClinic()
    const member = await clinic.as('owner')
    for (const q of [
      '?limit=0',
      '?limit=501',
      '?status=ringing',
      '?from=yesterday',
      '?cursor=%%%',
      '?cursor=bm9wZQ',
    ]) {
      const res = await api('GET', `/api/v1/calls${q}`, undefined, member.headers)
      expect(res.status, q).toBe(400)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
    }
  })

  it('needs a session or an API key', async () => {
    const clinic = await createClinic()
    await seedCall(clinic, T0, 'missed')
    expect((await api('GET', '/api/v1/calls')).status).toBe(401)
    const key = await clinic.apiKey()
    const res = await api('GET', '/api/v1/calls', undefined, { authorization: `Bearer ${key}` })
    expect(res.status).toBe(200)
    expect(((await res.json()) as ListBody).items).toHaveLength(1)
  })
})

describe('GET /api/v1/calls/:id', () => {
  it('returns the clinic’s call with its text-back outcome', async () => {
    const clinic = await createClinic()
    const id = await seedCall(clinic, T0, 'missed', {
      textBackStatus: 'suppressed',
      textBackReason: 'landline',
    })
    const member = await clinic.as('analyst')
    const res = await api('GET', `/api/v1/calls/${id}`, undefined, member.headers)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      id,
      status: 'missed',
      textBackStatus: 'suppressed',
      textBackReason: 'landline',
    })
  })

  it('answers 404 for another clinic’s call, exactly as for a missing one', async () => {
    const mine = await createClinic()
    const theirs = await createClinic()
    const id = await seedCall(theirs, T0, 'missed')
    const member = await mine.as('owner')
    const foreign = await api('GET', `/api/v1/calls/${id}`, undefined, member.headers)
    const missing = await api('GET', '/api/v1/calls/call_nope', undefined, member.headers)
    expect(foreign.status).toBe(404)
    expect(missing.status).toBe(404)
    expect(await foreign.json()).toEqual(await missing.json())
  })
})

describe('OpenAPI', () => {
  it('documents the calls routes', async () => {
    const res = await api('GET', '/api/v1/openapi.json')
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> }
    expect(Object.keys(doc.paths['/api/v1/calls'] ?? {})).toContain('get')
    expect(Object.keys(doc.paths['/api/v1/calls/{id}'] ?? {})).toContain('get')
    expect(Object.keys(doc.paths['/api/v1/calls/callbacks'] ?? {})).toContain('post')
  })
})
