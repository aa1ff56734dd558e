/**
 * The text-back template check: the SMS segment counter (GSM-7 vs UCS-2, for every input), the
 * rules (names the clinic, says how to opt out, at most two texts), and that PATCH /api/v1/clinic
 * and the settings page both refuse a bad template with the same messages instead of cutting it.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { clinics } from '../src/db/schema'
import { smsLength, textBackTemplateProblems } from '../src/textback/template'
import { api, call, createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)

const GSM_PLAIN = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?£@&()-']
const GSM_EXT = [...'^{}\\[~]|€']
const UNICODE = [...'’“”áâç😀ŵ']

const gsmText = (max: number) =>
  fc.array(fc.constantFrom(...GSM_PLAIN), { maxLength: max }).map((a) => a.join(''))

describe('smsLength (segment counter)', () => {
  it('counts plain GSM-7 text as 160 in one text, then 153 per part', () => {
    fc.assert(
      fc.property(gsmText(700), (text) => {
        const n = text.length
        const got = smsLength(text)
        expect(got.encoding).toBe('GSM-7')
        expect(got.units).toBe(n)
        expect(got.segments).toBe(n <= 160 ? 1 : Math.ceil(n / 153))
      }),
    )
  })

  it('counts an extension character as two septets and never splits one across parts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.constantFrom(...GSM_EXT), (n, ch) => {
        const got = smsLength(ch.repeat(n))
        expect(got.encoding).toBe('GSM-7')
        expect(got.units).toBe(2 * n)
        // 153 septets hold 76 whole escape pairs.
        expect(got.segments).toBe(2 * n <= 160 ? 1 : Math.ceil(n / 76))
      }),
    )
  })

  it('switches the whole text to UCS-2 for one non-GSM character: 70, then 67 per part', () => {
    fc.assert(
      fc.property(
        gsmText(300),
        fc.constantFrom(...UNICODE.filter((ch) => ch.length === 1)),
        fc.nat(),
        (text, ch, at) => {
          const i = at % (text.length + 1)
          const mixed = text.slice(0, i) + ch + text.slice(i)
          const got = smsLength(mixed)
          expect(got.encoding).toBe('UCS-2')
          expect(got.unicodeChar).toBe(ch)
          expect(got.units).toBe(mixed.length)
          expect(got.segments).toBe(mixed.length <= 70 ? 1 : Math.ceil(mixed.length / 67))
        },
      ),
    )
  })

  it('never costs fewer texts when a character is added', () => {
    const anyChar = fc.constantFrom(...GSM_PLAIN, ...GSM_EXT, ...UNICODE)
    fc.assert(
      fc.property(fc.array(anyChar, { maxLength: 400 }), anyChar, (chars, extra) => {
        const text = chars.join('')
        expect(smsLength(text + extra).segments).toBeGreaterThanOrEqual(smsLength(text).segments)
      }),
    )
  })

  it('keeps a surrogate pair (an emoji) whole: 34 emoji are 68 units, two parts', () => {
    expect(smsLength('😀'.repeat(35))).toMatchObject({ encoding: 'UCS-2', units: 70, segments: 1 })
    expect(smsLength('😀'.repeat(36))).toMatchObject({ units: 72, segments: 2 })
    // 67 units per part hold 33 whole pairs, so 67 emoji need three parts, not two.
    expect(smsLength('😀'.repeat(67)).segments).toBe(3)
  })
})

describe('textBackTemplateProblems', () => {
  it('accepts the default wording', () => {
    expect(
      textBackTemplateProblems(
        'Sorry we missed your call at {clinic}. Reply STOP to opt out.',
        'Bright Smiles',
      ),
    ).toEqual([])
  })

  it('accepts the clinic named literally instead of {clinic}, in any case', () => {
    expect(
      textBackTemplateProblems('Missed you! BRIGHT SMILES. Text STOP to opt out.', 'Bright Smiles'),
    ).toEqual([])
  })

  it('accepts the STOP keyword in capitals or "reply stop" in any case, not a stray "stop"', () => {
    const ok = (t: string) => textBackTemplateProblems(t, 'Ab').length === 0
    expect(ok('{clinic}: reply to book, or STOP to opt out.')).toBe(true)
    expect(ok('{clinic}: text stop to opt out.')).toBe(true)
    expect(ok('{clinic}: please stop by on Monday.')).toBe(false)
    expect(ok('{clinic}: we will not STOPPED.')).toBe(false)
  })

  it('asks for the clinic name and an opt-out line when they are missing', () => {
    const problems = textBackTemplateProblems('Sorry we missed you!', 'Bright Smiles')
    expect(problems).toHaveLength(2)
    expect(problems[0]).toContain('{clinic}')
    expect(problems[1]).toContain('Reply STOP')
  })

  it('counts the message with the name filled in, and names the Unicode character', () => {
    const name = 'A'.repeat(100)
    const template = `{clinic} ${'x'.repeat(200)} Reply STOP to opt out.`
    expect(textBackTemplateProblems(template, 'Ab')).toEqual([])
    const [tooLong] = textBackTemplateProblems(template, name)
    expect(tooLong).toContain('3 texts')
    const [unicode] = textBackTemplateProblems(
      `{clinic}: we’ll call you back ${'x'.repeat(100)}. Reply STOP to opt out.`,
      'Ab',
    )
    expect(unicode).toContain('“’”')
  })
})

describe('the template check behind the API and the settings page', () => {
  it('PATCH /api/v1/clinic refuses a template with no opt-out line: 400 with errors, nothing saved', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api(
      'PATCH',
      '/api/v1/clinic',
      { textBack: { template: 'Sorry we missed you at {clinic}.' } },
      owner.headers,
    )
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    const body = (await res.json()) as { errors: { path: string; message: string }[] }
    expect(body.errors).toEqual([
      { path: 'textBack.template', message: expect.stringContaining('opt out') },
    ])
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row?.textBackTemplate).toBeNull()
  })

  it('PATCH checks the name the clinic will have after the patch', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const template = 'Sorry we missed you at Zed Dental. Reply STOP to opt out.'
    const refused = await api('PATCH', '/api/v1/clinic', { textBack: { template } }, owner.headers)
    expect(refused.status).toBe(400)
    const ok = await api(
      'PATCH',
      '/api/v1/clinic',
      { name: 'Zed Dental', textBack: { template } },
      owner.headers,
    )
    expect(ok.status).toBe(200)
  })

  it('the settings page shows every problem next to the field, keeps the text whole and saves nothing', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const long = `Hello ${'ŵ'.repeat(150)}`
    const res = await call('/settings', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...owner.headers },
      body: new URLSearchParams({
        name: 'Bright Smiles',
        textBackEnabled: 'on',
        textBackTemplate: long,
        attributionWindowDays: '14',
        holdOutPercent: '0',
        defaultAppointmentValue: '150',
        retentionCallDays: '90',
        retentionRecordingDays: '365',
        retentionEnquiryDays: '730',
      }).toString(),
      redirect: 'manual',
    })
    expect(res.status).toBe(400)
    const html = await res.text()
    const error = /<p class="error-text" id="text-back-template-error">([^<]*)<\/p>/.exec(html)?.[1]
    expect(error).toContain('3 texts')
    expect(error).toContain('{clinic}')
    expect(error).toContain('opt out')
    expect(html).toMatch(/<textarea[^>]*aria-invalid="true"/)
    expect(html).not.toMatch(/<textarea[^>]*maxlength/)
    expect(html).toContain(long)
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinic.clinicId))
    expect(row?.textBackTemplate).toBeNull()
  })

  it('the settings page says what the current message costs', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const html = await (await call('/settings', { headers: owner.headers })).text()
    expect(html).toMatch(/Currently 1 text \(\d+ plain characters\)/)
  })
})
