import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import {
  appointments,
  calls,
  inboundMessages,
  optOuts,
  outboundMessages,
  privacyRequests,
} from '../src/db/schema'
import { getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { DAY_MS } from '../src/lib/time'
import { clinicKeyring, contactHash } from '../src/privacy/crypto'
import { isSubjectSuppressed } from '../src/privacy/subjects'
import { api, createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)
const config = getConfig(env)
const PHONE = '+447700900123'
const NATIONAL = '07700 900123'

async function seedSubject(clinicId: string) {
  const hash = await contactHash(config, clinicId, PHONE)
  const keyring = await clinicKeyring(db, config, clinicId)
  const callId = newId('call')
  const key = `${clinicId}/recordings/${callId}.wav`
  await db.insert(calls).values({
    id: callId,
    clinicId,
    callSid: `CA${callId}`,
    direction: 'inbound',
    callerHash: hash,
    callerKind: 'mobile',
    startedAt: Date.now() - DAY_MS,
    status: 'voicemail',
    recordingKey: key,
  })
  await env.BLOBS.put(key, 'audio')
  const apptId = newId('apt')
  await db.insert(appointments).values({
    id: apptId,
    clinicId,
    callerHash: hash,
    createdAt: Date.now(),
    receivedAt: Date.now(),
    valuePence: 9000,
  })
  await db.insert(inboundMessages).values({
    id: newId('in'),
    clinicId,
    messageSid: newId('SM'),
    channel: 'sms',
    senderHash: hash,
    bodySealed: await keyring.seal('Can I book a clean?'),
    receivedAt: Date.now(),
  })
  await db.insert(outboundMessages).values({
    id: newId('msg'),
    clinicId,
    dedupeKey: `text-back:${callId}`,
    kind: 'text-back',
    channel: 'sms',
    callId,
    recipientHash: hash,
    toMasked: '•••123',
    bodySealed: await keyring.seal('Sorry we missed you'),
    status: 'sandboxed',
  })
  await db
    .insert(optOuts)
    .values({ clinicId, contactHash: hash, optedOut: true, keyword: 'STOP', updatedAt: Date.now() })
  await runInDurableObject(env.CLINIC.getByName(clinicId), (_i, state) => {
    state.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS attr_calls (id TEXT PRIMARY KEY, caller_hash TEXT NOT NULL, at INTEGER NOT NULL, status TEXT NOT NULL)',
    )
    state.storage.sql.exec(
      "INSERT INTO attr_calls (id, caller_hash, at, status) VALUES (?, ?, ?, 'missed')",
      callId,
      hash,
      Date.now(),
    )
  })
  return { hash, callId, apptId, key }
}

type ExportBody = {
  subject: unknown
  calls: unknown[]
  appointments: unknown[]
  messages: { received: unknown[]; sent: unknown[] }
  consent: unknown[]
}

type RequestView = {
  id: string
  type: string
  status: string
  dueAt: string
  createdAt: string
  result: Record<string, number> | null
}

describe('POST /api/v1/privacy/requests', () => {
  it('records a request with a 30-day due date and answers 201', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'access', subject: { phone: NATIONAL } },
      owner.headers,
    )
    expect(res.status).toBe(201)
    const body = (await res.json()) as RequestView
    expect(body).toMatchObject({ type: 'access', status: 'completed' })
    expect(Date.parse(body.dueAt) - Date.parse(body.createdAt)).toBe(30 * DAY_MS)
    // Stored only as hashes and a sealed copy.
    const [row] = await db.select().from(privacyRequests).where(eq(privacyRequests.id, body.id))
    expect(row?.subjectHash).toBe(await contactHash(config, clinic.clinicId, PHONE))
    expect(JSON.stringify(row)).not.toContain('900123')
  })

  it('answers 400 when neither phone nor email is given, or the phone is not a number', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    for (const body of [
      { type: 'access', subject: {} },
      { type: 'access', subject: { phone: 'not a phone' } },
      { type: 'rectification', subject: { phone: PHONE } },
      { type: 'deletion', subject: { phone: PHONE } },
    ]) {
      const res = await api('POST', '/api/v1/privacy/requests', body, owner.headers)
      expect(res.status, JSON.stringify(body.type)).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(await res.text()).not.toContain('not a phone')
    }
  })

  it('is for signed-in owners and admins only', async () => {
    const clinic = await createTestClinic()
    const receptionist = await clinic.as('receptionist')
    const body = { type: 'access', subject: { phone: PHONE } }
    expect((await api('POST', '/api/v1/privacy/requests', body, receptionist.headers)).status).toBe(
      403,
    )
    const key = await clinic.apiKey()
    expect(
      (await api('POST', '/api/v1/privacy/requests', body, { authorization: `Bearer ${key}` }))
        .status,
    ).toBe(403)
    const admin = await clinic.as('admin')
    expect((await api('POST', '/api/v1/privacy/requests', body, admin.headers)).status).toBe(201)
  })
})

