/**
 * The reminder bench's load (development only, `POST /__dev/bench/reminders`): `clinics` clinics
 * with reminders on and no quiet hours, each with a tracking number and `perClinic` appointments
 * whose two-hours-before reminder falls due at the same instant, registered with each clinic's
 * Durable Object exactly as a booking registers them. scripts/bench/reminders.mjs then times how
 * long until the last of them is handed to (the fake) Twilio.
 */

import { reminderKey } from '../automations/scheduled'
import { createDb } from '../db/client'
import type { Bindings } from '../env'
import { getConfig } from '../env'
import { newId } from '../lib/ids'
import { MINUTE_MS } from '../lib/time'
import { clinicKeyring, contactHash } from '../privacy/crypto'
import { bulkInsert } from './seed'

const OFFSET = 120

export async function seedReminderLoad(
  env: Bindings,
  input: { clinics: number; perClinic: number; dueAt: number },
): Promise<{ clinics: number; reminders: number; dueAt: number }> {
  const db = createDb(env.DB)
  const config = getConfig(env)
  const run = crypto.getRandomValues(new Uint32Array(1))[0]! % 900
  const scheduledFor = input.dueAt + OFFSET * MINUTE_MS
  const clinicRows: (string | number)[][] = []
  const numberRows: (string | number)[][] = []
  const appointmentRows: (string | number)[][] = []
  const reminderRows: (string | number)[][] = []
  const wakes = new Map<string, { id: string; dueAt: number }[]>()
  for (let c = 0; c < input.clinics; c++) {
    const clinicId = newId('cln')
    clinicRows.push([clinicId, `Bench Reminders ${c}`, 1, '00:00', '00:00'])
    numberRows.push([
      newId('num'),
      clinicId,
      `+44115${String(run).padStart(3, '0')}${String(c).padStart(4, '0')}`,
      '+441150000000',
    ])
    const keyring = await clinicKeyring(db, config, clinicId)
    const items: { id: string; dueAt: number }[] = []
    for (let p = 0; p < input.perClinic; p++) {
      const phone = `+4477${String(run).padStart(3, '0')}${String(c * input.perClinic + p).padStart(6, '0')}`
      const hash = await contactHash(config, clinicId, phone)
      const appointmentId = newId('apt')
      const id = newId('sch', input.dueAt)
      appointmentRows.push([appointmentId, clinicId, hash, Date.now(), scheduledFor, Date.now()])
      reminderRows.push([
        id,
        clinicId,
        'reminder',
        reminderKey(appointmentId, OFFSET, scheduledFor),
        appointmentId,
        hash,
        await keyring.seal(phone),
        'service',
        input.dueAt,
        Date.now(),
      ])
      items.push({ id, dueAt: input.dueAt })
    }
    wakes.set(clinicId, items)
  }
  const statements = [
    ...bulkInsert(
      env.DB,
      'clinics',
      ['id', 'name', 'reminders_enabled', 'quiet_start', 'quiet_end'],
      clinicRows,
    ),
    ...bulkInsert(
      env.DB,
      'tracking_numbers',
      ['id', 'clinic_id', 'phone_number', 'forward_to'],
      numberRows,
    ),
    ...bulkInsert(
      env.DB,
      'appointments',
      ['id', 'clinic_id', 'caller_hash', 'created_at', 'scheduled_for', 'received_at'],
      appointmentRows,
    ),
    ...bulkInsert(
      env.DB,
      'scheduled_messages',
      [
        'id',
        'clinic_id',
        'kind',
        'dedupe_key',
        'ref',
        'recipient_hash',
        'to_sealed',
        'purpose',
        'due_at',
        'created_at',
      ],
      reminderRows,
    ),
  ]
  for (let i = 0; i < statements.length; i += 50) await env.DB.batch(statements.slice(i, i + 50))
  const entries = [...wakes.entries()]
  for (let i = 0; i < entries.length; i += 50) {
    await Promise.all(
      entries
        .slice(i, i + 50)
        .map(([clinicId, items]) => env.CLINIC.getByName(clinicId).scheduleWakes(items)),
    )
  }
  return { clinics: input.clinics, reminders: reminderRows.length, dueAt: input.dueAt }
}
