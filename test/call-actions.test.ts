/**
 * Acting on a missed call (CONTRACT "Acting on a missed call (v1.1)"): the call's story, its
 * voicemail (audited), click-to-call against a fake Twilio (the number read from Twilio at that
 * moment and kept nowhere), resolving by hand, and booking by callId/conversationId.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { roleCan } from '../src/auth/policy'
import { calls, conversations, outboundMessages } from '../src/db/schema'
import type { Bindings } from '../src/env'
import { getConfig } from '../src/env'
import worker from '../src/index'
import type { JobMessage } from '../src/jobs/messages'
import { ROLES } from '../src/lib/context'
import { newId } from '../src/lib/ids'
import { clinicKeyring, contactHash } from '../src/privacy/crypto'
import { api, BASE, createTestClinic, call as fetchPath, type TestClinic } from './helpers/clinic'
import { twilioSignatureFor } from './helpers/twilio'
import { callRow, db, voice } from './helpers/voice'

const CALLER = '+447700900123'
const ACCOUNT_SID = `AC${'1'.repeat(32)}`
const FAKE_TWILIO = 'http://fake-twilio.test'
const T0 = Date.parse('2026-11-02T09:00:00Z')

let sidCounter = 0
const newSid = () => `CA${String(++sidCounter).padStart(32, '0')}`

async function auditActions(clinicId: string): Promise<string[]> {
  return (await env.CLINIC.getByName(clinicId).listAudit(500, null)).map((e) => e.action)
}

/** A missed inbound call from `caller` (hashed as the webhooks would). */
async function seedMissed(
  clinic: TestClinic,
  extra: Partial<typeof calls.$inferInsert> = {},
  caller: string | null = CALLER,
) {
  const id = newId('call', extra.startedAt ?? T0)
  await db.insert(calls).values({
    id,
    clinicId: clinic.clinicId,
    callSid: newSid(),
    direction: 'inbound',
    callerHash: caller ? await contactHash(getConfig(env), clinic.clinicId, caller) : null,
    callerKind: caller ? 'mobile' : 'withheld',
    startedAt: T0,
    status: 'missed',
    ...extra,
  })
  const [row] = await db.select().from(calls).where(eq(calls.id, id))
  return row!
}

/** A missed call through the real voice webhooks, so attribution knows it. */
async function missedViaWebhooks(clinic: TestClinic) {
  const p = { CallSid: newSid(), From: CALLER, To: clinic.trackingNumber }
  await voice.incoming(p)
  await voice.dialResult(p, 'no-answer')
  await voice.status(p, 'completed')
  const row = await callRow(clinic.clinicId, p.CallSid)
  expect(row?.status).toBe('missed')
  return row!
}

async function receptionist(clinic: TestClinic) {
  return (await clinic.as('receptionist')).headers
}

describe('GET /api/v1/calls/:id — the call with its story', () => {
  it('adds the recording, the caller’s other calls and texts, the conversation and no resolution', async () => {
    const clinic = await createTestClinic()
    const missed = await seedMissed(clinic, {
      status: 'voicemail',
      voicemailSeconds: 42,
      recordingKey: `recordings/${clinic.clinicId}/RE1`,
    })
    const earlier = await seedMissed(clinic, { startedAt: T0 - 3600_000, status: 'answered' })
    await seedMissed(clinic, { startedAt: T0 - 7200_000 }, '+447700900999') // someone else
    await db.insert(outboundMessages).values({
      id: newId('msg'),
      clinicId: clinic.clinicId,
      dedupeKey: `text-back:${missed.id}`,
      kind: 'text-back',
      channel: 'sms',
      callId: missed.id,
      recipientHash: missed.callerHash,
      toMasked: '•••123',
      bodySealed: 'rb1.1.x.y',
      status: 'sandboxed',
    })
    const conversationId = newId('cnv')
    await db.insert(conversations).values({
      id: conversationId,
      clinicId: clinic.clinicId,
      channel: 'sms',
      contactHash: missed.callerHash!,
      lastMessageAt: T0,
    })
    const res = await api(
      'GET',
      `/api/v1/calls/${missed.id}`,
      undefined,
      await receptionist(clinic),
    )
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      id: missed.id,
      status: 'voicemail',
      recording: { durationSeconds: 42 },
      resolution: null,
      conversationId,
      attribution: null,
    })
    expect((body.otherCalls as { id: string }[]).map((o) => o.id)).toEqual([earlier.id])
    const texts = body.texts as Record<string, unknown>[]
    expect(texts).toHaveLength(1)
    expect(texts[0]).toMatchObject({ kind: 'text-back', toMasked: '•••123', status: 'sandboxed' })
    // Metadata only: the sealed body never leaves.
    expect(JSON.stringify(body)).not.toContain('rb1.')
  })
})