describe('access: GET /api/v1/privacy/requests/:id/export', () => {
  it('exports everything held about the subject as JSON, bodies opened, and audits the read', async () => {
    const clinic = await createTestClinic()
    const seeded = await seedSubject(clinic.clinicId)
    const owner = await clinic.as('owner')
    const created = (await (
      await api(
        'POST',
        '/api/v1/privacy/requests',
        { type: 'access', subject: { phone: NATIONAL } },
        owner.headers,
      )
    ).json()) as RequestView
    const res = await api(
      'GET',
      `/api/v1/privacy/requests/${created.id}/export`,
      undefined,
      owner.headers,
    )
    expect(res.status).toBe(200)
    const data = (await res.json()) as ExportBody
    expect(data.subject).toEqual({ phone: PHONE, email: null })
    expect(data.calls).toMatchObject([
      { id: seeded.callId, status: 'voicemail', hasRecording: true },
    ])
    expect(data.appointments).toMatchObject([{ id: seeded.apptId, valuePence: 9000 }])
    expect(data.messages.received).toMatchObject([{ body: 'Can I book a clean?' }])
    expect(data.messages.sent).toMatchObject([{ kind: 'text-back', body: 'Sorry we missed you' }])
    expect(data.consent).toMatchObject([{ optedOut: true, keyword: 'STOP' }])
    const auditPage = (await (
      await api('GET', '/api/v1/audit', undefined, owner.headers)
    ).json()) as { items: { action: string; target: string }[] }
    expect(auditPage.items[0]).toMatchObject({
      action: 'privacy.export',
      target: `privacy-request:${created.id}`,
    })
    expect(JSON.stringify(auditPage)).not.toContain('900123')
  })

  it('answers 404 for another clinic’s request', async () => {
    const a = await createTestClinic()
    const b = await createTestClinic()
    const ownerA = await a.as('owner')
    const created = (await (
      await api(
        'POST',
        '/api/v1/privacy/requests',
        { type: 'access', subject: { phone: PHONE } },
        ownerA.headers,
      )
    ).json()) as RequestView
    const ownerB = await b.as('owner')
    expect(
      (await api('GET', `/api/v1/privacy/requests/${created.id}`, undefined, ownerB.headers))
        .status,
    ).toBe(404)
    expect(
      (await api('GET', `/api/v1/privacy/requests/${created.id}/export`, undefined, ownerB.headers))
        .status,
    ).toBe(404)
    const list = (await (
      await api('GET', '/api/v1/privacy/requests', undefined, ownerB.headers)
    ).json()) as { items: unknown[] }
    expect(list.items).toEqual([])
  })
})

