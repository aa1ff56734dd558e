/**
 * The clinic's facts for the assistant: opening hours (validation, daylight saving, words), the
 * loader over D1, and the clinic API that sets them.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  describeHours,
  isOpenAt,
  loadClinicFacts,
  type OpeningHours,
  OpeningHoursSchema,
} from '../src/assistant/facts'
import { createDb } from '../src/db/client'
import { treatments } from '../src/db/schema'
import { DEMO_FACTS, seedDemoClinic } from '../src/demo/seed'
import { newId } from '../src/lib/ids'
import { ProblemError } from '../src/lib/problem'
import { api, createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)
const WEEKDAYS: OpeningHours = {
  mon: [['09:00', '17:30']],
  tue: [['09:00', '17:30']],
  wed: [
    ['09:00', '13:00'],
    ['14:00', '19:00'],
  ],
  thu: [['09:00', '17:30']],
  fri: [['09:00', '17:30']],
  sat: [['09:00', '13:00']],
}

describe('opening hours', () => {
  it('isOpenAt reads the local clock, British Summer Time included', () => {
    const london = (iso: string) => isOpenAt(WEEKDAYS, 'Europe/London', Date.parse(iso))
    // Monday 6 July 2026: 08:30 UTC is 09:30 BST (open); 16:45 UTC is 17:45 BST (closed).
    expect(london('2026-07-06T08:30:00Z')).toBe(true)
    expect(london('2026-07-06T16:45:00Z')).toBe(false)
    // Monday 5 January 2026 (GMT): 08:30 UTC is 08:30 local, before opening; 17:00 is open.
    expect(london('2026-01-05T08:30:00Z')).toBe(false)
    expect(london('2026-01-05T17:00:00Z')).toBe(true)
    // The week clocks go forward (Sunday 29 March 2026): Monday 08:00 UTC is 09:00 BST.
    expect(london('2026-03-30T08:00:00Z')).toBe(true)
    expect(london('2026-03-27T08:00:00Z')).toBe(false) // Friday 08:00 GMT
    // A lunch break is closed; the closing minute is closed, the opening minute open.
    expect(london('2026-07-08T12:30:00Z')).toBe(false) // Wed 13:30 BST
    expect(london('2026-07-08T12:00:00Z')).toBe(false) // Wed 13:00 BST: the closing minute
    expect(london('2026-07-08T11:59:00Z')).toBe(true) // Wed 12:59 BST
    expect(london('2026-07-08T13:00:00Z')).toBe(true) // Wed 14:00 BST: the opening minute
    expect(london('2026-07-04T07:59:00Z')).toBe(false) // Sat 08:59 BST
    expect(london('2026-07-04T08:00:00Z')).toBe(true) // Sat 09:00 BST
    expect(london('2026-07-05T10:00:00Z')).toBe(false) // Sunday: absent, closed
  })

  it('a local day is the clinic zone’s day: 23:30 UTC Sunday is Monday in Auckland', () => {
    const hours: OpeningHours = { mon: [['00:00', '24:00']] }
    expect(isOpenAt(hours, 'Pacific/Auckland', Date.parse('2026-07-05T23:30:00Z'))).toBe(true)
    expect(isOpenAt(hours, 'Europe/London', Date.parse('2026-07-05T22:30:00Z'))).toBe(false)
  })

  it('no hours given means not open (never assumed)', () => {
    expect(isOpenAt(null, 'Europe/London', Date.parse('2026-07-06T10:00:00Z'))).toBe(false)
  })

  it('describes the week for a prompt, closed days included', () => {
    expect(describeHours(WEEKDAYS)).toBe(
      [
        'Monday: 09:00–17:30',
        'Tuesday: 09:00–17:30',
        'Wednesday: 09:00–13:00, 14:00–19:00',
        'Thursday: 09:00–17:30',
        'Friday: 09:00–17:30',
        'Saturday: 09:00–13:00',
        'Sunday: closed',
      ].join('\n'),
    )
    expect(describeHours(null)).toBeNull()
  })

  it('refuses bad hours: times, order, overlaps, unknown days', () => {
    for (const bad of [
      { mon: [['9:00', '17:00']] },
      { mon: [['17:00', '09:00']] },
      {
        mon: [
          ['09:00', '13:00'],
          ['12:00', '17:00'],
        ],
      },
      { mon: [['09:00', '25:00']] },
      { monday: [['09:00', '17:00']] },
      { mon: [['09:00']] },
    ]) {
      expect(OpeningHoursSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false)
    }
    expect(OpeningHoursSchema.safeParse(DEMO_FACTS.openingHours).success).toBe(true)
  })
})

describe('loadClinicFacts', () => {
  it("loads the clinic's name, zone, address, hours, link and its own treatments only", async () => {
    const clinic = await createTestClinic({
      address: '1 High St, York',
      openingHours: JSON.stringify(WEEKDAYS),
      bookingUrl: 'https://book.example.com/york',
    })
    const other = await createTestClinic()
    await db.insert(treatments).values([
      { id: newId('trt'), clinicId: clinic.clinicId, name: 'Teeth whitening', valuePence: 35_000 },
      { id: newId('trt'), clinicId: other.clinicId, name: 'Secret', valuePence: 1 },
    ])
    const facts = await loadClinicFacts(db, clinic.clinicId)
    expect(facts).toEqual({
      clinicName: expect.stringMatching(/^Test Clinic/),
      timezone: 'Europe/London',
      address: '1 High St, York',
      openingHours: WEEKDAYS,
      bookingUrl: 'https://book.example.com/york',
      treatments: [{ name: 'Teeth whitening', valuePence: 35_000 }],
    })
  })

  it('unreadable stored hours become null (the assistant then says it does not know)', async () => {
    const clinic = await createTestClinic({ openingHours: '{"mon": "all day"}' })
    expect((await loadClinicFacts(db, clinic.clinicId)).openingHours).toBeNull()
  })

  it('the demo clinic is seeded with real facts the assistant can speak from', async () => {
    const seeded = await seedDemoClinic(env, Date.parse('2026-11-23T15:30:00Z'))
    const facts = await loadClinicFacts(db, seeded.clinicId)
    expect(facts).toMatchObject({ clinicName: 'Demo Dental & Aesthetics', ...DEMO_FACTS })
    expect(facts.treatments.length).toBeGreaterThanOrEqual(5)
    // Wednesday 25 November 2026, 18:30 in London (GMT): the late evening is open.
    expect(isOpenAt(facts.openingHours, facts.timezone, Date.parse('2026-11-25T18:30:00Z'))).toBe(
      true,
    )
    expect(isOpenAt(facts.openingHours, facts.timezone, Date.parse('2026-11-29T11:00:00Z'))).toBe(
      false,
    )
  })

  it('a clinic that is gone is a 404', async () => {
    const error = await loadClinicFacts(db, 'cln_gone').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProblemError)
    expect((error as ProblemError).status).toBe(404)
  })
})

describe('the clinic API sets the facts', () => {
  it('PATCH takes address, openingHours and bookingUrl; GET returns them; null clears', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const patch = {
      address: '14 Park Row, Leeds LS1 5HD',
      openingHours: WEEKDAYS,
      bookingUrl: 'https://book.example.com/leeds',
    }
    const res = await api('PATCH', '/api/v1/clinic', patch, owner.headers)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject(patch)
    const read = await api('GET', '/api/v1/clinic', undefined, owner.headers)
    expect(await read.json()).toMatchObject(patch)
    expect(await loadClinicFacts(db, clinic.clinicId)).toMatchObject(patch)

    const cleared = await api(
      'PATCH',
      '/api/v1/clinic',
      { address: null, openingHours: null },
      owner.headers,
    )
    expect(await cleared.json()).toMatchObject({
      address: null,
      openingHours: null,
      bookingUrl: 'https://book.example.com/leeds',
    })
  })

  it('bad facts are a 400 naming the field, and change nothing', async () => {
    const clinic = await createTestClinic({ address: 'Kept' })
    const owner = await clinic.as('owner')
    for (const [field, value] of [
      ['bookingUrl', 'javascript:alert(1)'],
      ['bookingUrl', 'not a url'],
      ['openingHours', { mon: [['18:00', '09:00']] }],
      ['openingHours', { funday: [] }],
      ['address', ''],
      ['address', 'x'.repeat(301)],
    ] as const) {
      const res = await api('PATCH', '/api/v1/clinic', { [field]: value }, owner.headers)
      expect(res.status, `${field}=${JSON.stringify(value)}`).toBe(400)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
    }
    const read = await api('GET', '/api/v1/clinic', undefined, owner.headers)
    expect(await read.json()).toMatchObject({
      address: 'Kept',
      openingHours: null,
      bookingUrl: null,
    })
  })

  it('a receptionist cannot change them', async () => {
    const clinic = await createTestClinic()
    const receptionist = await clinic.as('receptionist')
    const res = await api('PATCH', '/api/v1/clinic', { address: 'Elsewhere' }, receptionist.headers)
    expect(res.status).toBe(403)
  })
})
