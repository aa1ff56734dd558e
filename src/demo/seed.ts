/**
 * Seeds the demo clinic (CONTRACT.md "Demo clinic") with 120 days of history planned by
 * src/demo/history.ts. Idempotent: the owner's email lookup finds an earlier seed, and the
 * clinic, its owner and number are inserted in one D1 batch, so a concurrent second seed fails
 * on the unique email lookup and rolls back instead of creating a twin.
 *
 * Fake caller numbers live only in memory here: rows get `contactHash` values and sealed bodies.
 */

import { eq } from 'drizzle-orm'
import type { ClinicFacts } from '../assistant/facts'
import { resettleClinic } from '../attribution/notify'
import { hashPassword } from '../auth/passwords'
import { defaultAutomationRows } from '../automations/automations.service'
import { createDb, type Db } from '../db/client'
import { clinicKeys, clinics, trackingNumbers, users } from '../db/schema'
import { type Bindings, type Config, getConfig } from '../env'
import { idempotencyKey, newId } from '../lib/ids'
import { rollUpMetrics } from '../metrics/rollup'
import { maskPhone } from '../phone/phone'
import { clinicKeyring, contactHash, userEmailLookup } from '../privacy/crypto'
import { seedDemoConversations } from './conversations'
import { DEMO_CLINIC, DEMO_TREATMENTS, planDemoHistory } from './history'
import { seedDemoLeads } from './leads'
import { seedOperatorTenant } from './operator'

/** The demo clinic's facts, for the AI receptionist (hours in Europe/London local time). */
export const DEMO_FACTS = {
  address: '14 Park Row, Leeds LS1 5HD',
  openingHours: {
    mon: [['08:30', '17:30']],
    tue: [['08:30', '17:30']],
    wed: [['08:30', '19:00']],
    thu: [['08:30', '17:30']],
    fri: [['08:30', '16:00']],
    sat: [['09:00', '13:00']],
  },
  bookingUrl: 'https://book.demo.clinic/demo-dental',
} satisfies Pick<ClinicFacts, 'address' | 'openingHours' | 'bookingUrl'>

export type SeedCounts = {
  calls: number
  inboundCalls: number
  missedCalls: number
  voicemails: number
  callbacks: number
  textBacks: number
  inboundMessages: number
  optOuts: number
  appointments: number
  conversations: number
  /** Website leads (src/demo/leads.ts). */
  leads: number
}

export type SeedResult =
  | { seeded: true; clinicId: string; counts: SeedCounts; elapsedMs: number }
  | { seeded: false; clinicId: string; elapsedMs: number }

type Cell = string | number | boolean | null

/**
 * Bulk INSERTs that stay far inside D1's 100-bound-parameter limit: each statement binds ONE
 * parameter, a JSON array of rows, and unpacks it with json_each. A 20-column table would
 * otherwise fit only 5 rows per statement (≈900 statements for the demo); this needs ~30, which
 * also keeps the seed under the Free plan's 50 queries per invocation.
 */