describe('erasure', () => {
  it('deletes the subject’s calls, recordings, messages and working-set rows, unlinks appointments, keeps the STOP suppression', async () => {
    const clinic = await createTestClinic()
    const seeded = await seedSubject(clinic.clinicId)
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'erasure', subject: { phone: PHONE } },
      owner.headers,
    )
    expect(res.status).toBe(201)
    const body = (await res.json()) as RequestView
    expect(body.result).toMatchObject({
      calls: 1,
      recordings: 1,
      appointmentsUnlinked: 1,
      inboundMessages: 1,
      outboundMessages: 1,
      workingSetRows: 1,
    })
    expect(await db.select().from(calls).where(eq(calls.callerHash, seeded.hash))).toEqual([])
    expect(await env.BLOBS.head(seeded.key)).toBeNull()
    const [appt] = await db.select().from(appointments).where(eq(appointments.id, seeded.apptId))
    expect(appt).toMatchObject({ callerHash: null, valuePence: 9000 })
    expect(
      await db.select().from(inboundMessages).where(eq(inboundMessages.senderHash, seeded.hash)),
    ).toEqual([])
    expect(
      await db.select().from(optOuts).where(eq(optOuts.contactHash, seeded.hash)),
    ).toHaveLength(1)
    const attr = await runInDurableObject(
      env.CLINIC.getByName(clinic.clinicId),
      (_i, state) => state.storage.sql.exec('SELECT COUNT(*) AS n FROM attr_calls').one().n,
    )
    expect(attr).toBe(0)
    const [row] = await db.select().from(privacyRequests).where(eq(privacyRequests.id, body.id))
    expect(row?.detailsSealed).toBeNull()
    const auditPage = (await (
      await api('GET', '/api/v1/audit', undefined, owner.headers)
    ).json()) as { items: { action: string; target: string; actor: string }[] }
    expect(auditPage.items[0]).toMatchObject({
      action: 'privacy.erasure',
      target: `privacy-request:${body.id}`,
      actor: `user:${owner.userId}`,
    })
    // Again: nothing left to erase.
    const again = (await (
      await api(
        'POST',
        '/api/v1/privacy/requests',
        { type: 'erasure', subject: { phone: PHONE } },
        owner.headers,
      )
    ).json()) as RequestView
    expect(again.result).toMatchObject({ calls: 0, recordings: 0, inboundMessages: 0 })
  })
})

describe('restriction, objection and rectification', () => {
  it('restriction and objection make isSubjectSuppressed true for that subject only', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const hash = await contactHash(config, clinic.clinicId, PHONE)
    const other = await contactHash(config, clinic.clinicId, '+447700900456')
    expect(await isSubjectSuppressed(db, clinic.clinicId, hash)).toBe(false)
    await api(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'restriction', subject: { phone: NATIONAL } },
      owner.headers,
    )
    expect(await isSubjectSuppressed(db, clinic.clinicId, hash)).toBe(true)
    expect(await isSubjectSuppressed(db, clinic.clinicId, other)).toBe(false)
    await api(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'objection', subject: { phone: '+447700900456' } },
      owner.headers,
    )
    expect(await isSubjectSuppressed(db, clinic.clinicId, other)).toBe(true)
    const elsewhere = await createTestClinic()
    expect(await isSubjectSuppressed(db, elsewhere.clinicId, hash)).toBe(false)
  })

  it('rectification re-links the subject’s appointments to the corrected number', async () => {
    const clinic = await createTestClinic()
    const seeded = await seedSubject(clinic.clinicId)
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'rectification', subject: { phone: PHONE }, changes: { phone: '07700 900999' } },
      owner.headers,
    )
    expect(((await res.json()) as RequestView).result).toEqual({
      appointmentsRelinked: 1,
      leadsRectified: 0,
    })
    const [appt] = await db.select().from(appointments).where(eq(appointments.id, seeded.apptId))
    expect(appt?.callerHash).toBe(await contactHash(config, clinic.clinicId, '+447700900999'))
  })

  it('lists requests newest first with a cursor', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const ids: string[] = []
    for (const type of ['access', 'restriction', 'objection']) {
      ids.push(
        (
          (await (
            await api(
              'POST',
              '/api/v1/privacy/requests',
              { type, subject: { email: 'Pat@Example.com' } },
              owner.headers,
            )
          ).json()) as RequestView
        ).id,
      )
    }
    const page1 = (await (
      await api('GET', '/api/v1/privacy/requests?limit=2', undefined, owner.headers)
    ).json()) as { items: RequestView[]; nextCursor: string }
    const page2 = (await (
      await api(
        'GET',
        `/api/v1/privacy/requests?limit=2&cursor=${page1.nextCursor}`,
        undefined,
        owner.headers,
      )
    ).json()) as { items: RequestView[]; nextCursor: string | null }
    expect([...page1.items, ...page2.items].map((r) => r.id)).toEqual([...ids].reverse())
    expect(page2.nextCursor).toBeNull()
  })
})
