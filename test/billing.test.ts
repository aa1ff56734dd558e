/**
 * Billing (CONTRACT "Billing and email"): Checkout and the Portal through the official `stripe`
 * package against a fake Stripe at its base URL; webhooks signed with Stripe's own test-header
 * helper, verified, idempotent on the event id, and correct in any order (the subscription's
 * current state is fetched); sandbox mode without a key; the owner's billing page.
 */
import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import fc from 'fast-check'
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import {
  billingOf,
  billingPaused,
  handleStripeWebhook,
  openPortal,
  startCheckout,
} from '../src/billing/billing.service'
import { sendUsage } from '../src/billing/usage'
import { answerPatient } from '../src/conversations/ai-reply'
import { clinics, conversations, outboundMessages, stripeEvents } from '../src/db/schema'
import { type Config, getConfig } from '../src/env'
import { newId } from '../src/lib/ids'
import { sendClaimed } from '../src/outbox/send'
import { api, call, createTestClinic } from './helpers/clinic'
import { patientWrites } from './helpers/conversations'
import { captureQueue } from './helpers/queue'
import { db, fakeTwilio, liveConfig } from './textback-delivery.fixtures'

const SECRET = 'whsec_test_secret'
const FAKE = 'http://fake-stripe.test'

function stripeConfig(): Config {
  const base = getConfig(env)
  return { ...base, stripe: { secretKey: 'sk_test_fake', webhookSecret: SECRET, apiBaseUrl: FAKE } }
}

type Sub = {
  id: string
  object: 'subscription'
  status: string
  customer: string
  metadata: Record<string, string>
  items: { data: { current_period_end: number }[] }
  ended_at: number | null
  canceled_at: number | null
}

/** A fake Stripe: subscriptions as they are now, and what was asked of it. */
function fakeStripe() {
  const subscriptions = new Map<string, Sub>()
  const requests: { method: string; path: string; body: string }[] = []
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input instanceof Request ? input.url : input))
    const body = typeof init?.body === 'string' ? init.body : ''
    requests.push({ method: init?.method ?? 'GET', path: url.pathname, body })
    const json = (o: unknown, status = 200) =>
      new Response(JSON.stringify(o), { status, headers: { 'content-type': 'application/json' } })
    const sub = /^\/v1\/subscriptions\/([^/]+)$/.exec(url.pathname)
    if (sub) {
      const found = subscriptions.get(decodeURIComponent(sub[1]!))
      return found ? json(found) : json({ error: { type: 'invalid_request_error' } }, 404)
    }
    if (url.pathname === '/v1/checkout/sessions') {
      return json({
        id: 'cs_test_1',
        object: 'checkout.session',
        url: 'https://checkout.stripe.test/cs_test_1',
      })
    }
    if (url.pathname === '/v1/billing/meter_events') {
      return json({
        object: 'billing.meter_event',
        identifier: new URLSearchParams(body).get('identifier'),
      })
    }
    if (url.pathname === '/v1/billing_portal/sessions') {
      return json({
        id: 'bps_1',
        object: 'billing_portal.session',
        url: 'https://billing.stripe.test/p/1',
      })
    }
    return json({ error: { type: 'invalid_request_error' } }, 404)
  }) as typeof fetch
  return { subscriptions, requests, fetch: fetchFn }
}

function subscription(clinicId: string, status: string, over: Partial<Sub> = {}): Sub {
  return {
    id: 'sub_1',
    object: 'subscription',
    status,
    customer: 'cus_1',
    metadata: { clinicId, plan: 'growth' },
    items: { data: [{ current_period_end: 1_900_000_000 }] },
    ended_at: null,
    canceled_at: null,
    ...over,
  }
}

const signer = new Stripe('sk_test_fake')

/** An event as Stripe sends it, with its Stripe-Signature header. */
async function signed(id: string, type: string, object: unknown) {
  const payload = JSON.stringify({ id, object: 'event', type, created: 1, data: { object } })
  const header = await signer.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: SECRET,
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  })
  return { payload, header }
}

async function clinicRow(id: string) {
  const [row] = await db.select().from(clinics).where(eq(clinics.id, id))
  return row!
}