describe('GET /api/v1/calls/:id/recording', () => {
  it('serves the audio from R2 and audits the read; 404 when none, purged, or another clinic’s', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const key = `recordings/${clinic.clinicId}/RE${crypto.randomUUID()}`
    const withAudio = await seedMissed(clinic, {
      status: 'voicemail',
      voicemailSeconds: 3,
      recordingKey: key,
    })
    await env.BLOBS.put(key, new Uint8Array([1, 2, 3]), {
      httpMetadata: { contentType: 'audio/mpeg' },
    })
    const headers = await receptionist(clinic)
    const res = await api('GET', `/api/v1/calls/${withAudio.id}/recording`, undefined, headers)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('audio/mpeg')
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3])
    expect(await auditActions(clinic.clinicId)).toContain('call.recording.read')

    const none = await seedMissed(clinic)
    expect(
      (await api('GET', `/api/v1/calls/${none.id}/recording`, undefined, headers)).status,
    ).toBe(404)
    // The key is kept but the object is gone (purged): still 404, never a 500.
    const purged = await seedMissed(clinic, {
      status: 'voicemail',
      voicemailSeconds: 3,
      recordingKey: `recordings/${clinic.clinicId}/REgone`,
    })
    expect(
      (await api('GET', `/api/v1/calls/${purged.id}/recording`, undefined, headers)).status,
    ).toBe(404)
    const otherHeaders = await receptionist(other)
    const res2 = await api(
      'GET',
      `/api/v1/calls/${withAudio.id}/recording`,
      undefined,
      otherHeaders,
    )
    expect(res2.status).toBe(404)
    expect(await auditActions(other.clinicId)).not.toContain('call.recording.read')
  })
})

/** A fake Twilio REST API: the Calls resource read and create; records every request. */
function fakeTwilio(options: { down?: boolean } = {}) {
  const requests: { method: string; url: string; form: URLSearchParams }[] = []
  const fetcher = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init)
    if (!req.url.startsWith(FAKE_TWILIO)) throw new Error(`unexpected fetch ${req.url}`)
    requests.push({
      method: req.method,
      url: req.url,
      form: new URLSearchParams(req.method === 'POST' ? await req.text() : ''),
    })
    if (options.down) return new Response('busy', { status: 503 })
    if (req.method === 'GET' && /\/Calls\/CA\w+\.json$/.test(req.url)) {
      return Response.json({ sid: 'CAx', from: CALLER, to: '+441130000000', status: 'completed' })
    }
    if (req.method === 'POST' && req.url.endsWith('/Calls.json')) {
      return Response.json({ sid: `CA${'f'.repeat(32)}`, status: 'queued' }, { status: 201 })
    }
    return new Response('not found', { status: 404 })
  }
  return { fetcher, requests }
}

