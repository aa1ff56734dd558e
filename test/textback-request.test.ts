import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { optOuts, subjectRestrictions } from '../src/db/schema'
import { getConfig } from '../src/env'
import { contactHash } from '../src/privacy/crypto'
import {
  DEFAULT_TEXT_BACK_TEMPLATE,
  decideTextBack,
  isHeldOut,
  renderTextBack,
} from '../src/textback/request'
import {
  callRow,
  createClinic,
  db,
  newCallSid,
  newMobile,
  spyOnJobs,
  textBacksFor,
  voice,
} from './helpers/voice'

let jobs: ReturnType<typeof spyOnJobs>
beforeEach(() => {
  jobs = spyOnJobs()
})
afterEach(() => jobs.restore())

async function missedCall(clinic: { trackingNumber: string }, from: string) {
  const p = { CallSid: newCallSid(), From: from, To: clinic.trackingNumber }
  await voice.incoming(p)
  await voice.dialResult(p, 'no-answer')
  return p
}

describe('decideTextBack', () => {
  const eligible = {
    textBackEnabled: true,
    callerKind: 'mobile' as const,
    optedOut: false,
    restricted: false,
    heldOut: false,
  }
  it('enqueues for an eligible mobile caller', () => {
    expect(decideTextBack(eligible)).toEqual({ action: 'enqueue' })
  })
  it('names why each ineligible caller is suppressed', () => {
    expect(decideTextBack({ ...eligible, textBackEnabled: false })).toMatchObject({
      reason: 'disabled',
    })
    expect(decideTextBack({ ...eligible, callerKind: 'withheld' })).toMatchObject({
      reason: 'withheld',
    })
    expect(decideTextBack({ ...eligible, callerKind: 'other' })).toMatchObject({
      reason: 'landline',
    })
    expect(decideTextBack({ ...eligible, optedOut: true })).toMatchObject({ reason: 'opted-out' })
    expect(decideTextBack({ ...eligible, restricted: true })).toMatchObject({
      reason: 'restricted',
    })
    expect(decideTextBack({ ...eligible, heldOut: true })).toEqual({
      action: 'suppress',
      status: 'held-out',
      reason: 'hold-out',
    })
  })
  it('an opted-out caller in the hold-out is reported as opted out, not held out', () => {
    expect(decideTextBack({ ...eligible, optedOut: true, heldOut: true })).toMatchObject({
      status: 'suppressed',
      reason: 'opted-out',
    })
  })
})

describe('renderTextBack', () => {
  it('fills {clinic} into the template, or uses the default', () => {
    expect(renderTextBack('{clinic}: sorry! {clinic}', 'Pearl')).toBe('Pearl: sorry! Pearl')
    expect(renderTextBack(null, 'Pearl')).toBe(
      DEFAULT_TEXT_BACK_TEMPLATE.replace('{clinic}', 'Pearl'),
    )
    expect(renderTextBack('   ', 'Pearl')).toContain('Sorry we missed your call at Pearl.')
  })
})

describe('isHeldOut', () => {
  it('is deterministic per call and follows the percentage', async () => {
    const sids = Array.from({ length: 400 }, (_, i) => `CA${String(i).padStart(32, '0')}`)
    const first = await Promise.all(sids.map((s) => isHeldOut(s, 30)))
    const again = await Promise.all(sids.map((s) => isHeldOut(s, 30)))
    expect(again).toEqual(first)
    const share = first.filter(Boolean).length / sids.length
    expect(share).toBeGreaterThan(0.2)
    expect(share).toBeLessThan(0.4)
    expect(await isHeldOut(sids[0]!, 0)).toBe(false)
    expect(await isHeldOut(sids[0]!, 100)).toBe(true)
  })
})

