/**
 * Usage to Stripe Billing Meters (docs/BILLING.md): every SMS that actually left (its segments)
 * and every AI reply (one) is reported as a meter event for the clinic's Stripe customer, with the
 * message's own id as the event's `identifier` — Stripe ignores an identifier it has seen, so a
 * redelivered job is harmless. A sandboxed send never counts (nothing was sent), and a clinic with
 * no Stripe customer (no subscription yet) or a Worker without a Stripe key reports nothing.
 */

import { findClinic } from '../clinic/find'
import { createDb } from '../db/client'
import { type Bindings, getConfig } from '../env'
import type { JobHandler } from '../jobs/consumer'
import { jobQueue, type UsageReportJob } from '../jobs/messages'
import { logWarn } from '../lib/logger'
import { stripeClient } from './billing.service'

/** The meters' event names, as configured in Stripe Billing. */
export const METERS = { sms: 'ringback_sms_segments', ai: 'ringback_ai_replies' } as const

/** Queues one usage report (never throws: usage must not fail a send). */
export async function reportUsage(
  env: Pick<Bindings, 'JOBS'>,
  usage: { clinicId: string; meter: keyof typeof METERS; identifier: string; value: number },
): Promise<void> {
  if (usage.value <= 0) return
  try {
    await jobQueue(env).send({ type: 'usage-report', ...usage })
  } catch {
    logWarn('usage report not queued', { clinicId: usage.clinicId, meter: usage.meter })
  }
}

/** Sends one meter event; 'skipped' without a Stripe key or customer. Throws to retry. */
export async function sendUsage(
  job: UsageReportJob,
  env: Bindings,
  deps: { fetch?: typeof fetch } = {},
): Promise<'reported' | 'skipped'> {
  const config = getConfig(env)
  const stripe = stripeClient(config, deps.fetch)
  if (!stripe) return 'skipped'
  const clinic = await findClinic(createDb(env.DB), job.clinicId)
  if (!clinic?.stripeCustomerId) return 'skipped'
  await stripe.billing.meterEvents.create({
    event_name: METERS[job.meter],
    identifier: job.identifier,
    payload: { stripe_customer_id: clinic.stripeCustomerId, value: String(job.value) },
  })
  return 'reported'
}

export const usageReportHandler: JobHandler<UsageReportJob> = {
  run: (job, env) => sendUsage(job, env),
  // Retries ran out: Stripe did not take it; logged (the outbox and ai_usage still hold the counts).
  deadLetter: async (job) => {
    logWarn('usage report dead-lettered', { clinicId: job.clinicId, meter: job.meter })
  },
}
