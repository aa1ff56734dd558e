/**
 * Text-back delivery (the queue consumer's half): a local fake Twilio receives the real HTTP
 * request, and the outbox row guarantees a retried job never sends twice.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { optOuts } from '../src/db/schema'
import { getConfig } from '../src/env'
import { PermanentJobError } from '../src/jobs/consumer'
import {
  deliverTextBack,
  markTextBackFailed,
  SEND_LEASE_MS,
  TextBackInFlightError,
  TextBackTransientError,
} from '../src/textback/deliver'
import { createTestClinic } from './helpers/clinic'
import {
  ACCOUNT_SID,
  accepted,
  BODY,
  CALLER,
  callRow,
  db,
  FAKE_TWILIO,
  fakeTwilio,
  liveConfig,
  missedCallWithTextBack,
  outboxRow,
  twilioError,
} from './textback-delivery.fixtures'

describe('text-back delivery to Twilio', () => {
  it('sends one SMS through the Messages API from the number the patient rang', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId, trackingNumber } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio()

    const outcome = await deliverTextBack(job, env, { fetch: twilio.fetch, config: liveConfig() })

    expect(outcome).toBe('sent')
    expect(twilio.requests).toHaveLength(1)
    const [req] = twilio.requests
    expect(req!.method).toBe('POST')
    expect(req!.url).toBe(`${FAKE_TWILIO}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`)
    expect(req!.auth).toBe(`Basic ${btoa(`${ACCOUNT_SID}:${getConfig(env).twilio.authToken}`)}`)
    expect(req!.form.get('To')).toBe(CALLER)
    expect(req!.form.get('From')).toBe(trackingNumber)
    expect(req!.form.get('Body')).toBe(BODY)
    expect(req!.form.get('StatusCallback')).toBe(
      `https://ringback.test/webhooks/twilio/messaging/status?ob=${outboxId}`,
    )
  })

  it('marks the outbox row sent with the Twilio sid and the call texted back', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId, callId } = await missedCallWithTextBack(clinic)
    const before = Date.now()

    await deliverTextBack(job, env, { fetch: fakeTwilio().fetch, config: liveConfig() })

    const row = await outboxRow(clinic.clinicId, outboxId)
    expect(row).toMatchObject({ status: 'sent', providerSid: `SM${'a'.repeat(32)}`, attempts: 1 })
    expect(row.sentAt).toBeGreaterThanOrEqual(before)
    const call = await callRow(clinic.clinicId, callId)
    expect(call.textBackStatus).toBe('sent')
    expect(call.textedBackAt).toBeGreaterThanOrEqual(before)
  })

  it('keeps the message in the outbox as sandboxed, sending nothing, in sandbox mode', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId, callId } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio()

    // The test env has TWILIO_ACCOUNT_SID=sandbox.
    const outcome = await deliverTextBack(job, env, { fetch: twilio.fetch })

    expect(outcome).toBe('sandboxed')
    expect(twilio.requests).toHaveLength(0)
    expect((await outboxRow(clinic.clinicId, outboxId)).status).toBe('sandboxed')
    // Nobody was texted: the call says so, and keeps no texted-back time.
    expect(await callRow(clinic.clinicId, callId)).toMatchObject({
      textBackStatus: 'suppressed',
      textBackReason: 'sandboxed',
      textedBackAt: null,
    })
  })

  it('never sends twice when the same job is delivered again', async () => {
    const clinic = await createTestClinic()
    const { job } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio()
    const deps = { fetch: twilio.fetch, config: liveConfig() }

    expect(await deliverTextBack(job, env, deps)).toBe('sent')
    expect(await deliverTextBack(job, env, deps)).toBe('already-done')
    expect(await deliverTextBack(job, env, deps)).toBe('already-done')
    expect(twilio.requests).toHaveLength(1)
  })

  it('sends once when two deliveries of the job race', async () => {
    const clinic = await createTestClinic()
    const { job } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio()
    const deps = { fetch: twilio.fetch, config: liveConfig() }

    const results = await Promise.allSettled([
      deliverTextBack(job, env, deps),
      deliverTextBack(job, env, deps),
    ])

    expect(twilio.requests).toHaveLength(1)
    const losers = results.filter((r) => r.status === 'rejected')
    for (const l of losers) expect(l.reason).toBeInstanceOf(TextBackInFlightError)
  })

  it('does not re-send a claim with an unknown outcome until the lease has passed', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId } = await missedCallWithTextBack(clinic)
    let clock = Date.now()
    const twilio = fakeTwilio((n) =>
      n === 1 ? new TypeError('Network connection lost') : accepted(),
    )
    const deps = { fetch: twilio.fetch, config: liveConfig(), now: () => clock }

    // The request may have reached Twilio: the row stays claimed.
    await expect(deliverTextBack(job, env, deps)).rejects.toBeInstanceOf(TextBackTransientError)
    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      status: 'sending',
      lastError: 'network',
    })
    clock += 2_000
    await expect(deliverTextBack(job, env, deps)).rejects.toBeInstanceOf(TextBackInFlightError)
    expect(twilio.requests).toHaveLength(1)

    clock += SEND_LEASE_MS
    expect(await deliverTextBack(job, env, deps)).toBe('sent')
    expect(twilio.requests).toHaveLength(2)
    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      attempts: 2,
      lastError: null,
    })
  })

  it('retries at once after a 429, which Twilio refused before creating anything', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio((n) => (n === 1 ? twilioError(429, 20429) : accepted()))
    const deps = { fetch: twilio.fetch, config: liveConfig() }

    await expect(deliverTextBack(job, env, deps)).rejects.toBeInstanceOf(TextBackTransientError)
    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      status: 'queued',
      lastError: 'twilio-20429',
    })
    expect(await deliverTextBack(job, env, deps)).toBe('sent')
    expect(twilio.requests).toHaveLength(2)
  })

  it('fails permanently on a 4xx and records only the error code', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio(() => twilioError(400, 21211))

    const error = await deliverTextBack(job, env, {
      fetch: twilio.fetch,
      config: liveConfig(),
    }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(PermanentJobError)
    expect(String((error as Error).message)).not.toContain('7700')
    const row = await outboxRow(clinic.clinicId, outboxId)
    expect(row).toMatchObject({ status: 'failed', lastError: 'twilio-21211' })
  })

  it('suppresses the send when the caller opted out after the missed call', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId, callId, callerHash } = await missedCallWithTextBack(clinic)
    await db.insert(optOuts).values({
      clinicId: clinic.clinicId,
      contactHash: callerHash,
      optedOut: true,
      keyword: 'STOP',
      updatedAt: Date.now(),
    })
    const twilio = fakeTwilio()

    const outcome = await deliverTextBack(job, env, { fetch: twilio.fetch, config: liveConfig() })

    expect(outcome).toBe('suppressed-opted-out')
    expect(twilio.requests).toHaveLength(0)
    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      status: 'failed',
      lastError: 'opted-out',
    })
    expect(await callRow(clinic.clinicId, callId)).toMatchObject({
      textBackStatus: 'suppressed',
      textBackReason: 'opted-out',
    })
  })

  it('sends to a caller who opted back in with START', async () => {
    const clinic = await createTestClinic()
    const { job, callerHash } = await missedCallWithTextBack(clinic)
    await db.insert(optOuts).values({
      clinicId: clinic.clinicId,
      contactHash: callerHash,
      optedOut: false,
      keyword: 'START',
      updatedAt: Date.now(),
    })
    const twilio = fakeTwilio()

    expect(await deliverTextBack(job, env, { fetch: twilio.fetch, config: liveConfig() })).toBe(
      'sent',
    )
    expect(twilio.requests).toHaveLength(1)
  })

  it('ignores a job naming another clinic’s outbox row', async () => {
    const clinic = await createTestClinic()
    const other = await createTestClinic()
    const { job, outboxId } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio()

    const outcome = await deliverTextBack({ ...job, clinicId: other.clinicId }, env, {
      fetch: twilio.fetch,
      config: liveConfig(),
    })

    expect(outcome).toBe('gone')
    expect(twilio.requests).toHaveLength(0)
    expect((await outboxRow(clinic.clinicId, outboxId)).status).toBe('queued')
  })

  it('marks the outbox row and the call failed on the dead-letter path, keeping the last error code', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId, callId } = await missedCallWithTextBack(clinic)
    const twilio = fakeTwilio(() => twilioError(503, 20503))
    await expect(
      deliverTextBack(job, env, { fetch: twilio.fetch, config: liveConfig() }),
    ).rejects.toBeInstanceOf(TextBackTransientError)

    await markTextBackFailed(job, env)
    await markTextBackFailed(job, env)

    expect(await outboxRow(clinic.clinicId, outboxId)).toMatchObject({
      status: 'failed',
      lastError: 'twilio-20503',
    })
    expect((await callRow(clinic.clinicId, callId)).textBackStatus).toBe('failed')
  })

  it('never lets the dead-letter path undo a text-back that was sent', async () => {
    const clinic = await createTestClinic()
    const { job, outboxId, callId } = await missedCallWithTextBack(clinic)
    await deliverTextBack(job, env, { fetch: fakeTwilio().fetch, config: liveConfig() })

    await markTextBackFailed(job, env)

    expect((await outboxRow(clinic.clinicId, outboxId)).status).toBe('sent')
    expect((await callRow(clinic.clinicId, callId)).textBackStatus).toBe('sent')
  })

  it('stores neither the caller’s number nor the message text in any D1 row', async () => {
    const clinic = await createTestClinic()
    const { job } = await missedCallWithTextBack(clinic)
    await deliverTextBack(job, env, { fetch: fakeTwilio().fetch, config: liveConfig() })

    const tables = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'",
    ).all<{ name: string }>()
    const national = CALLER.replace('+44', '0')
    for (const { name } of tables.results) {
      const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all()
      const text = JSON.stringify(rows.results)
      expect(text, name).not.toContain(CALLER)
      expect(text, name).not.toContain(CALLER.slice(1))
      expect(text, name).not.toContain(national)
      expect(text, name).not.toContain(BODY)
    }
  })
})