describe('text-back on missed calls', () => {
  it('at most one per caller per clinic in 24 hours, however often they ring', async () => {
    const clinic = await createClinic()
    const from = newMobile()
    const first = await missedCall(clinic, from)
    const second = await missedCall(clinic, from)
    const third = await missedCall(clinic, from)
    expect(await callRow(clinic.clinicId, first.CallSid)).toMatchObject({
      textBackStatus: 'queued',
    })
    for (const p of [second, third]) {
      expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
        status: 'missed',
        textBackStatus: 'suppressed',
        textBackReason: 'rate-limited',
      })
    }
    expect(jobs.sent).toHaveLength(1)
    expect(await textBacksFor(clinic.clinicId)).toHaveLength(1)
  })

  it('two missed calls from one caller racing each other still get only one text-back', async () => {
    const clinic = await createClinic()
    const from = newMobile()
    const a = { CallSid: newCallSid(), From: from, To: clinic.trackingNumber }
    const b = { CallSid: newCallSid(), From: from, To: clinic.trackingNumber }
    await Promise.all([voice.incoming(a), voice.incoming(b)])
    await Promise.all([
      voice.dialResult(a, 'no-answer'),
      voice.dialResult(b, 'busy'),
      voice.status(a, 'completed'),
      voice.status(b, 'completed'),
    ])
    const statuses = [
      (await callRow(clinic.clinicId, a.CallSid))?.textBackStatus,
      (await callRow(clinic.clinicId, b.CallSid))?.textBackStatus,
    ].sort()
    expect(statuses).toEqual(['queued', 'suppressed'])
    expect(jobs.sent).toHaveLength(1)
    expect(await textBacksFor(clinic.clinicId)).toHaveLength(1)
  })

  it('the 24-hour limit is per clinic: another clinic still texts the same caller', async () => {
    const from = newMobile()
    const a = await createClinic()
    const b = await createClinic()
    await missedCall(a, from)
    const p = await missedCall(b, from)
    expect(await callRow(b.clinicId, p.CallSid)).toMatchObject({ textBackStatus: 'queued' })
    expect(jobs.sent).toHaveLength(2)
  })

  it('a different caller of the same clinic is not rate-limited', async () => {
    const clinic = await createClinic()
    await missedCall(clinic, newMobile())
    const p = await missedCall(clinic, newMobile())
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({ textBackStatus: 'queued' })
  })

  it('a text-back older than 24 hours does not block a new one', async () => {
    const clinic = await createClinic()
    const from = newMobile()
    await missedCall(clinic, from)
    await env.DB.prepare(
      'UPDATE outbound_messages SET created_at = created_at - ? WHERE clinic_id = ?',
    )
      .bind(24 * 3600 * 1000 + 1000, clinic.clinicId)
      .run()
    const p = await missedCall(clinic, from)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({ textBackStatus: 'queued' })
    expect(jobs.sent).toHaveLength(2)
  })

  it('an opted-out caller is suppressed; after START they are texted again', async () => {
    const clinic = await createClinic()
    const from = newMobile()
    const hash = await contactHash(getConfig(env), clinic.clinicId, from)
    await db.insert(optOuts).values({
      clinicId: clinic.clinicId,
      contactHash: hash,
      optedOut: true,
      keyword: 'STOP',
      updatedAt: Date.now(),
    })
    const p = await missedCall(clinic, from)
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      textBackStatus: 'suppressed',
      textBackReason: 'opted-out',
    })
    expect(jobs.sent).toHaveLength(0)
    await env.DB.prepare("UPDATE opt_outs SET opted_out = 0, keyword = 'START' WHERE clinic_id = ?")
      .bind(clinic.clinicId)
      .run()
    const q = await missedCall(clinic, from)
    expect(await callRow(clinic.clinicId, q.CallSid)).toMatchObject({ textBackStatus: 'queued' })
  })

  it('a restricted or objecting data subject gets no text-back', async () => {
    const clinic = await createClinic()
    const restricted = newMobile()
    const objecting = newMobile()
    const config = getConfig(env)
    await db.insert(subjectRestrictions).values([
      {
        clinicId: clinic.clinicId,
        subjectHash: await contactHash(config, clinic.clinicId, restricted),
        restricted: true,
        updatedAt: Date.now(),
      },
      {
        clinicId: clinic.clinicId,
        subjectHash: await contactHash(config, clinic.clinicId, objecting),
        objected: true,
        updatedAt: Date.now(),
      },
    ])
    for (const from of [restricted, objecting]) {
      const p = await missedCall(clinic, from)
      expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
        textBackStatus: 'suppressed',
        textBackReason: 'restricted',
      })
    }
    expect(jobs.sent).toHaveLength(0)
  })

  it('a clinic with text-back off sends none', async () => {
    const clinic = await createClinic({ textBackEnabled: false })
    const p = await missedCall(clinic, newMobile())
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      textBackStatus: 'suppressed',
      textBackReason: 'disabled',
    })
    expect(jobs.sent).toHaveLength(0)
  })

  it('a call in the hold-out is marked held-out and gets no text-back, the same way every time', async () => {
    const clinic = await createClinic({ holdOutPercent: 100 })
    const p = await missedCall(clinic, newMobile())
    await voice.status(p, 'completed')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      textBackStatus: 'held-out',
      textBackReason: 'hold-out',
    })
    expect(jobs.sent).toHaveLength(0)
    expect(await textBacksFor(clinic.clinicId)).toHaveLength(0)
  })

  it('an answered call gets no text-back', async () => {
    const clinic = await createClinic()
    const p = { CallSid: newCallSid(), From: newMobile(), To: clinic.trackingNumber }
    await voice.incoming(p)
    await voice.dialResult(p, 'answered')
    await voice.status(p, 'completed')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({ textBackStatus: 'none' })
    expect(jobs.sent).toHaveLength(0)
  })
})

describe('when the queue refuses the job', () => {
  it('the webhook still answers, and the next delivery with the number enqueues the text-back', async () => {
    const clinic = await createClinic()
    const p = { CallSid: newCallSid(), From: newMobile(), To: clinic.trackingNumber }
    await voice.incoming(p)
    jobs.restore()
    const failing = vi.spyOn(env.JOBS, 'send').mockRejectedValue(new Error('queue unavailable'))
    const res = await voice.dialResult(p, 'no-answer')
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<Record')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({
      status: 'missed',
      textBackStatus: 'none',
    })
    expect(await textBacksFor(clinic.clinicId)).toHaveLength(0)
    failing.mockRestore()
    jobs = spyOnJobs()
    await voice.status(p, 'completed')
    expect(await callRow(clinic.clinicId, p.CallSid)).toMatchObject({ textBackStatus: 'queued' })
    expect(jobs.sent).toHaveLength(1)
  })
})