/** The whole worker with a live (fake-pointed) Twilio account and captured queue messages. */
function liveWorker(queued: string[]) {
  const jobs = {
    send: async (body: JobMessage) => void queued.push(JSON.stringify(body)),
    sendBatch: async (batch: Iterable<{ body: JobMessage }>) => {
      for (const m of batch) queued.push(JSON.stringify(m.body))
    },
  } as unknown as Queue<JobMessage>
  const testEnv = {
    ...env,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_API_BASE_URL: FAKE_TWILIO,
    JOBS: jobs,
  } as Bindings
  return async (request: Request) => {
    const ctx = createExecutionContext()
    const res = await worker.fetch(request, testEnv, ctx)
    await waitOnExecutionContext(ctx)
    return res
  }
}

/** Every form the caller's number could take in storage or a log line. */
const FORBIDDEN = [CALLER, CALLER.slice(1), '07700900123', '07700 900123', '7700900123']

async function dumpD1(): Promise<string> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT GLOB '_cf_*'",
  ).all<{ name: string }>()
  const out: string[] = []
  for (const { name } of tables.results) {
    const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all()
    out.push(JSON.stringify(rows.results))
  }
  return out.join('\n')
}

describe('POST /api/v1/calls/:id/call-back — click-to-call', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('reads the number from Twilio at that moment, bridges from the tracking number, and keeps it nowhere', async () => {
    const clinic = await createTestClinic()
    const missed = await seedMissed(clinic, { startedAt: Date.now() - 60_000 })
    const twilio = fakeTwilio()
    vi.stubGlobal('fetch', twilio.fetcher)
    const logs: string[] = []
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '))
      })
    }
    const queued: string[] = []
    const run = liveWorker(queued)
    const member = await clinic.as('receptionist')
    const res = await run(
      new Request(`${BASE}/api/v1/calls/${missed.id}/call-back`, {
        method: 'POST',
        headers: { ...member.headers, 'content-type': 'application/json' },
        body: '{}',
      }),
    )
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ id: `CA${'f'.repeat(32)}`, status: 'queued' })
    // First Twilio's record of the missed call, then the new call to the front desk.
    expect(twilio.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      `GET /2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${missed.callSid}.json`,
      `POST /2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`,
    ])
    const placed = twilio.requests[1]!.form
    expect(placed.get('To')).toBe(clinic.forwardTo)
    expect(placed.get('From')).toBe(clinic.trackingNumber)
    const twiml = placed.get('Twiml') ?? ''
    expect(twiml).toContain(`callerId="${clinic.trackingNumber}"`)
    expect(twiml).toContain(`>${CALLER}</Number>`)
    expect(twiml).toContain('statusCallback="https://ringback.test/webhooks/twilio/voice/status"')

    // The bridged leg's status callback makes it a callback of the missed call.
    const params = {
      CallSid: newSid(),
      CallStatus: 'completed',
      Direction: 'outbound-dial',
      From: clinic.trackingNumber,
      To: CALLER,
      CallDuration: '30',
    }
    const url = `${BASE}/webhooks/twilio/voice/status`
    const hook = await run(
      new Request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilioSignatureFor(url, params),
        },
        body: new URLSearchParams(params),
      }),
    )
    expect(hook.status).toBe(200)
    const [after] = await db.select().from(calls).where(eq(calls.id, missed.id))
    expect(after!.calledBackAt).not.toBeNull()
    expect(after!.callbackCallId).not.toBeNull()

    // Proof at rest: no D1 row, log line or queue message holds the number in any form.
    const stored = await dumpD1()
    const logged = logs.join('\n')
    const messages = queued.join('\n')
    for (const form of FORBIDDEN) {
      expect(stored, `D1 holds ${form}`).not.toContain(form)
      expect(logged, `a log line holds ${form}`).not.toContain(form)
      expect(messages, `a queue message holds ${form}`).not.toContain(form)
    }
    expect(await auditActions(clinic.clinicId)).toContain('call.callback.placed')
  })

  it('answers 502 when Twilio is down, and changes nothing', async () => {
    const clinic = await createTestClinic()
    const missed = await seedMissed(clinic)
    const twilio = fakeTwilio({ down: true })
    vi.stubGlobal('fetch', twilio.fetcher)
    const run = liveWorker([])
    const member = await clinic.as('receptionist')
    const before = await db.select().from(calls).where(eq(calls.clinicId, clinic.clinicId))
    const res = await run(
      new Request(`${BASE}/api/v1/calls/${missed.id}/call-back`, {
        method: 'POST',
        headers: { ...member.headers, 'content-type': 'application/json' },
        body: '{}',
      }),
    )
    expect(res.status).toBe(502)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    const after = await db.select().from(calls).where(eq(calls.clinicId, clinic.clinicId))
    expect(after).toEqual(before)
    expect(await auditActions(clinic.clinicId)).not.toContain('call.callback.placed')
  })

  it('refuses a withheld caller with 409, and in sandbox mode places nothing and counts nothing', async () => {
    const clinic = await createTestClinic()
    const headers = await receptionist(clinic)
    const withheld = await seedMissed(clinic, {}, null)
    const refused = await api('POST', `/api/v1/calls/${withheld.id}/call-back`, {}, headers)
    expect(refused.status).toBe(409)
    const missed = await seedMissed(clinic)
    const res = await api('POST', `/api/v1/calls/${missed.id}/call-back`, {}, headers)
    expect(res.status).toBe(202)
    expect(((await res.json()) as { status: string }).status).toBe('sandboxed')
    const rows = await db.select().from(calls).where(eq(calls.clinicId, clinic.clinicId))
    expect(rows).toHaveLength(2)
    expect(rows.every((r) => r.calledBackAt === null)).toBe(true)
  })

  it('is for people who act on calls: an analyst and an API key get 403; another clinic’s call is 404', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const missed = await seedMissed(clinic)
    const analyst = (await clinic.as('analyst')).headers
    expect((await api('POST', `/api/v1/calls/${missed.id}/call-back`, {}, analyst)).status).toBe(
      403,
    )
    const key = { authorization: `Bearer ${await clinic.apiKey()}` }
    expect((await api('POST', `/api/v1/calls/${missed.id}/call-back`, {}, key)).status).toBe(403)
    const stranger = await receptionist(other)
    expect((await api('POST', `/api/v1/calls/${missed.id}/call-back`, {}, stranger)).status).toBe(
      404,
    )
  })
})

