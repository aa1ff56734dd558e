import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { verifyPassword } from '../src/auth/passwords'
import { createDb } from '../src/db/client'
import { devRoutesAllowed } from '../src/demo/demo.index'
import { DEMO_CLINIC, planDemoHistory } from '../src/demo/history'
import { type SeedResult, seedDemoClinic } from '../src/demo/seed'
import devWorker from '../src/dev'
import { getConfig } from '../src/env'
import worker from '../src/index'
import { DAY_MS } from '../src/lib/time'
import { clinicKeyring, contactHash } from '../src/privacy/crypto'

const NOW = Date.parse('2026-11-23T15:30:00Z')
let first: SeedResult

async function count(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>()
  return row?.n ?? 0
}

beforeAll(async () => {
  first = await seedDemoClinic(env, NOW)
})

describe('demo seed', () => {
  it('creates the demo clinic of the contract with its owner, number and treatments', async () => {
    expect(first.seeded).toBe(true)
    const clinic = await env.DB.prepare('SELECT name, timezone FROM clinics WHERE id = ?')
      .bind(first.clinicId)
      .first()
    expect(clinic).toEqual({ name: 'Demo Dental & Aesthetics', timezone: 'Europe/London' })
    const number = await env.DB.prepare(
      'SELECT phone_number, forward_to FROM tracking_numbers WHERE clinic_id = ?',
    )
      .bind(first.clinicId)
      .first()
    expect(number).toEqual({ phone_number: '+441134960000', forward_to: '+441134960999' })
    const owner = await env.DB.prepare(
      'SELECT email_sealed, password_hash, role FROM users WHERE clinic_id = ?',
    )
      .bind(first.clinicId)
      .first<{ email_sealed: string; password_hash: string; role: string }>()
    expect(owner?.role).toBe('owner')
    expect(await verifyPassword('demo-password-123', owner?.password_hash ?? '')).toBe(true)
    const keyring = await clinicKeyring(createDb(env.DB), getConfig(env), first.clinicId)
    expect(await keyring.open(owner?.email_sealed ?? '')).toBe('owner@demo.clinic')
    const values = await env.DB.prepare(
      'SELECT name, value_pence FROM treatments WHERE clinic_id = ? ORDER BY name',
    )
      .bind(first.clinicId)
      .all<{ name: string; value_pence: number }>()
    expect(values.results).toContainEqual({ name: 'Implant consultation', value_pence: 240000 })
    expect(values.results).toContainEqual({ name: 'NHS Band 2 treatment', value_pence: 7070 })
  })

  it('produces 120 days of about 30 inbound calls a day, 20–35% of them missed', async () => {
    const inbound = await count(
      "SELECT count(*) AS n FROM calls WHERE clinic_id = ? AND direction = 'inbound'",
      first.clinicId,
    )
    const missed = await count(
      "SELECT count(*) AS n FROM calls WHERE clinic_id = ? AND direction = 'inbound' AND status IN ('missed', 'voicemail')",
      first.clinicId,
    )
    const span = await env.DB.prepare(
      'SELECT min(started_at) AS first, max(started_at) AS last FROM calls WHERE clinic_id = ?',
    )
      .bind(first.clinicId)
      .first<{ first: number; last: number }>()
    expect(inbound / 120).toBeGreaterThan(24)
    expect(inbound / 120).toBeLessThan(36)
    expect(missed / inbound).toBeGreaterThanOrEqual(0.2)
    expect(missed / inbound).toBeLessThanOrEqual(0.35)
    expect(NOW - (span?.first ?? NOW)).toBeGreaterThan(118 * DAY_MS)
    expect(span?.last).toBeLessThanOrEqual(NOW)
    expect(NOW - (span?.last ?? 0)).toBeLessThan(DAY_MS)
  })

  it('records voicemails, callbacks, text-backs, replies, opt-outs and appointments', async () => {
    const id = first.clinicId
    expect(
      await count(
        "SELECT count(*) AS n FROM calls WHERE clinic_id = ? AND status = 'voicemail' AND voicemail_seconds > 0",
        id,
      ),
    ).toBeGreaterThan(100)
    expect(
      await count(
        "SELECT count(*) AS n FROM calls WHERE clinic_id = ? AND caller_kind = 'withheld' AND caller_hash IS NULL",
        id,
      ),
    ).toBeGreaterThan(50)
    expect(
      await count(
        "SELECT count(*) AS n FROM calls WHERE clinic_id = ? AND direction = 'outbound'",
        id,
      ),
    ).toBeGreaterThan(300)
    // Every called-back missed call points at an outbound call to the same caller, after it rang.
    expect(
      await count(
        `SELECT count(*) AS n FROM calls m JOIN calls cb ON cb.id = m.callback_call_id
         WHERE m.clinic_id = ? AND (cb.direction != 'outbound' OR cb.caller_hash != m.caller_hash
           OR cb.started_at <= m.started_at OR m.called_back_at != cb.started_at)`,
        id,
      ),
    ).toBe(0)
    expect(
      await count(
        "SELECT count(*) AS n FROM outbound_messages WHERE clinic_id = ? AND kind = 'text-back' AND status = 'sent'",
        id,
      ),
    ).toBeGreaterThan(300)
    expect(
      await count(
        'SELECT count(*) AS n FROM inbound_messages WHERE clinic_id = ? AND in_reply_to_call_id IS NOT NULL',
        id,
      ),
    ).toBeGreaterThan(20)
    expect(
      await count('SELECT count(*) AS n FROM opt_outs WHERE clinic_id = ? AND opted_out = 1', id),
    ).toBeGreaterThan(0)
    expect(
      await count(
        'SELECT count(*) AS n FROM appointments WHERE clinic_id = ? AND treatment_id IS NOT NULL',
        id,
      ),
    ).toBeGreaterThan(300)
  })

  it('texts back only mobile missed callers, at most once per caller in 24 hours, never after STOP', async () => {
    const id = first.clinicId
    expect(
      await count(
        "SELECT count(*) AS n FROM calls WHERE clinic_id = ? AND text_back_status = 'sent' AND (caller_kind != 'mobile' OR status = 'answered')",
        id,
      ),
    ).toBe(0)
    expect(
      await count(
        `SELECT count(*) AS n FROM calls a JOIN calls b ON a.caller_hash = b.caller_hash AND a.id < b.id
         WHERE a.clinic_id = ? AND b.clinic_id = a.clinic_id AND a.text_back_status = 'sent'
           AND b.text_back_status = 'sent' AND abs(a.started_at - b.started_at) < ?`,
        id,
        DAY_MS,
      ),
    ).toBe(0)
    expect(
      await count(
        `SELECT count(*) AS n FROM calls c JOIN opt_outs o ON o.contact_hash = c.caller_hash AND o.clinic_id = c.clinic_id
         WHERE c.clinic_id = ? AND c.text_back_status = 'sent' AND c.texted_back_at > o.updated_at`,
        id,
      ),
    ).toBe(0)
  })

  it('stores no raw caller number anywhere, only hashes and sealed bodies', async () => {
    const id = first.clinicId
    const tables = [
      'calls',
      'outbound_messages',
      'inbound_messages',
      'appointments',
      'opt_outs',
      'leads',
      'enquiries',
    ]
    for (const table of tables) {
      const rows = await env.DB.prepare(`SELECT * FROM ${table} WHERE clinic_id = ?`).bind(id).all()
      // Any E.164 or national form of the drama-range numbers the seed dialled with.
      const raw = /447700900\d|07700900\d|441134960\d|01134960\d\d|442079460\d|02079460\d\d/
      const leaks = JSON.stringify(rows.results).match(raw)
      expect(leaks?.[0] ?? null, table).toBeNull()
    }
    const bodies = await env.DB.prepare(
      'SELECT body_sealed FROM outbound_messages WHERE clinic_id = ? UNION ALL SELECT body_sealed FROM inbound_messages WHERE clinic_id = ?',
    )
      .bind(id, id)
      .all<{ body_sealed: string }>()
    expect(bodies.results.every((r) => r.body_sealed.startsWith('rb1.'))).toBe(true)
    // Hashes are the app's own contact hash of the fake numbers.
    const known = await contactHash(getConfig(env), id, '+447700900123')
    const hashes = await env.DB.prepare(
      'SELECT DISTINCT caller_hash AS h FROM calls WHERE clinic_id = ?',
    )
      .bind(id)
      .all<{ h: string | null }>()
    expect(hashes.results.every((r) => r.h === null || /^[0-9a-f]{64}$/.test(r.h))).toBe(true)
    expect(hashes.results.map((r) => r.h)).toContain(known)
  })

  it('settles 10–30% of missed calls as recovered, with revenue from treatment values', async () => {
    const id = first.clinicId
    const missed = await count(
      "SELECT count(*) AS n FROM calls WHERE clinic_id = ? AND direction = 'inbound' AND status IN ('missed', 'voicemail')",
      id,
    )
    const recovered = await count(
      "SELECT count(*) AS n FROM appointments WHERE clinic_id = ? AND attribution_status = 'recovered'",
      id,
    )
    expect(recovered / missed).toBeGreaterThanOrEqual(0.1)
    expect(recovered / missed).toBeLessThanOrEqual(0.3)
    const revenue = await env.DB.prepare(
      'SELECT sum(recovered_revenue_pence) AS pence, count(*) AS days FROM daily_metrics WHERE clinic_id = ?',
    )
      .bind(id)
      .first<{ pence: number; days: number }>()
    expect(revenue?.days).toBeGreaterThanOrEqual(120)
    expect(revenue?.pence).toBeGreaterThan(0)
    console.log(
      `demo: ${recovered}/${missed} missed calls recovered, £${((revenue?.pence ?? 0) / 100).toFixed(2)}`,
    )
  })

  it('fills the Leads page: two forms and three leads from an ad click, a social ad and a search', async () => {
    const id = first.clinicId
    const leads = await env.DB.prepare('SELECT attribution FROM leads WHERE clinic_id = ?')
      .bind(id)
      .all<{ attribution: string | null }>()
    expect(leads.results).toHaveLength(3)
    const clicks = leads.results.map((l) => JSON.parse(l.attribution ?? '{}'))
    expect(clicks.some((a) => a.gclid)).toBe(true)
    expect(clicks.some((a) => a.fbclid)).toBe(true)
    const forms = await env.DB.prepare('SELECT kind FROM forms WHERE clinic_id = ?').bind(id).all()
    expect(forms.results.map((f) => f.kind).sort()).toEqual(['enquiry', 'scorecard'])
    // No contact detail in clear: the names and emails the seed used are sealed.
    const raw = JSON.stringify(
      (await env.DB.prepare('SELECT * FROM leads WHERE clinic_id = ?').bind(id).all()).results,
    )
    expect(raw).not.toMatch(/Amira|amira\.khan|Grace Ellis/)
  })

  it('does nothing on a second run and reports the same clinic', async () => {
    const before = await count('SELECT count(*) AS n FROM calls')
    const again = await seedDemoClinic(env, NOW + 60_000)
    expect(again).toMatchObject({ seeded: false, clinicId: first.clinicId })
    expect(await count('SELECT count(*) AS n FROM calls')).toBe(before)
    expect(await count('SELECT count(*) AS n FROM clinics WHERE name = ?', DEMO_CLINIC.name)).toBe(
      1,
    )
  })

  it('plans the same figures every time (deterministic)', () => {
    const a = planDemoHistory(NOW)
    const b = planDemoHistory(NOW)
    expect(a.calls.map((c) => [c.sid, c.status, c.startedAt])).toEqual(
      b.calls.map((c) => [c.sid, c.status, c.startedAt]),
    )
    expect(a.appointments.length).toBe(b.appointments.length)
  })

  it('leads 10–30% of missed calls to a booking by the same caller within 14 days', () => {
    const plan = planDemoHistory(NOW)
    const missed = plan.calls.filter((c) => c.direction === 'inbound' && c.status !== 'answered')
    const booked = missed.filter((m) =>
      plan.appointments.some(
        (a) =>
          a.e164 === m.e164 &&
          a.createdAt > m.startedAt &&
          a.createdAt <= m.startedAt + 14 * DAY_MS,
      ),
    )
    expect(booked.length / missed.length).toBeGreaterThanOrEqual(0.1)
    expect(booked.length / missed.length).toBeLessThanOrEqual(0.35)
  })

  it('finishes well within a request', () => {
    // Measured in workerd with local D1; a request has 30 s of wall time for a D1 batch.
    console.log(`demo seed took ${first.elapsedMs} ms`)
    expect(first.elapsedMs).toBeLessThan(15_000)
  })
})

