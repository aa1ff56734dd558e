/**
 * CSV import of a practice-management export: per-row errors that name the row (never its
 * content), treatment names and pound values, local clinic times, and re-imports that change
 * nothing.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseAppointmentCsv, parseCsvTime } from '../src/appointments/csv'
import { createDb } from '../src/db/client'
import { appointments, treatments } from '../src/db/schema'
import { newId } from '../src/lib/ids'
import { parsePounds } from '../src/lib/money'
import { call, createTestClinic, type TestClinic } from './helpers/clinic'

const db = createDb(env.DB)

function postCsv(csv: string, headers: Record<string, string>, contentType = 'text/csv') {
  return call('/api/v1/appointments/import', {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: csv,
  })
}

describe('CSV parsing', () => {
  it('reads local clinic times across daylight saving, ISO instants and UK dates', () => {
    const tz = 'Europe/London'
    expect(parseCsvTime('2026-07-01 09:30', tz)).toBe(Date.UTC(2026, 6, 1, 8, 30))
    expect(parseCsvTime('01/12/2026 09:30', tz)).toBe(Date.UTC(2026, 11, 1, 9, 30))
    expect(parseCsvTime('2026-07-01T09:30:00Z', tz)).toBe(Date.UTC(2026, 6, 1, 9, 30))
    expect(parseCsvTime('31/02/2026', tz)).toBeNull()
    expect(parseCsvTime('yesterday', tz)).toBeNull()
  })

  it('reads pounds into pence', () => {
    expect(parsePounds('70.70')).toBe(7070)
    expect(parsePounds('£2,400')).toBe(240000)
    expect(parsePounds('-5')).toBeNull()
  })

  it('names each bad row by its spreadsheet row number without echoing it', () => {
    const csv =
      'Phone,Created,Value\n07700900101,2026-11-01 10:00,70.70\nnope,2026-11-01 10:00,\n07700900103,soon,\n07700900104,2026-11-01 10:00,lots\n'
    const result = parseAppointmentCsv(csv, {
      timeZone: 'Europe/London',
      normalise: (p) => (/^07\d{9}$/.test(p) ? `+44${p.slice(1)}` : null),
      treatment: () => null,
    })
    expect(result.bookings).toHaveLength(1)
    expect(result.bookings[0]).toMatchObject({ row: 2, valuePence: 7070, e164: '+447700900101' })
    expect(result.errors.map((e) => e.row)).toEqual([3, 4, 5])
    expect(JSON.stringify(result.errors)).not.toContain('07700')
  })
})

describe('POST /api/v1/appointments/import', () => {
  let clinic: TestClinic
  let headers: Record<string, string>

  beforeAll(async () => {
    clinic = await createTestClinic({ defaultAppointmentValuePence: 9900 })
    headers = (await clinic.as('admin')).headers
    await db
      .insert(treatments)
      .values({ id: newId('trt'), clinicId: clinic.clinicId, name: 'NHS band 2', valuePence: 7070 })
  })

  const csv = [
    'phone,created,scheduled,treatment,value',
    '07700 900201,2026-11-02 09:00,2026-11-09 10:00,NHS band 2,',
    '+447700900202,2026-11-02 10:00,,,2400.00',
    '07700900203,2026-11-02 11:00,,,',
    'bad,2026-11-02 11:00,,,',
    '07700900204,2026-11-02 11:00,,Unknown treatment,',
  ].join('\n')

  it('imports good rows, resolves values and reports the bad rows by number', async () => {
    const res = await postCsv(csv, headers)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      imported: 3,
      duplicates: 0,
      errors: [
        { row: 5, message: 'phone: not a valid phone number.' },
        { row: 6, message: 'treatment: no treatment of this clinic has that name.' },
      ],
    })
    const rows = await db
      .select()
      .from(appointments)
      .where(eq(appointments.clinicId, clinic.clinicId))
    expect(rows.map((r) => r.valuePence).sort()).toEqual([240000, 7070, 9900])
    expect(JSON.stringify(rows)).not.toContain('900201')
  })

  it('changes nothing when the same file is imported again', async () => {
    const res = await postCsv(csv, headers)
    expect((await res.json()) as { imported: number; duplicates: number }).toMatchObject({
      imported: 0,
      duplicates: 3,
    })
    const rows = await db
      .select()
      .from(appointments)
      .where(eq(appointments.clinicId, clinic.clinicId))
    expect(rows).toHaveLength(3)
  })

  it('refuses a body over 1 MB with 413, another content type with 415, and a file without the columns with 400', async () => {
    const big = `phone,created\n${'07700900205,2026-11-02 09:00\n'.repeat(40_000)}`
    expect((await postCsv(big, headers)).status).toBe(413)
    expect((await postCsv(csv, headers, 'application/json')).status).toBe(415)
    const res = await postCsv('name,when\nx,y\n', headers)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})
