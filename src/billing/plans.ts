/**
 * Ringback's plans, in one place: the checkout, the billing page, the operator's MRR and the
 * usage figures all read this table. Prices are per location (tracking number) a month, in pence,
 * with SMS and AI replies included; usage beyond is reported to Stripe Billing Meters.
 */
export const PLANS = {
  starter: {
    name: 'Starter',
    pricePencePerLocation: 9_900,
    includedSmsSegments: 500,
    includedAiReplies: 300,
  },
  growth: {
    name: 'Growth',
    pricePencePerLocation: 19_900,
    includedSmsSegments: 2_000,
    includedAiReplies: 1_500,
  },
} as const

export type PlanKey = keyof typeof PLANS
export const PLAN_KEYS = Object.keys(PLANS) as PlanKey[]

/** A new clinic's free trial. */
export const TRIAL_DAYS = 14

/** How long a `past_due` clinic keeps sending automated messages before they pause. */
export const PAST_DUE_GRACE_DAYS = 7

export function isPlanKey(value: unknown): value is PlanKey {
  return typeof value === 'string' && value in PLANS
}

/** The clinic's billing status as the contract names it, from Stripe's subscription status. */
export type BillingStatus = 'trialing' | 'active' | 'past_due' | 'canceled' | 'none'

export function billingStatusOf(stripeStatus: string | null | undefined): BillingStatus {
  switch (stripeStatus) {
    case 'trialing':
      return 'trialing'
    case 'active':
      return 'active'
    case 'past_due':
    case 'unpaid':
      return 'past_due'
    case 'canceled':
    case 'incomplete_expired':
      return 'canceled'
    default:
      return 'none'
  }
}
