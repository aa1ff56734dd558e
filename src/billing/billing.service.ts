/**
 * Billing with Stripe (docs/BILLING.md): Checkout to subscribe (a trial first), the Customer
 * Portal to manage cards and invoices, and the webhook that keeps the clinic's plan and status.
 * Through the official `stripe` package with its fetch client and SubtleCrypto, at
 * `STRIPE_API_BASE_URL`; without a key (or `sandbox`) nothing leaves the Worker.
 *
 * Webhooks are correct in any order: an event only says *which* subscription changed; its current
 * state is fetched from Stripe and applied, so an old event arriving late writes the newest state
 * (and a duplicate, recorded by id in the same batch, changes nothing).
 */
import { and, eq, gte, inArray, sql } from 'drizzle-orm'
import Stripe from 'stripe'
import type { ClinicRow } from '../clinic/find'
import { findClinic } from '../clinic/find'
import type { Db } from '../db/client'
import { aiUsage, clinics, outboundMessages, stripeEvents, trackingNumbers } from '../db/schema'
import type { Config } from '../env'
import { badRequest, conflict } from '../lib/problem'
import { DAY_MS, toIsoOrNull } from '../lib/time'
import {
  type BillingStatus,
  billingStatusOf,
  isPlanKey,
  PAST_DUE_GRACE_DAYS,
  PLANS,
  type PlanKey,
  TRIAL_DAYS,
} from './plans'

/** The Stripe client at the configured base URL, or null in sandbox mode (no key). */
export function stripeClient(config: Config, fetchFn?: typeof fetch): Stripe | null {
  const key = config.stripe.secretKey
  if (!key) return null
  const url = new URL(config.stripe.apiBaseUrl)
  return new Stripe(key, {
    httpClient: Stripe.createFetchHttpClient(fetchFn),
    host: url.hostname,
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    protocol: url.protocol === 'http:' ? 'http' : 'https',
    maxNetworkRetries: 1,
    telemetry: false,
  })
}

export type BillingJson = {
  plan: PlanKey | null
  status: BillingStatus
  currentPeriodEnd: string | null
  contractEndsAt: string | null
  usage: { smsSegments: number; aiReplies: number }
}

/** The clinic's billing as `GET /api/v1/billing` answers it; usage is this calendar month's (UTC). */
export async function billingOf(db: Db, clinic: ClinicRow, now: number): Promise<BillingJson> {
  const month = new Date(now).toISOString().slice(0, 7)
  const monthStart = Date.parse(`${month}-01T00:00:00Z`)
  const [ai] = await db
    .select({ replies: aiUsage.replies })
    .from(aiUsage)
    .where(and(eq(aiUsage.clinicId, clinic.id), eq(aiUsage.month, month)))
  const [sms] = await db
    .select({ segments: sql<number>`COALESCE(SUM(${outboundMessages.segments}), 0)` })
    .from(outboundMessages)
    .where(
      and(
        eq(outboundMessages.clinicId, clinic.id),
        inArray(outboundMessages.status, ['sent', 'delivered', 'undelivered']),
        gte(outboundMessages.createdAt, monthStart),
      ),
    )
  return {
    plan: isPlanKey(clinic.plan) ? clinic.plan : null,
    status: (clinic.billingStatus as BillingStatus | null) ?? 'none',
    currentPeriodEnd: toIsoOrNull(clinic.currentPeriodEnd),
    contractEndsAt: toIsoOrNull(clinic.contractEndsAt),
    usage: { smsSegments: Number(sms?.segments ?? 0), aiReplies: ai?.replies ?? 0 },
  }
}

/**
 * Automated messages pause when a clinic has been `past_due` longer than the grace period; call
 * capture never does.
 */
export function billingPaused(
  clinic: Pick<ClinicRow, 'billingStatus' | 'pastDueSince'>,
  now: number,
): boolean {
  return (
    clinic.billingStatus === 'past_due' &&
    clinic.pastDueSince !== null &&
    now - clinic.pastDueSince > PAST_DUE_GRACE_DAYS * DAY_MS
  )
}