describe('webhooks', () => {
  it('verify the signature: a bad or missing one is a 400 and changes nothing', async () => {
    const clinic = await createTestClinic()
    const stripe = fakeStripe()
    const { payload } = await signed(
      'evt_bad',
      'customer.subscription.updated',
      subscription(clinic.clinicId, 'active'),
    )
    for (const header of [undefined, 't=1,v1=deadbeef']) {
      await expect(
        handleStripeWebhook(
          { db, config: stripeConfig(), fetch: stripe.fetch },
          payload,
          header,
          Date.now(),
        ),
      ).rejects.toMatchObject({ status: 400 })
    }
    expect(stripe.requests).toEqual([])
    expect((await clinicRow(clinic.clinicId)).billingStatus).toBe(null)
    // Over HTTP (sandbox: no secret to verify with): 400, problem+json.
    const res = await call('/webhooks/stripe', {
      method: 'POST',
      body: payload,
      headers: { 'stripe-signature': 't=1,v1=x' },
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toMatch(/problem\+json/)
  })

  it('apply the subscription as it is now, once per event id; its end sets contractEndsAt', async () => {
    const clinic = await createTestClinic()
    const stripe = fakeStripe()
    const deps = { db, config: stripeConfig(), fetch: stripe.fetch }
    stripe.subscriptions.set('sub_1', subscription(clinic.clinicId, 'trialing'))
    const created = await signed(
      'evt_1',
      'customer.subscription.created',
      subscription(clinic.clinicId, 'trialing'),
    )
    expect(await handleStripeWebhook(deps, created.payload, created.header, Date.now())).toBe(
      'applied',
    )
    expect(await clinicRow(clinic.clinicId)).toMatchObject({
      plan: 'growth',
      billingStatus: 'trialing',
      stripeCustomerId: 'cus_1',
      stripeSubscriptionId: 'sub_1',
      currentPeriodEnd: 1_900_000_000_000,
      contractEndsAt: null,
    })
    expect(await handleStripeWebhook(deps, created.payload, created.header, Date.now())).toBe(
      'duplicate',
    )
    stripe.subscriptions.set(
      'sub_1',
      subscription(clinic.clinicId, 'canceled', { ended_at: 1_800_000_000 }),
    )
    const deleted = await signed(
      'evt_2',
      'customer.subscription.deleted',
      subscription(clinic.clinicId, 'canceled'),
    )
    expect(await handleStripeWebhook(deps, deleted.payload, deleted.header, Date.now())).toBe(
      'applied',
    )
    expect(await clinicRow(clinic.clinicId)).toMatchObject({
      billingStatus: 'canceled',
      contractEndsAt: 1_800_000_000_000,
    })
    const events = await db.select().from(stripeEvents).where(eq(stripeEvents.id, 'evt_1'))
    expect(events).toHaveLength(1)
  })

  it('a completed Checkout session finds its clinic by client_reference_id and fetches the subscription', async () => {
    const clinic = await createTestClinic()
    const stripe = fakeStripe()
    const deps = { db, config: stripeConfig(), fetch: stripe.fetch }
    // The subscription carries no clinic in its metadata: the session's reference names it.
    stripe.subscriptions.set(
      'sub_1',
      subscription(clinic.clinicId, 'trialing', { metadata: { plan: 'starter' } }),
    )
    const e = await signed('evt_cs', 'checkout.session.completed', {
      object: 'checkout.session',
      client_reference_id: clinic.clinicId,
      subscription: 'sub_1',
    })
    expect(await handleStripeWebhook(deps, e.payload, e.header, Date.now())).toBe('applied')
    expect(await clinicRow(clinic.clinicId)).toMatchObject({
      plan: 'starter',
      billingStatus: 'trialing',
    })
    // An event about something else (a customer) is acknowledged and ignored.
    const other = await signed('evt_cus', 'customer.updated', { object: 'customer', id: 'cus_1' })
    expect(await handleStripeWebhook(deps, other.payload, other.header, Date.now())).toBe('ignored')
    expect(stripe.requests.filter((r) => r.path.startsWith('/v1/subscriptions'))).toHaveLength(1)
  })

  it('past_due pauses automated messages only after the grace period', async () => {
    const clinic = await createTestClinic()
    const stripe = fakeStripe()
    const deps = { db, config: stripeConfig(), fetch: stripe.fetch }
    stripe.subscriptions.set('sub_1', subscription(clinic.clinicId, 'past_due'))
    const e = await signed('evt_pd', 'invoice.payment_failed', {
      object: 'invoice',
      subscription: 'sub_1',
    })
    const t0 = Date.now()
    expect(await handleStripeWebhook(deps, e.payload, e.header, t0)).toBe('applied')
    const row = await clinicRow(clinic.clinicId)
    expect(row).toMatchObject({ billingStatus: 'past_due', pastDueSince: t0 })
    expect(billingPaused(row, t0 + 86_400_000)).toBe(false)
    expect(billingPaused(row, t0 + 8 * 86_400_000)).toBe(true)
    const owner = await clinic.as('owner')
    const html = await (await call('/', { headers: owner.headers })).text()
    expect(html).toContain('payment is overdue')
    // Past the grace period the AI does not answer: the conversation goes to a person.
    await db
      .update(clinics)
      .set({ pastDueSince: Date.now() - 8 * 86_400_000 })
      .where(eq(clinics.id, clinic.clinicId))
    const patient = await patientWrites(clinic, 'Do you have anything on Friday?', Date.now())
    expect(await answerPatient(patient, env)).toBe('handed-over')
    const [thread] = await db
      .select()
      .from(conversations)
      .where(eq(conversations.id, patient.conversationId))
    expect(thread).toMatchObject({ status: 'needs-human' })
    expect(thread!.priorityReasons).toContain('needs-human:billing-paused')
    const receptionist = await clinic.as('receptionist')
    expect(await (await call('/calls', { headers: receptionist.headers })).text()).not.toContain(
      'payment is overdue',
    )
  })

  it('any order and repetition of a subscription’s events ends in the same clinic state', async () => {
    const events = [
      ['customer.subscription.created', 'trialing'],
      ['customer.subscription.updated', 'active'],
      ['invoice.payment_failed', 'past_due'],
      ['customer.subscription.updated', 'active'],
      ['customer.subscription.deleted', 'canceled'],
    ] as const
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: events.length - 1 }), { minLength: 1, maxLength: 10 }),
        async (order) => {
          const clinic = await createTestClinic()
          const stripe = fakeStripe()
          const deps = { db, config: stripeConfig(), fetch: stripe.fetch }
          // Stripe's current state is the end of the story, whatever order the events arrive in.
          stripe.subscriptions.set(
            'sub_1',
            subscription(clinic.clinicId, 'canceled', { ended_at: 1_800_000_000 }),
          )
          const tag = crypto.randomUUID().slice(0, 8)
          for (const i of order) {
            const [type, status] = events[i]!
            const object =
              type === 'invoice.payment_failed'
                ? { object: 'invoice', subscription: 'sub_1' }
                : subscription(clinic.clinicId, status)
            const e = await signed(`evt_${tag}_${i}`, type, object)
            await handleStripeWebhook(deps, e.payload, e.header, Date.now())
          }
          expect(await clinicRow(clinic.clinicId)).toMatchObject({
            billingStatus: 'canceled',
            contractEndsAt: 1_800_000_000_000,
            plan: 'growth',
          })
        },
      ),
      { numRuns: 12 },
    )
  })
})

