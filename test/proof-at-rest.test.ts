/**
 * Proof at rest: a full simulated day through the real webhooks, queue consumer and APIs, then a
 * scan of every byte the Worker kept — every D1 table and column, the clinic Durable Object's
 * SQLite tables and key-value storage, every R2 object, every queue message, and everything
 * written to the console — for the raw phone numbers and emails used. None may appear.
 */
import {
  createExecutionContext,
  createMessageBatch,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Bindings } from '../src/env'
import worker from '../src/index'
import type { JobMessage } from '../src/jobs/messages'
import { BASE, createTestClinic, type TestClinic, type TestMember } from './helpers/clinic'
import { twilioSignatureFor } from './helpers/twilio'

/** Drama-range mobiles (Ofcom 07700 900xxx) and a Leeds landline, plus patient emails. */
const ALICE = { e164: '+447700900111', national: '07700 900111' }
const BOB = { e164: '+447700900222', national: '07700 900222' }
const CAROL = { e164: '+441134960555', national: '0113 496 0555' }
const BOB_EMAIL = 'bob.patient@example.org'
const CAROL_EMAIL = 'Carol.Patient@example.org'

/** Every form a number could be stored in: E.164, with or without +, national, spaced or not. */
function forbiddenStrings(members: TestMember[]): string[] {
  const out = new Set<string>()
  for (const p of [ALICE, BOB, CAROL]) {
    const digits = p.e164.slice(1)
    out.add(p.e164)
    out.add(digits)
    out.add(p.national)
    out.add(p.national.replace(/\s/g, ''))
    out.add(`0${digits.slice(2)}`)
    out.add(digits.slice(2)) // the subscriber number without any prefix
    out.add(encodeURIComponent(p.e164)) // form-encoded
  }
  for (const e of [BOB_EMAIL, CAROL_EMAIL, ...members.map((m) => m.email)]) {
    out.add(e)
    out.add(e.toLowerCase())
    out.add(encodeURIComponent(e))
  }
  return [...out]
}

function asText(value: unknown): string {
  if (value instanceof ArrayBuffer) return new TextDecoder().decode(value)
  if (ArrayBuffer.isView(value)) return new TextDecoder().decode(value as Uint8Array)
  if (typeof value === 'string') return value
  return JSON.stringify(value) ?? String(value)
}

const sentJobs: JobMessage[] = []
const consoleLines: string[] = []
let testEnv: Bindings

async function run(request: Request): Promise<Response> {
  const ctx = createExecutionContext()
  const res = await worker.fetch(request, testEnv, ctx)
  await waitOnExecutionContext(ctx)
  return res
}

async function twilio(path: string, params: Record<string, string>): Promise<Response> {
  const url = `${BASE}${path}`
  return run(
    new Request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignatureFor(url, params),
        'i-twilio-idempotency-token': crypto.randomUUID(),
      },
      body: new URLSearchParams(params),
    }),
  )
}

