/**
 * What a submission asks for next (docs/LEADS.md): the guide by email with a link that works for
 * a week (to the file in R2, or the form's guide URL), the scorecard's estimate by email, and a
 * book-a-call notice to the clinic's staff that links to the lead and carries no personal detail.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/client'
import { seedOperatorTenant } from '../src/demo/operator'
import { getConfig } from '../src/env'
import type { EmailJob } from '../src/jobs/messages'
import { followUpSubmission, guideKey } from '../src/leads/follow-up'
import { findPublicForm } from '../src/leads/forms.service'
import { clinicKeyring, signLinkToken } from '../src/privacy/crypto'
import { api, call, createTestClinic, type TestClinic } from './helpers/clinic'
import { captureQueue } from './helpers/queue'

const db = createDb(env.DB)
const config = getConfig(env)

async function formOf(clinic: TestClinic, kind: string, extra: object = {}) {
  const owner = await clinic.as('owner')
  const made = (await (
    await api(
      'POST',
      '/api/v1/forms',
      { kind, name: kind, allowedOrigins: [], ...extra },
      owner.headers,
    )
  ).json()) as { id: string }
  return { owner, form: (await findPublicForm(db, made.id))! }
}

async function opened(clinicId: string, job: EmailJob) {
  const keyring = await clinicKeyring(db, config, clinicId)
  return JSON.parse(await keyring.open(job.sealed)) as { to: string; text: string }
}

const submission = (over: object = {}) => ({
  name: 'Alex Lee',
  email: 'alex.lee@example.com',
  consent: { marketing: false, ads: false },
  ...over,
})

describe('after a submission', () => {
  it('a guide form emails a week-long link: to the uploaded PDF, else the guide URL; an expired link is gone', async () => {
    const clinic = await createTestClinic()
    const { owner, form } = await formOf(clinic, 'guide', {
      guideUrl: 'https://guides.example/whitening.pdf',
    })
    const queue = captureQueue()
    const now = Date.now()
    await followUpSubmission(queue.env, db, config, {
      form,
      submission: submission(),
      stored: { id: 'enq_test_1', leadId: 'led_test_1' },
      now,
    })
    const [job] = queue.sent as EmailJob[]
    expect(job?.type).toBe('email')
    const email = await opened(clinic.clinicId, job!)
    expect(email.to).toBe('alex.lee@example.com')
    const link = /\/g\/[^\s]+/.exec(email.text)?.[0]
    expect(link).toBeTruthy()
    const redirect = await call(link!, { redirect: 'manual' })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('location')).toBe('https://guides.example/whitening.pdf')

    const pdf = new TextEncoder().encode('%PDF-1.7 the whitening guide')
    const upload = await call(`/api/v1/forms/${form.id}/guide`, {
      method: 'PUT',
      headers: { ...owner.headers, 'content-type': 'application/pdf' },
      body: pdf,
    })
    expect(upload.status).toBe(204)
    const file = await call(link!)
    expect(file.headers.get('content-type')).toBe('application/pdf')
    expect(await file.text()).toBe('%PDF-1.7 the whitening guide')

    const notPdf = await call(`/api/v1/forms/${form.id}/guide`, {
      method: 'PUT',
      headers: { ...owner.headers, 'content-type': 'application/pdf' },
      body: 'hello',
    })
    expect(notPdf.status).toBe(415)
    const expired = await signLinkToken(config, 'guide', `${clinic.clinicId}:${form.id}`, now - 1)
    expect((await call(`/g/${expired}`)).status).toBe(410)
    expect((await call(`/g/${link!.slice(3, -3)}xyz`)).status).toBe(410)
  })

  it('a scorecard emails its estimate', async () => {
    const clinic = await createTestClinic()
    const { form } = await formOf(clinic, 'scorecard')
    const queue = captureQueue()
    const result = {
      missedCallsPerMonth: 260,
      lostRevenuePencePerMonth: 4_387_500,
      recoverableRevenuePencePerMonth: 1_755_000,
    }
    await followUpSubmission(queue.env, db, config, {
      form,
      submission: submission(),
      stored: { id: 'enq_test_2', leadId: 'led_test_2', result },
      now: Date.now(),
    })
    const email = await opened(clinic.clinicId, (queue.sent as EmailJob[])[0]!)
    expect(email.text).toContain('Missed calls a month: 260.')
    expect(email.text).toContain('£43,875.00')
    expect(email.text).toContain('£17,550.00')
  })

  it('a book-a-call request tells the staff with a link to the lead, never the person’s details', async () => {
    const clinic = await createTestClinic()
    await clinic.as('owner')
    const { form } = await formOf(clinic, 'book-call')
    const queue = captureQueue()
    await followUpSubmission(queue.env, db, config, {
      form,
      submission: submission({ phone: '07700 900555', preferredTime: 'Tuesday after 3pm' }),
      stored: { id: 'enq_test_3', leadId: 'led_test_3' },
      now: Date.now(),
    })
    const jobs = queue.sent as EmailJob[]
    expect(jobs.length).toBeGreaterThan(0)
    for (const job of jobs) {
      const email = await opened(clinic.clinicId, job)
      expect(email.text).toContain('/leads/led_test_3')
      expect(email.text).not.toMatch(/Alex|900555|Tuesday/)
    }
  })
})

describe('the operator’s own tenant', () => {
  it('is created once with a guide (its PDF in R2), a scorecard and a book-a-call form', async () => {
    const first = await seedOperatorTenant(env, db, config)
    const again = await seedOperatorTenant(env, db, config)
    expect(again).toEqual(first)
    expect(Object.values(first.forms).every((id) => id.startsWith('frm_'))).toBe(true)
    const guide = await env.BLOBS.get(guideKey(first.clinicId, first.forms.guide))
    expect((await guide!.text()).startsWith('%PDF-')).toBe(true)
    // A visitor asks for the guide on the operator's site: the emailed link serves the PDF.
    const form = (await findPublicForm(db, first.forms.guide))!
    const queue = captureQueue()
    await followUpSubmission(queue.env, db, config, {
      form,
      submission: submission(),
      stored: { id: 'enq_operator', leadId: 'led_operator' },
      now: Date.now(),
    })
    const email = await opened(first.clinicId, (queue.sent as EmailJob[])[0]!)
    const link = /\/g\/[^\s]+/.exec(email.text)![0]
    const file = await call(link)
    expect(file.headers.get('content-type')).toBe('application/pdf')
  })
})