describe('checkout and the portal', () => {
  it('open Checkout with the clinic as client_reference_id and a trial, then the portal for its customer', async () => {
    const clinic = await createTestClinic()
    const stripe = fakeStripe()
    const row = await clinicRow(clinic.clinicId)
    const { url } = await startCheckout(
      { db, config: stripeConfig(), fetch: stripe.fetch },
      row,
      'starter',
      Date.now(),
    )
    expect(url).toBe('https://checkout.stripe.test/cs_test_1')
    const body = new URLSearchParams(stripe.requests[0]!.body)
    expect(body.get('client_reference_id')).toBe(clinic.clinicId)
    expect(body.get('subscription_data[metadata][clinicId]')).toBe(clinic.clinicId)
    expect(body.get('subscription_data[trial_period_days]')).toBe('14')
    expect(body.get('line_items[0][price_data][unit_amount]')).toBe('9900')
    await expect(
      openPortal({ config: stripeConfig(), fetch: stripe.fetch }, row),
    ).rejects.toMatchObject({ status: 409 })
    const portal = await openPortal(
      { config: stripeConfig(), fetch: stripe.fetch },
      { ...row, stripeCustomerId: 'cus_1' },
    )
    expect(portal.url).toBe('https://billing.stripe.test/p/1')
  })

  it('the API in sandbox mode: the owner reads billing and gets a sandbox page, nobody else may', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const got = await api('GET', '/api/v1/billing', undefined, owner.headers)
    expect(await got.json()).toEqual({
      plan: null,
      status: 'none',
      currentPeriodEnd: null,
      contractEndsAt: null,
      usage: { smsSegments: 0, aiReplies: 0 },
    })
    const checkout = await api(
      'POST',
      '/api/v1/billing/checkout',
      { plan: 'growth' },
      owner.headers,
    )
    expect(((await checkout.json()) as { url: string }).url).toContain(
      '/billing?notice=billing-sandbox',
    )
    const bad = await api('POST', '/api/v1/billing/checkout', { plan: 'platinum' }, owner.headers)
    expect(bad.status).toBe(400)
    const admin = await clinic.as('admin')
    expect((await api('GET', '/api/v1/billing', undefined, admin.headers)).status).toBe(403)
    const page = await (await call('/billing', { headers: owner.headers })).text()
    expect(page).toContain('Choose a plan')
    expect(await billingOf(db, await clinicRow(clinic.clinicId), Date.now())).toMatchObject({
      status: 'none',
    })
  })
})