describe('/__dev routes', () => {
  it('are not part of the production Worker at all, even in development from localhost', async () => {
    const devEnv = { ...env, ENVIRONMENT: 'development' }
    const ctx = createExecutionContext()
    const res = await worker.fetch(
      new Request('http://localhost:8787/__dev/bare'),
      devEnv as typeof env,
      ctx,
    )
    expect(res.status).toBe(404)
    const dev = await devWorker.fetch(
      new Request('http://localhost:8787/__dev/bare'),
      devEnv as typeof env,
      createExecutionContext(),
    )
    expect(dev.status).toBe(200)
    expect(await dev.text()).toBe('ok')
  })

  it('answer 404 outside development', async () => {
    // The dev entry's routes still refuse a Worker that is not in development.
    const seed = await devWorker.fetch(
      new Request('https://ringback.test/__dev/seed', { method: 'POST' }),
      env,
      createExecutionContext(),
    )
    expect(seed.status).toBe(404)
    expect(seed.headers.get('content-type')).toBe('application/problem+json')
    const bare = await devWorker.fetch(
      new Request('http://localhost:8787/__dev/bare'),
      env,
      createExecutionContext(),
    )
    expect(bare.status).toBe(404)
  })

  it('are allowed only for a development Worker addressed as localhost', () => {
    expect(devRoutesAllowed('development', 'http://localhost:8787/__dev/seed')).toBe(true)
    expect(devRoutesAllowed('development', 'http://127.0.0.1:8797/__dev/seed')).toBe(true)
    expect(devRoutesAllowed('development', 'https://clinic.example.com/__dev/seed')).toBe(false)
    expect(devRoutesAllowed('test', 'http://localhost:8787/__dev/seed')).toBe(false)
    expect(devRoutesAllowed('production', 'http://localhost:8787/__dev/seed')).toBe(false)
  })
})