describe('POST /api/v1/conversations/:id/call', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('unseals the conversation’s number only to hand it to Twilio', async () => {
    const clinic = await createTestClinic()
    const config = getConfig(env)
    const keyring = await clinicKeyring(db, config, clinic.clinicId)
    const conversationId = newId('cnv')
    await db.insert(conversations).values({
      id: conversationId,
      clinicId: clinic.clinicId,
      channel: 'whatsapp',
      contactHash: await contactHash(config, clinic.clinicId, CALLER),
      contactSealed: await keyring.seal(`whatsapp:${CALLER}`),
      lastMessageAt: T0,
    })
    const twilio = fakeTwilio()
    vi.stubGlobal('fetch', twilio.fetcher)
    const member = await clinic.as('receptionist')
    const res = await liveWorker([])(
      new Request(`${BASE}/api/v1/conversations/${conversationId}/call`, {
        method: 'POST',
        headers: { ...member.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ staffPhone: '0113 496 0000' }),
      }),
    )
    expect(res.status).toBe(202)
    expect(twilio.requests).toHaveLength(1)
    expect(twilio.requests[0]!.form.get('To')).toBe('+441134960000')
    expect(twilio.requests[0]!.form.get('Twiml')).toContain(`>${CALLER}</Number>`)
  })
})