async function json(method: string, path: string, body: unknown, headers: Record<string, string>) {
  return run(
    new Request(`${BASE}${path}`, {
      method,
      headers: {
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  )
}

/** Drains the captured queue messages through the worker's real queue handler. */
async function drainQueue(): Promise<void> {
  while (sentJobs.length > 0) {
    const jobs = sentJobs.splice(0)
    const batch = createMessageBatch<JobMessage>(
      'ringback-jobs',
      jobs.map((body, i) => ({
        id: `msg-${Date.now()}-${i}`,
        timestamp: new Date(),
        body,
        attempts: 1,
      })),
    )
    await worker.queue(batch, testEnv)
  }
}

let sid = 0
const callSid = () => `CA${String(++sid).padStart(32, '0')}`
const messageSid = () => `SM${String(++sid).padStart(32, 'a')}`

describe('proof at rest', () => {
  let clinic: TestClinic
  let owner: TestMember
  const queueLog: string[] = []

  beforeAll(() => {
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        consoleLines.push(args.map(asText).join(' '))
      })
    }
    const jobs: Queue<JobMessage> = {
      send: async (body: JobMessage) => {
        queueLog.push(JSON.stringify(body))
        sentJobs.push(body)
      },
      sendBatch: async (batch: Iterable<MessageSendRequest<JobMessage>>) => {
        for (const m of batch) {
          queueLog.push(JSON.stringify(m.body))
          sentJobs.push(m.body)
        }
      },
    } as unknown as Queue<JobMessage>
    testEnv = { ...env, JOBS: jobs }
  })

  afterAll(() => {
    vi.restoreAllMocks()
  })

  it('a full day leaves no raw phone number or email in D1, the Durable Object, R2, queue messages or logs', async () => {
    clinic = await createTestClinic()
    owner = await clinic.as('owner')
    const admin = await clinic.as('admin')
    const voice = (from: string, sidValue: string, extra: Record<string, string> = {}) => ({
      CallSid: sidValue,
      AccountSid: 'ACtest',
      From: from,
      Caller: from,
      To: clinic.trackingNumber,
      Called: clinic.trackingNumber,
      Direction: 'inbound',
      CallStatus: 'ringing',
      ...extra,
    })

    // 09:00 Alice rings and nobody answers: a missed call from a mobile → text-back.
    const aliceCall = callSid()
    expect((await twilio('/webhooks/twilio/voice', voice(ALICE.e164, aliceCall))).status).toBe(200)
    expect(
      (
        await twilio(
          '/webhooks/twilio/voice/dial-result',
          voice(ALICE.e164, aliceCall, { DialCallStatus: 'no-answer', CallStatus: 'in-progress' }),
        )
      ).status,
    ).toBe(200)
    await twilio(
      '/webhooks/twilio/voice/status',
      voice(ALICE.e164, aliceCall, { CallStatus: 'completed', CallDuration: '25' }),
    )

    // 09:30 Bob rings, nobody answers, he leaves a voicemail.
    const bobCall = callSid()
    await twilio('/webhooks/twilio/voice', voice(BOB.e164, bobCall))
    await twilio(
      '/webhooks/twilio/voice/dial-result',
      voice(BOB.e164, bobCall, { DialCallStatus: 'busy', CallStatus: 'in-progress' }),
    )
    await twilio('/webhooks/twilio/voice/recording', {
      CallSid: bobCall,
      AccountSid: 'ACtest',
      RecordingSid: `RE${String(sid).padStart(32, '0')}`,
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/RE${sid}`,
      RecordingStatus: 'completed',
      RecordingDuration: '14',
    })
    await twilio(
      '/webhooks/twilio/voice/status',
      voice(BOB.e164, bobCall, { CallStatus: 'completed', CallDuration: '40' }),
    )

    // 10:00 Carol rings from a landline and is answered.
    const carolCall = callSid()
    await twilio('/webhooks/twilio/voice', voice(CAROL.e164, carolCall))
    await twilio(
      '/webhooks/twilio/voice/dial-result',
      voice(CAROL.e164, carolCall, { DialCallStatus: 'answered', CallStatus: 'in-progress' }),
    )
    await twilio(
      '/webhooks/twilio/voice/status',
      voice(CAROL.e164, carolCall, { CallStatus: 'completed', CallDuration: '180' }),
    )

    // The text-backs go out through the queue consumer (sandbox: into the outbox).
    await drainQueue()

    // 10:15 Alice replies to the text-back; later she sends STOP. Bob texts on WhatsApp.
    const sms = (from: string, body: string) => ({
      MessageSid: messageSid(),
      AccountSid: 'ACtest',
      From: from,
      To: clinic.trackingNumber,
      Body: body,
      NumMedia: '0',
    })
    expect(
      (
        await twilio(
          '/webhooks/twilio/messaging',
          sms(ALICE.e164, 'Hi, yes please call me back on 07700 900111'),
        )
      ).status,
    ).toBe(200)
    await twilio(
      '/webhooks/twilio/messaging',
      sms(`whatsapp:${BOB.e164}`, `It's Bob, email me at ${BOB_EMAIL}`),
    )
    await drainQueue()
    await twilio('/webhooks/twilio/messaging', sms(ALICE.e164, 'STOP'))
    await drainQueue()

    // 11:00 The clinic calls Alice back (outbound status callback) and books appointments.
    const callback = callSid()
    await twilio('/webhooks/twilio/voice/status', {
      CallSid: callback,
      AccountSid: 'ACtest',
      From: clinic.trackingNumber,
      To: ALICE.e164,
      Direction: 'outbound-api',
      CallStatus: 'completed',
      CallDuration: '60',
    })
    const apiKey = await clinic.apiKey()
    const booked = await json(
      'POST',
      '/api/v1/appointments',
      { phone: ALICE.national, valuePence: 12000, externalId: 'pms-1' },
      { authorization: `Bearer ${apiKey}` },
    )
    expect([200, 201]).toContain(booked.status)
    await json('POST', '/api/v1/appointments', { phone: BOB.e164 }, admin.headers)
    await json('POST', '/api/v1/calls/callbacks', { phone: CAROL.national }, owner.headers)

    // 16:00 Data-subject requests: Bob asks for his data (and it is exported), Carol for erasure,
    // Alice objects.
    const access = await json(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'access', subject: { phone: BOB.national, email: BOB_EMAIL } },
      owner.headers,
    )
    expect(access.status).toBe(201)
    const accessId = ((await access.json()) as { id: string }).id
    const exported = await json(
      'GET',
      `/api/v1/privacy/requests/${accessId}/export`,
      undefined,
      owner.headers,
    )
    expect(exported.status).toBe(200)
    expect(
      (
        await json(
          'POST',
          '/api/v1/privacy/requests',
          { type: 'erasure', subject: { phone: CAROL.e164, email: CAROL_EMAIL } },
          owner.headers,
        )
      ).status,
    ).toBe(201)
    expect(
      (
        await json(
          'POST',
          '/api/v1/privacy/requests',
          { type: 'objection', subject: { phone: ALICE.e164 } },
          owner.headers,
        )
      ).status,
    ).toBe(201)
    await json(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'rectification', subject: { phone: BOB.e164 }, changes: { email: BOB_EMAIL } },
      owner.headers,
    )

    // And the reads a dashboard makes.
    for (const path of [
      '/api/v1/calls',
      '/api/v1/outbox',
      '/api/v1/audit',
      '/api/v1/privacy/purges',
      '/api/v1/privacy/requests',
    ]) {
      await json('GET', path, undefined, owner.headers)
    }

    // The day produced data: otherwise the scan would prove nothing.
    const counts = await env.DB.prepare(
      `SELECT (SELECT COUNT(*) FROM calls WHERE clinic_id = ?1) AS calls,
              (SELECT COUNT(*) FROM outbound_messages WHERE clinic_id = ?1) AS sent,
              (SELECT COUNT(*) FROM inbound_messages WHERE clinic_id = ?1) AS received,
              (SELECT COUNT(*) FROM opt_outs WHERE clinic_id = ?1 AND opted_out = 1) AS optedOut,
              (SELECT COUNT(*) FROM appointments WHERE clinic_id = ?1) AS appointments,
              (SELECT COUNT(*) FROM privacy_requests WHERE clinic_id = ?1) AS dsrs`,
    )
      .bind(clinic.clinicId)
      .first<Record<string, number>>()
    expect(counts).toMatchObject({ optedOut: 1, appointments: 2, dsrs: 4 })
    expect(counts?.calls).toBeGreaterThanOrEqual(3)
    expect(counts?.sent).toBeGreaterThanOrEqual(1)
    expect(counts?.received).toBeGreaterThanOrEqual(2)
    expect(queueLog.length).toBeGreaterThanOrEqual(1)
    // The consumer really ran: the text-back reached the (sandbox) outbox.
    const delivered = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM outbound_messages WHERE clinic_id = ? AND status = 'sandboxed'",
    )
      .bind(clinic.clinicId)
      .first<{ n: number }>()
    expect(delivered?.n).toBeGreaterThanOrEqual(1)

    // ---- The scan --------------------------------------------------------------------------
    const forbidden = forbiddenStrings([owner, admin])
    const findings: string[] = []
    const scan = (where: string, text: string) => {
      for (const f of forbidden)
        if (text.includes(f)) findings.push(`${where}: ${JSON.stringify(f)}`)
    }

    // D1: every table, every column, every row.
    const tables = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT GLOB '_cf_*'",
    ).all<{ name: string }>()
    expect(tables.results.length).toBeGreaterThan(10)
    let rowsScanned = 0
    for (const { name } of tables.results) {
      const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all<Record<string, unknown>>()
      for (const row of rows.results) {
        rowsScanned++
        for (const [col, value] of Object.entries(row)) scan(`D1 ${name}.${col}`, asText(value))
      }
    }
    expect(rowsScanned).toBeGreaterThan(10)

    // The clinic's Durable Object: every SQLite table and every key-value entry.
    const doDump = await runInDurableObject(
      env.CLINIC.getByName(clinic.clinicId),
      async (_i, state) => {
        const out: string[] = []
        const names = state.storage.sql
          .exec(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT GLOB '_cf_*'",
          )
          .toArray()
        for (const { name } of names) {
          for (const row of state.storage.sql.exec(`SELECT * FROM "${String(name)}"`))
            out.push(`${String(name)} ${asText(row)}`)
        }
        for (const [key, value] of await state.storage.list())
          out.push(`kv ${key} ${asText(value)}`)
        return out
      },
    )
    expect(doDump.some((line) => line.startsWith('audit_log'))).toBe(true)
    for (const line of doDump) scan('Durable Object', line)

    // R2: every object's key, metadata and bytes.
    let cursor: string | undefined
    do {
      const listed = await env.BLOBS.list({ cursor, include: ['customMetadata', 'httpMetadata'] })
      for (const obj of listed.objects) {
        scan('R2 key', obj.key)
        scan('R2 metadata', JSON.stringify(obj.customMetadata ?? {}))
        const body = await env.BLOBS.get(obj.key)
        if (body) scan(`R2 ${obj.key}`, await body.text())
      }
      cursor = listed.truncated ? listed.cursor : undefined
    } while (cursor)

    // Queue messages, and every line written to the console.
    for (const m of queueLog) scan('queue message', m)
    for (const line of consoleLines) scan('console', line)
    // Request logging is on in tests as in production, so the scan above read it: every
    // webhook and API request of the day left exactly its line, with the route pattern only.
    const requestLines = consoleLines.filter((l) => l.includes('"msg":"request"'))
    expect(requestLines.length).toBeGreaterThan(10)
    expect(
      requestLines.some((l) => l.includes('"route":"/webhooks/twilio/voice/dial-result"')),
    ).toBe(true)

    expect(findings).toEqual([])
    // The scanner itself is not blind: a planted number is found.
    scan('control', `tel:${ALICE.e164}`)
    expect(findings).toEqual([
      'control: "+447700900111"',
      'control: "447700900111"',
      'control: "7700900111"',
    ])
  }, 60_000)
})