export function bulkInsert(
  d1: D1Database,
  table: string,
  columns: readonly string[],
  rows: readonly Cell[][],
  rowsPerStatement = 250,
): D1PreparedStatement[] {
  const select = columns.map((_, i) => `json_extract(value, '$[${i}]')`).join(', ')
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${select} FROM json_each(?1)`
  const statements: D1PreparedStatement[] = []
  for (let i = 0; i < rows.length; i += rowsPerStatement) {
    statements.push(d1.prepare(sql).bind(JSON.stringify(rows.slice(i, i + rowsPerStatement))))
  }
  return statements
}

/** The clinic of the member with this email, by its lookup hash (the email is never in clear). */
export async function clinicOfEmail(db: Db, config: Config, email: string): Promise<string | null> {
  const lookup = await userEmailLookup(config, email)
  const [owner] = await db
    .select({ clinicId: users.clinicId })
    .from(users)
    .where(eq(users.emailLookup, lookup))
    .limit(1)
  return owner?.clinicId ?? null
}

/** Finds the demo clinic by its owner. */
export function findDemoClinicId(env: Bindings): Promise<string | null> {
  return clinicOfEmail(createDb(env.DB), getConfig(env), DEMO_CLINIC.ownerEmail)
}

/** Creates the demo clinic and its history unless it exists. `now` ends the history. */
export async function seedDemoClinic(env: Bindings, now: number = Date.now()): Promise<SeedResult> {
  const started = Date.now()
  const existing = await findDemoClinicId(env)
  if (existing) return { seeded: false, clinicId: existing, elapsedMs: Date.now() - started }

  const config = getConfig(env)
  const db = createDb(env.DB)
  const clinicId = newId('cln')
  const trackingNumberId = newId('num')
  const ownerId = newId('usr', now - DEMO_CLINIC.historyDays * 24 * 60 * 60 * 1000)
  const treatmentIds = new Map<string, string>(DEMO_TREATMENTS.map((t) => [t.key, newId('trt')]))
  const from = now - DEMO_CLINIC.historyDays * 24 * 60 * 60 * 1000

  // The clinic's data key first (clinic_keys has no foreign key), so that everything else,
  // sealed and hashed in memory, lands in ONE batch: all of the seed or none of it.
  const keyring = await clinicKeyring(db, config, clinicId)
  const setup: D1PreparedStatement[] = [
    ...bulkInsert(
      env.DB,
      'clinics',
      [
        'id',
        'name',
        'timezone',
        'country',
        'ring_timeout_seconds',
        'address',
        'opening_hours',
        'booking_url',
        'reminders_enabled',
        'created_at',
      ],
      [
        [
          clinicId,
          DEMO_CLINIC.name,
          DEMO_CLINIC.timezone,
          'GB',
          DEMO_CLINIC.ringTimeoutSeconds,
          DEMO_FACTS.address,
          JSON.stringify(DEMO_FACTS.openingHours),
          DEMO_FACTS.bookingUrl,
          1,
          from,
        ],
      ],
    ),
    // The defaults a new clinic gets, as sign-up gives them.
    ...bulkInsert(
      env.DB,
      'automations',
      [
        'id',
        'clinic_id',
        'name',
        'enabled',
        'trigger',
        'delay_minutes',
        'conditions',
        'actions',
        'created_at',
      ],
      defaultAutomationRows(clinicId, from).map((a) => [
        a.id,
        a.clinicId,
        a.name,
        a.enabled ? 1 : 0,
        a.trigger,
        a.delayMinutes,
        a.conditions,
        a.actions,
        a.createdAt,
      ]),
    ),
    ...bulkInsert(
      env.DB,
      'users',
      [
        'id',
        'clinic_id',
        'email_lookup',
        'email_sealed',
        'password_hash',
        'role',
        'status',
        'created_at',
      ],
      [
        [
          ownerId,
          clinicId,
          await userEmailLookup(config, DEMO_CLINIC.ownerEmail),
          await keyring.seal(DEMO_CLINIC.ownerEmail),
          await hashPassword(DEMO_CLINIC.ownerPassword),
          'owner',
          'active',
          from,
        ],
      ],
    ),
    ...bulkInsert(
      env.DB,
      'tracking_numbers',
      ['id', 'clinic_id', 'phone_number', 'forward_to', 'label', 'created_at'],
      [
        [
          trackingNumberId,
          clinicId,
          DEMO_CLINIC.trackingNumber,
          DEMO_CLINIC.forwardTo,
          'Main line',
          from,
        ],
      ],
    ),
    ...bulkInsert(
      env.DB,
      'treatments',
      ['id', 'clinic_id', 'name', 'value_pence', 'created_at'],
      DEMO_TREATMENTS.map((t) => [
        treatmentIds.get(t.key) as string,
        clinicId,
        t.name,
        t.valuePence,
        from,
      ]),
    ),
  ]

  const history = planDemoHistory(now)
  const hashes = new Map<string, string>()
  const hashOf = async (e164: string) => {
    let h = hashes.get(e164)
    if (!h) {
      h = await contactHash(config, clinicId, e164)
      hashes.set(e164, h)
    }
    return h
  }

  const callIds = history.calls.map((c) => newId('call', c.startedAt))
  const callRows: Cell[][] = []
  for (const [i, c] of history.calls.entries()) {
    callRows.push([
      callIds[i] as string,
      clinicId,
      c.sid,
      trackingNumberId,
      c.direction,
      c.e164 ? await hashOf(c.e164) : null,
      c.callerKind,
      c.startedAt,
      c.status,
      c.dialOutcome,
      c.finalCallStatus,
      c.voicemailSeconds,
      c.durationSeconds,
      c.endedAt,
      c.calledBackAt,
      c.callbackIndex === null ? null : (callIds[c.callbackIndex] as string),
      c.textBackStatus,
      c.textBackReason,
      c.textedBackAt,
      c.endedAt,
    ])
  }

  const textBackRows: Cell[][] = []
  for (const t of history.textBacks) {
    textBackRows.push([
      newId('msg', t.sentAt),
      clinicId,
      idempotencyKey('text-back', callIds[t.callIndex]!),
      'text-back',
      'sms',
      callIds[t.callIndex] as string,
      await hashOf(t.e164),
      maskPhone(t.e164),
      await keyring.seal(t.body),
      'sent',
      `SM${(history.calls[t.callIndex]?.sid ?? '').slice(2)}`,
      1,
      t.sentAt - 4_000,
      t.sentAt,
      t.sentAt,
    ])
  }

  const inboundRows: Cell[][] = []
  for (const m of history.inbound) {
    inboundRows.push([
      newId('inm', m.receivedAt),
      clinicId,
      m.sid,
      'sms',
      await hashOf(m.e164),
      await keyring.seal(m.body),
      m.receivedAt,
      m.inReplyToCallIndex === null ? null : (callIds[m.inReplyToCallIndex] as string),
    ])
  }

  const optOutRows: Cell[][] = []
  for (const o of history.optOuts) {
    optOutRows.push([clinicId, await hashOf(o.e164), 1, 'STOP', o.at])
  }

  const appointmentRows: Cell[][] = []
  for (const a of history.appointments) {
    appointmentRows.push([
      newId('apt', a.createdAt),
      clinicId,
      await hashOf(a.e164),
      a.externalId,
      a.createdAt,
      a.scheduledFor,
      treatmentIds.get(a.treatment) as string,
      a.valuePence,
      a.createdAt + 2_000,
    ])
  }

  try {
    await env.DB.batch([
      ...setup,
      ...bulkInsert(
        env.DB,
        'calls',
        [
          'id',
          'clinic_id',
          'call_sid',
          'tracking_number_id',
          'direction',
          'caller_hash',
          'caller_kind',
          'started_at',
          'status',
          'dial_outcome',
          'final_call_status',
          'voicemail_seconds',
          'duration_seconds',
          'ended_at',
          'called_back_at',
          'callback_call_id',
          'text_back_status',
          'text_back_reason',
          'texted_back_at',
          'updated_at',
        ],
        callRows,
      ),
      ...bulkInsert(
        env.DB,
        'outbound_messages',
        [
          'id',
          'clinic_id',
          'dedupe_key',
          'kind',
          'channel',
          'call_id',
          'recipient_hash',
          'to_masked',
          'body_sealed',
          'status',
          'provider_sid',
          'attempts',
          'created_at',
          'sent_at',
          'updated_at',
        ],
        textBackRows,
      ),
      ...bulkInsert(
        env.DB,
        'inbound_messages',
        [
          'id',
          'clinic_id',
          'message_sid',
          'channel',
          'sender_hash',
          'body_sealed',
          'received_at',
          'in_reply_to_call_id',
        ],
        inboundRows,
      ),
      ...bulkInsert(
        env.DB,
        'opt_outs',
        ['clinic_id', 'contact_hash', 'opted_out', 'keyword', 'updated_at'],
        optOutRows,
      ),
      ...bulkInsert(
        env.DB,
        'appointments',
        [
          'id',
          'clinic_id',
          'caller_hash',
          'external_id',
          'created_at',
          'scheduled_for',
          'treatment_id',
          'value_pence',
          'received_at',
        ],
        appointmentRows,
      ),
    ])
  } catch (error) {
    // A concurrent seed won the unique email lookup: drop our unused key and report its clinic.
    await createDb(env.DB).delete(clinicKeys).where(eq(clinicKeys.clinicId, clinicId))
    const winner = await findDemoClinicId(env)
    if (winner) return { seeded: false, clinicId: winner, elapsedMs: Date.now() - started }
    throw error
  }

  // Attribution settles the appointments from the stored events; then the daily aggregates.
  await resettleClinic(env, clinicId)
  await rollUpMetrics(env, clinicId, history.from, now)
  // The inbox, through the real conversation engine (sandbox assistant, sandbox Twilio).
  const conversations = await seedDemoConversations(
    env,
    db,
    { id: clinicId, trackingNumberId, ownerId },
    now,
  )
  // The platform operator's own tenant, selling with the same forms (guide, scorecard, book-a-call).
  await seedOperatorTenant(env, db, getConfig(env))
  // The Leads page: website forms and three people who came through them.
  const leads = await seedDemoLeads(
    env,
    db,
    getConfig(env),
    { id: clinicId, name: DEMO_CLINIC.name, ownerId },
    now,
  )

  const inboundCalls = history.calls.filter((c) => c.direction === 'inbound')
  return {
    seeded: true,
    clinicId,
    counts: {
      calls: history.calls.length,
      inboundCalls: inboundCalls.length,
      missedCalls: inboundCalls.filter((c) => c.status !== 'answered').length,
      voicemails: inboundCalls.filter((c) => c.status === 'voicemail').length,
      callbacks: history.calls.length - inboundCalls.length,
      textBacks: history.textBacks.length,
      inboundMessages: history.inbound.length,
      optOuts: history.optOuts.length,
      appointments: history.appointments.length,
      conversations,
      leads,
    },
    elapsedMs: Date.now() - started,
  }
}

/** The benchmark's clinic: one tracking number, no history. Idempotent by its number. */
export const BENCH_CLINIC = {
  name: 'Bench Clinic',
  trackingNumber: '+441134960001',
  forwardTo: '+441134960998',
} as const

export async function seedBenchClinic(env: Bindings): Promise<{ clinicId: string }> {
  const db = createDb(env.DB)
  const [existing] = await db
    .select({ clinicId: trackingNumbers.clinicId })
    .from(trackingNumbers)
    .where(eq(trackingNumbers.phoneNumber, BENCH_CLINIC.trackingNumber))
    .limit(1)
  if (existing) return existing
  const clinicId = newId('cln')
  await db.batch([
    db.insert(clinics).values({ id: clinicId, name: BENCH_CLINIC.name }),
    db.insert(trackingNumbers).values({
      id: newId('num'),
      clinicId,
      phoneNumber: BENCH_CLINIC.trackingNumber,
      forwardTo: BENCH_CLINIC.forwardTo,
      label: 'Bench line',
    }),
  ])
  return { clinicId }
}