describe('POST /api/v1/calls/:id/resolve', () => {
  it('resolves once (idempotent), keeps the status missed, and refuses calls that were not missed', async () => {
    const clinic = await createTestClinic()
    const headers = await receptionist(clinic)
    const missed = await seedMissed(clinic)
    const first = await api(
      'POST',
      `/api/v1/calls/${missed.id}/resolve`,
      { outcome: 'booked' },
      headers,
    )
    expect(first.status).toBe(200)
    const body = (await first.json()) as { status: string; resolution: Record<string, unknown> }
    expect(body.status).toBe('missed')
    expect(body.resolution).toMatchObject({ outcome: 'booked' })
    expect(String(body.resolution.by)).toMatch(/^user:/)
    const again = await api(
      'POST',
      `/api/v1/calls/${missed.id}/resolve`,
      { outcome: 'not-needed' },
      headers,
    )
    expect(again.status).toBe(200)
    expect(((await again.json()) as { resolution: unknown }).resolution).toEqual(body.resolution)
    expect((await auditActions(clinic.clinicId)).filter((a) => a === 'call.resolved')).toHaveLength(
      1,
    )

    const answered = await seedMissed(clinic, { status: 'answered' })
    const refused = await api(
      'POST',
      `/api/v1/calls/${answered.id}/resolve`,
      { outcome: 'booked' },
      headers,
    )
    expect(refused.status).toBe(409)
    const bad = await api(
      'POST',
      `/api/v1/calls/${missed.id}/resolve`,
      { outcome: 'maybe' },
      headers,
    )
    expect(bad.status).toBe(400)
  })
})

describe('POST /api/v1/appointments by callId or conversationId', () => {
  it('books for the call’s caller and attributes it to the missed call', async () => {
    const clinic = await createTestClinic()
    const headers = (await clinic.as('receptionist')).headers
    const missed = await missedViaWebhooks(clinic)
    const res = await api('POST', '/api/v1/appointments', { callId: missed.id }, headers)
    expect(res.status).toBe(201)
    const booked = (await res.json()) as {
      callerHash: string
      attribution: { status: string; callId: string }
    }
    expect(booked.callerHash).toBe(missed.callerHash)
    expect(booked.attribution).toMatchObject({ status: 'recovered', callId: missed.id })
  })

  it('books for a conversation’s contact, and refuses none, two, unknown or withheld', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const headers = (await clinic.as('receptionist')).headers
    const conversationId = newId('cnv')
    const hash = await contactHash(getConfig(env), clinic.clinicId, CALLER)
    await db.insert(conversations).values({
      id: conversationId,
      clinicId: clinic.clinicId,
      channel: 'sms',
      contactHash: hash,
      lastMessageAt: T0,
    })
    const res = await api('POST', '/api/v1/appointments', { conversationId }, headers)
    expect(res.status).toBe(201)
    expect(((await res.json()) as { callerHash: string }).callerHash).toBe(hash)

    const missed = await seedMissed(clinic)
    const withheld = await seedMissed(clinic, {}, null)
    const stranger = await seedMissed(other)
    for (const body of [
      {},
      { callId: missed.id, phone: CALLER },
      { callId: 'nope' },
      { callId: stranger.id },
      { callId: withheld.id },
      { conversationId: 'nope' },
    ]) {
      const refused = await api('POST', '/api/v1/appointments', body, headers)
      expect(refused.status, JSON.stringify(body)).toBe(400)
    }
  })
})