describe('the operator’s view', () => {
  it('lists every clinic with plan, status and MRR to the operator’s tenant only, with no patient data', async () => {
    const operator = await createTestClinic({ isOperator: true })
    const paying = await createTestClinic({
      plan: 'growth',
      billingStatus: 'active',
      name: 'Paying Dental',
    })
    const boss = await operator.as('owner')
    const res = await api('GET', '/api/v1/operator/clinics', undefined, boss.headers)
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      items: { id: string; name: string; mrrPence: number; status: string }[]
      mrrPence: number
    }
    expect(body.items.find((c) => c.id === paying.clinicId)).toMatchObject({
      name: 'Paying Dental',
      status: 'active',
      mrrPence: 19_900,
    })
    expect(body.mrrPence).toBeGreaterThanOrEqual(19_900)
    expect(JSON.stringify(body)).not.toMatch(/\+44|@/)
    const page = await (await call('/operator', { headers: boss.headers })).text()
    expect(page).toContain('Paying Dental')
    expect(page).toContain('href="/operator"')
    // Any other clinic's owner: not found, and no link.
    const other = await paying.as('owner')
    expect((await api('GET', '/api/v1/operator/clinics', undefined, other.headers)).status).toBe(
      404,
    )
    expect((await call('/operator', { headers: other.headers })).status).toBe(404)
    expect(await (await call('/billing', { headers: other.headers })).text()).not.toContain(
      'href="/operator"',
    )
  })
})

describe('usage for Stripe Billing Meters', () => {
  it('a sent SMS is reported with its segments and its outbox id; a sandboxed one never counts', async () => {
    const clinic = await createTestClinic()
    for (const [config, expected] of [
      [liveConfig(), 1],
      [getConfig(env), 0],
    ] as const) {
      const outboxId = newId('out')
      await db.insert(outboundMessages).values({
        id: outboxId,
        clinicId: clinic.clinicId,
        dedupeKey: `usage-test:${outboxId}`,
        kind: 'reply',
        channel: 'sms',
        recipientHash: 'h'.repeat(64),
        toMasked: '•••123',
        bodySealed: 'x',
        status: 'sending',
        segments: 2,
        createdAt: Date.now(),
      })
      const captured = captureQueue()
      const row = and(
        eq(outboundMessages.clinicId, clinic.clinicId),
        eq(outboundMessages.id, outboxId),
      )!
      await sendClaimed(
        db,
        config,
        {
          row,
          outboxId,
          message: { to: '+447700900123', from: clinic.trackingNumber, body: 'hi' },
        },
        {
          fetch: fakeTwilio().fetch,
          now: Date.now,
          usage: { env: captured.env, clinicId: clinic.clinicId },
        },
      )
      const usage = captured.sent.filter((j) => j.type === 'usage-report')
      expect(usage).toHaveLength(expected)
      if (expected) expect(usage[0]).toMatchObject({ meter: 'sms', identifier: outboxId, value: 2 })
    }
  })

  it('sends a meter event with the message id as identifier, only for a clinic with a Stripe customer', async () => {
    const clinic = await createTestClinic({ stripeCustomerId: 'cus_meter' })
    const stripe = fakeStripe()
    const live = {
      ...env,
      STRIPE_SECRET_KEY: 'sk_test_fake',
      STRIPE_API_BASE_URL: FAKE,
    } as typeof env
    const job = {
      type: 'usage-report' as const,
      clinicId: clinic.clinicId,
      meter: 'sms' as const,
      identifier: 'out_1',
      value: 2,
    }
    expect(await sendUsage(job, live, { fetch: stripe.fetch })).toBe('reported')
    const sent = new URLSearchParams(stripe.requests[0]!.body)
    expect(stripe.requests[0]!.path).toBe('/v1/billing/meter_events')
    expect(sent.get('event_name')).toBe('ringback_sms_segments')
    expect(sent.get('identifier')).toBe('out_1')
    expect(sent.get('payload[stripe_customer_id]')).toBe('cus_meter')
    expect(sent.get('payload[value]')).toBe('2')
    const none = await createTestClinic()
    expect(
      await sendUsage({ ...job, clinicId: none.clinicId }, live, { fetch: stripe.fetch }),
    ).toBe('skipped')
    expect(await sendUsage(job, env, { fetch: stripe.fetch })).toBe('skipped')
    expect(stripe.requests).toHaveLength(1)
  })
})