/** Where Stripe sends the owner back to. */
const billingPage = (config: Config, query: string) => `${config.publicBaseUrl}/billing?${query}`

/** A Checkout session to subscribe to `plan` (a trial for a clinic that never had one). */
export async function startCheckout(
  deps: { db: Db; config: Config; fetch?: typeof fetch },
  clinic: ClinicRow,
  plan: PlanKey,
  now: number,
): Promise<{ url: string }> {
  const stripe = stripeClient(deps.config, deps.fetch)
  if (!stripe) return { url: billingPage(deps.config, 'notice=billing-sandbox') }
  if (clinic.billingStatus === 'active' || clinic.billingStatus === 'trialing') {
    throw conflict('This clinic already has a subscription: change it in the billing portal.')
  }
  const locations = await deps.db
    .select({ id: trackingNumbers.id })
    .from(trackingNumbers)
    .where(eq(trackingNumbers.clinicId, clinic.id))
  const p = PLANS[plan]
  const session = await stripe.checkout.sessions.create(
    {
      mode: 'subscription',
      client_reference_id: clinic.id,
      ...(clinic.stripeCustomerId ? { customer: clinic.stripeCustomerId } : {}),
      line_items: [
        {
          quantity: Math.max(1, locations.length),
          price_data: {
            currency: 'gbp',
            unit_amount: p.pricePencePerLocation,
            recurring: { interval: 'month' },
            product_data: { name: `Ringback ${p.name} (per location)` },
          },
        },
      ],
      subscription_data: {
        metadata: { clinicId: clinic.id, plan },
        ...(clinic.stripeSubscriptionId ? {} : { trial_period_days: TRIAL_DAYS }),
      },
      metadata: { clinicId: clinic.id, plan },
      success_url: billingPage(deps.config, 'checkout=done'),
      cancel_url: billingPage(deps.config, 'checkout=cancelled'),
    },
    // One session per clinic, plan and minute: a double click opens the same page.
    { idempotencyKey: `checkout:${clinic.id}:${plan}:${Math.floor(now / 60_000)}` },
  )
  if (!session.url) throw new Error('Stripe returned a Checkout session without a URL')
  return { url: session.url }
}

/** A Customer Portal session (cards, invoices, cancelling). 409 before the first subscription. */
export async function openPortal(
  deps: { config: Config; fetch?: typeof fetch },
  clinic: ClinicRow,
): Promise<{ url: string }> {
  const stripe = stripeClient(deps.config, deps.fetch)
  if (!stripe) return { url: billingPage(deps.config, 'notice=billing-sandbox') }
  if (!clinic.stripeCustomerId) throw conflict('Subscribe first: there is no billing account yet.')
  const session = await stripe.billingPortal.sessions.create({
    customer: clinic.stripeCustomerId,
    return_url: billingPage(deps.config, 'portal=done'),
  })
  return { url: session.url }
}

/** What a webhook did. */
export type WebhookOutcome = 'applied' | 'duplicate' | 'ignored'

/** The subscription an event is about, and the clinic it names (if it says). */
function subjectOf(event: Stripe.Event): {
  subscriptionId: string | null
  clinicId: string | null
} {
  const o = event.data.object as unknown as Record<string, unknown>
  const idOf = (v: unknown) =>
    typeof v === 'string' ? v : v && typeof v === 'object' && 'id' in v ? String(v.id) : null
  if (o.object === 'subscription') {
    const meta = (o.metadata ?? {}) as Record<string, string>
    return { subscriptionId: idOf(o.id), clinicId: meta.clinicId ?? null }
  }
  if (o.object === 'checkout.session') {
    return {
      subscriptionId: idOf(o.subscription),
      clinicId: typeof o.client_reference_id === 'string' ? o.client_reference_id : null,
    }
  }
  if (o.object === 'invoice') {
    const parent = o.parent as { subscription_details?: { subscription?: unknown } } | undefined
    return {
      subscriptionId: idOf(o.subscription) ?? idOf(parent?.subscription_details?.subscription),
      clinicId: null,
    }
  }
  return { subscriptionId: null, clinicId: null }
}