describe('dashboard: the call page and the waiting list', () => {
  it('shows a missed call with its actions to a receptionist, and an unanswered callback as not answered', async () => {
    const clinic = await createTestClinic()
    const member = await clinic.as('receptionist')
    const missed = await seedMissed(clinic, { startedAt: Date.now() - 600_000 })
    const page = await fetchPath(`/calls/${missed.id}`, { headers: member.headers })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain(`action="/calls/${missed.id}/call-back"`)
    expect(html).toContain(`action="/calls/${missed.id}/resolve"`)
    expect(html).toContain(`action="/calls/${missed.id}/book"`)

    const outbound = await seedMissed(clinic, {
      direction: 'outbound',
      status: 'missed',
      finalCallStatus: 'no-answer',
      startedAt: Date.now() - 60_000,
    })
    const outHtml = await (
      await fetchPath(`/calls/${outbound.id}`, { headers: member.headers })
    ).text()
    expect(outHtml).toContain('Not answered')
    expect(outHtml).not.toMatch(/badge-missed/)

    const list = await (await fetchPath('/calls/waiting', { headers: member.headers })).text()
    expect(list).toContain(`href="/calls/${missed.id}"`)
    expect(list).toContain('data-badge="worklist"')

    // An analyst reads both pages but gets no action forms, and cannot post one.
    const analyst = await clinic.as('analyst')
    const readOnly = await (
      await fetchPath(`/calls/${missed.id}`, { headers: analyst.headers })
    ).text()
    expect(readOnly).not.toContain('/call-back"')
    const posted = await fetchPath(`/calls/${missed.id}/resolve`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...analyst.headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'outcome=not-needed',
    })
    expect(posted.status).toBe(403)
  })

  it('calls back with one POST (sandbox: nothing placed, said so); a withheld caller gets a 409 page', async () => {
    const clinic = await createTestClinic()
    const member = await clinic.as('receptionist')
    const post = (id: string) =>
      fetchPath(`/calls/${id}/call-back`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...member.headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      })
    const missed = await seedMissed(clinic)
    const res = await post(missed.id)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/calls/${missed.id}?done=call-sandboxed`)
    const withheld = await seedMissed(clinic, {}, null)
    expect((await post(withheld.id)).status).toBe(409)
  })

  it('resolves from the list with one POST and the caller leaves it', async () => {
    const clinic = await createTestClinic()
    const member = await clinic.as('receptionist')
    const missed = await seedMissed(clinic, { startedAt: Date.now() - 600_000 })
    const posted = await fetchPath(`/calls/${missed.id}/resolve`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...member.headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'outcome=not-needed&back=%2Fcalls%2Fwaiting',
    })
    expect(posted.status).toBe(303)
    expect(posted.headers.get('location')).toBe('/calls/waiting?done=resolved')
    const list = await (await fetchPath('/calls/waiting', { headers: member.headers })).text()
    expect(list).not.toContain(`href="/calls/${missed.id}"`)
  })

  it('books from the call page through the appointments service and shows the attribution', async () => {
    const clinic = await createTestClinic()
    const member = await clinic.as('receptionist')
    const missed = await missedViaWebhooks(clinic)
    const posted = await fetchPath(`/calls/${missed.id}/book`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...member.headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'treatmentId=&value=85.50&scheduledFor=2026-12-10T10:30',
    })
    expect(posted.status).toBe(303)
    const location = posted.headers.get('location') ?? ''
    expect(location).toMatch(/^\/appointments\//)
    const [row] = await db.select().from(calls).where(eq(calls.id, missed.id))
    expect(row!.recoveredAppointmentId).toBe(decodeURIComponent(location.split('/')[2]!))
  })
})

describe('dashboard: every role sees what the policy gives it', () => {
  for (const role of ROLES) {
    it(`${role}: the list and the call page open with calls:read, their forms show with calls:act`, async () => {
      const clinic = await createTestClinic()
      const member = await clinic.as(role)
      const missed = await seedMissed(clinic, { startedAt: Date.now() - 600_000 })
      const canRead = roleCan(role, 'calls:read')
      const canAct = roleCan(role, 'calls:act')
      for (const path of ['/calls/waiting', `/calls/${missed.id}`]) {
        const res = await fetchPath(path, { headers: member.headers })
        expect(res.status, `${role} ${path}`).toBe(canRead ? 200 : 403)
        const html = await res.text()
        expect(html.includes(`action="/calls/${missed.id}/call-back"`), `${role} ${path}`).toBe(
          canRead && canAct,
        )
        // The navigation badge counts the one waiting caller for whoever may open the list.
        expect(/data-badge="worklist">1</.test(html)).toBe(canRead)
      }
    })
  }
})
