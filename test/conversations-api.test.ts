/**
 * The conversations API: the inbox order and filters, an audited thread, staff replies and status
 * changes by role, another clinic's conversation as 404, bad input as problem+json 400.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { api, createTestClinic } from './helpers/clinic'
import { patientWrites } from './helpers/conversations'

const T0 = Date.UTC(2026, 10, 23, 10, 0)

describe('/api/v1/conversations', () => {
  it('lists needs-human first, then newest, with filters and a cursor', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const a = await patientWrites(clinic, 'first', T0, { from: '+447700900301' })
    const b = await patientWrites(clinic, 'second', T0 + 1000, { from: '+447700900302' })
    const c = await patientWrites(clinic, 'third', T0 + 2000, { from: '+447700900303' })
    const handOver = await api(
      'POST',
      `/api/v1/conversations/${a.conversationId}/status`,
      { status: 'human' },
      owner.headers,
    )
    expect(handOver.status).toBe(200)
    // needs-human comes from the engine; set one directly through the dead-letter path's status.
    const { handOverUnanswered } = await import('../src/conversations/ai-reply')
    await handOverUnanswered(b, env, T0 + 5000)
    const list = (await (
      await api('GET', '/api/v1/conversations?limit=2', undefined, owner.headers)
    ).json()) as { items: { id: string; status: string }[]; nextCursor: string | null }
    expect(list.items.map((i) => i.id)).toEqual([b.conversationId, c.conversationId])
    expect(list.items[0]!.status).toBe('needs-human')
    const rest = (await (
      await api(
        'GET',
        `/api/v1/conversations?limit=2&cursor=${encodeURIComponent(list.nextCursor ?? '')}`,
        undefined,
        owner.headers,
      )
    ).json()) as { items: { id: string }[]; nextCursor: string | null }
    expect(rest.items.map((i) => i.id)).toEqual([a.conversationId])
    expect(rest.nextCursor).toBeNull()
    const humans = (await (
      await api('GET', '/api/v1/conversations?status=human', undefined, owner.headers)
    ).json()) as { items: { id: string }[] }
    expect(humans.items.map((i) => i.id)).toEqual([a.conversationId])
  })

  it('reads a thread (audited), replies as staff (202, the AI stops), and answers 404 across clinics', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const receptionist = await clinic.as('receptionist')
    const outsider = await other.as('owner')
    const job = await patientWrites(clinic, 'Can I book a hygienist visit?', T0)
    const path = `/api/v1/conversations/${job.conversationId}`
    const read = await api('GET', path, undefined, receptionist.headers)
    expect(read.status).toBe(200)
    const detail = (await read.json()) as { messages: { author: string; body: string }[] }
    expect(detail.messages).toEqual([
      expect.objectContaining({ author: 'patient', body: 'Can I book a hygienist visit?' }),
    ])
    const entries = await env.CLINIC.getByName(clinic.clinicId).listAudit(500, null)
    expect(
      entries.some(
        (e) =>
          e.action === 'conversation.read' && e.target === `conversation:${job.conversationId}`,
      ),
    ).toBe(true)

    const reply = await api(
      'POST',
      `${path}/messages`,
      { body: 'Yes — Tuesday 9:30?' },
      receptionist.headers,
    )
    expect(reply.status).toBe(202)
    expect(await reply.json()).toMatchObject({ status: 'queued' })
    const after = (await (await api('GET', path, undefined, receptionist.headers)).json()) as {
      status: string
      unreadCount: number
      messages: { author: string }[]
    }
    expect(after.status).toBe('human')
    expect(after.unreadCount).toBe(0)
    expect(after.messages.map((m) => m.author)).toEqual(['patient', 'staff'])

    expect((await api('GET', path, undefined, outsider.headers)).status).toBe(404)
    expect((await api('POST', `${path}/messages`, { body: 'x' }, outsider.headers)).status).toBe(
      404,
    )
  })

  it('refuses bad input with problem+json and lets analysts and API keys do nothing here', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const analyst = await clinic.as('analyst')
    const job = await patientWrites(clinic, 'Hello', T0)
    const path = `/api/v1/conversations/${job.conversationId}`
    for (const [suffix, body] of [
      ['/messages', { body: '' }],
      ['/messages', { body: 'x'.repeat(1601) }],
      ['/status', { status: 'needs-human' }],
      ['/assign', { userId: 'usr_not_a_member' }],
    ] as const) {
      const res = await api('POST', `${path}${suffix}`, body, owner.headers)
      expect(res.status, suffix).toBe(400)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
    }
    expect(
      (await api('GET', '/api/v1/conversations?status=nope', undefined, owner.headers)).status,
    ).toBe(400)
    expect((await api('GET', path, undefined, analyst.headers)).status).toBe(403)
    const key = await clinic.apiKey('conversations:read')
    const bearer = { authorization: `Bearer ${key}` }
    expect((await api('GET', path, undefined, bearer)).status).toBe(200)
    expect((await api('POST', `${path}/status`, { status: 'closed' }, bearer)).status).toBe(403)
  })

  it('assigns to a member and marks read', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const job = await patientWrites(clinic, 'Hello', T0)
    const path = `/api/v1/conversations/${job.conversationId}`
    const assigned = await api('POST', `${path}/assign`, { userId: owner.userId }, owner.headers)
    expect(await assigned.json()).toMatchObject({ assignedTo: owner.userId, unreadCount: 1 })
    expect((await api('POST', `${path}/read`, undefined, owner.headers)).status).toBe(204)
    const mine = (await (
      await api('GET', `/api/v1/conversations?assignedTo=${owner.userId}`, undefined, owner.headers)
    ).json()) as { items: { id: string; unreadCount: number }[] }
    expect(mine.items).toEqual([
      expect.objectContaining({ id: job.conversationId, unreadCount: 0 }),
    ])
  })
})