/** The period end of a subscription (on its items in current API versions). */
function periodEndOf(sub: Stripe.Subscription): number | null {
  const fromItem = sub.items?.data?.[0]?.current_period_end
  const legacy = (sub as unknown as { current_period_end?: number }).current_period_end
  const end = fromItem ?? legacy
  return typeof end === 'number' ? end * 1000 : null
}

/**
 * Verifies and applies one webhook delivery. Throws a 400 problem for a bad signature (or in
 * sandbox mode, where there is no secret to check against); a Stripe failure while fetching the
 * subscription throws, so Stripe delivers the event again (it is recorded only once applied).
 */
export async function handleStripeWebhook(
  deps: { db: Db; config: Config; fetch?: typeof fetch },
  rawBody: string,
  signature: string | undefined,
  now: number,
): Promise<WebhookOutcome> {
  const { db, config } = deps
  const secret = config.stripe.webhookSecret
  const stripe = stripeClient(config, deps.fetch)
  if (!secret || !stripe) throw badRequest('Stripe webhooks are not configured (sandbox mode).')
  let event: Stripe.Event
  try {
    event = await stripe.webhooks.constructEventAsync(
      rawBody,
      signature ?? '',
      secret,
      300,
      Stripe.createSubtleCryptoProvider(),
    )
  } catch {
    throw badRequest('The Stripe-Signature header does not verify.')
  }
  const [seen] = await db
    .select({ id: stripeEvents.id })
    .from(stripeEvents)
    .where(eq(stripeEvents.id, event.id))
  if (seen) return 'duplicate'
  const record = db
    .insert(stripeEvents)
    .values({ id: event.id, type: event.type, receivedAt: now })
    .onConflictDoNothing()
  const subject = subjectOf(event)
  if (!subject.subscriptionId) {
    await record
    return 'ignored'
  }
  // The current state, not the event's snapshot: any order of events ends the same.
  const sub = await stripe.subscriptions.retrieve(subject.subscriptionId)
  const clinicId = (sub.metadata?.clinicId as string | undefined) ?? subject.clinicId
  const clinic = clinicId ? await findClinic(db, clinicId) : null
  if (!clinic) {
    await record
    return 'ignored'
  }
  await db.batch([record, applySubscription(db, clinic, sub, now)])
  return 'applied'
}

/** The clinic's columns from a subscription's current state. */
export function applySubscription(
  db: Db,
  clinic: ClinicRow,
  sub: Stripe.Subscription,
  now: number,
) {
  const status = billingStatusOf(sub.status)
  const plan = isPlanKey(sub.metadata?.plan) ? sub.metadata.plan : clinic.plan
  const customer = typeof sub.customer === 'string' ? sub.customer : sub.customer.id
  const ended = sub.ended_at ?? sub.canceled_at
  return db
    .update(clinics)
    .set({
      plan,
      billingStatus: status,
      stripeCustomerId: customer,
      stripeSubscriptionId: sub.id,
      currentPeriodEnd: periodEndOf(sub),
      // A subscription that ends starts the 6-month deletion clock; a live one stops it.
      contractEndsAt: status === 'canceled' ? (ended ? ended * 1000 : now) : null,
      pastDueSince: status === 'past_due' ? sql`COALESCE(${clinics.pastDueSince}, ${now})` : null,
      updatedAt: now,
    })
    .where(
      and(
        eq(clinics.id, clinic.id),
        // Another, newer subscription of the clinic is never overwritten by an old one's events.
        sql`(${clinics.stripeSubscriptionId} IS NULL OR ${clinics.stripeSubscriptionId} = ${sub.id} OR ${clinics.billingStatus} = 'canceled')`,
      ),
    )
}

export function requirePlan(plan: unknown): PlanKey {
  if (!isPlanKey(plan))
    throw badRequest('The request is not valid.', [{ path: 'plan', message: 'starter or growth' }])
  return plan
}
