/**
 * Billing (owners): the plan, its status and period, this month's usage, and the way to subscribe
 * (Stripe Checkout, with a trial the first time) or to manage cards and invoices (the Customer
 * Portal). Both go through src/billing/billing.service.ts, as the API does.
 */
import { billingOf, openPortal, requirePlan, startCheckout } from '../../billing/billing.service'
import { PLAN_KEYS, PLANS, TRIAL_DAYS } from '../../billing/plans'
import { formatPence } from '../../lib/money'
import { ProblemError } from '../../lib/problem'
import { DataTable, Facts } from '../components'
import { formatLocal } from '../format'
import { Layout, Notice, type Viewer } from '../layout'
import { formOf, page, renderError, viewOf } from '../page-kit'

const STATUS_WORDS = {
  trialing: 'Free trial',
  active: 'Active',
  past_due: 'Payment overdue',
  canceled: 'Ended',
  none: 'No subscription yet',
} as const

const NOTICES: Record<string, string> = {
  'billing-sandbox':
    'Billing is in sandbox mode here: no Stripe account is connected, nothing was charged.',
  done: 'Thank you — Stripe is confirming your subscription; this page updates when it has.',
  cancelled: 'Checkout was cancelled; nothing was charged.',
}

function BillingPage(props: {
  viewer: Viewer
  timezone: string
  notice: string | null
  billing: Awaited<ReturnType<typeof billingOf>>
}) {
  const b = props.billing
  const plan = b.plan ? PLANS[b.plan] : null
  const live = b.status === 'active' || b.status === 'trialing' || b.status === 'past_due'
  return (
    <Layout title="Billing" viewer={props.viewer} active="billing">
      <Notice message={props.notice} />
      <section class="card" aria-labelledby="plan-h">
        <h2 id="plan-h">Your plan</h2>
        <Facts
          items={[
            ['Plan', plan?.name ?? '—'],
            ['Status', STATUS_WORDS[b.status]],
            [
              b.status === 'trialing' ? 'Trial ends' : 'Renews',
              b.currentPeriodEnd
                ? formatLocal(Date.parse(b.currentPeriodEnd), props.timezone)
                : '—',
            ],
            [
              'Texts this month',
              `${b.usage.smsSegments}${plan ? ` of ${plan.includedSmsSegments} included` : ''}`,
            ],
            [
              'AI replies this month',
              `${b.usage.aiReplies}${plan ? ` of ${plan.includedAiReplies} included` : ''}`,
            ],
            ...(b.contractEndsAt
              ? ([['Ended', formatLocal(Date.parse(b.contractEndsAt), props.timezone)]] as [
                  string,
                  string,
                ][])
              : []),
          ]}
        />
        {live ? (
          <form method="post" action="/billing/portal">
            <button type="submit">Manage cards and invoices</button>
          </form>
        ) : null}
      </section>
      {live ? null : (
        <section aria-labelledby="plans-h">
          <h2 id="plans-h">Choose a plan</h2>
          <p>{`Prices are per location (tracking number) a month, VAT extra. The first ${TRIAL_DAYS} days are free.`}</p>
          <DataTable
            rows={PLAN_KEYS.map((key) => ({ key, ...PLANS[key] }))}
            label="Plans"
            empty="No plans."
            columns={[
              { label: 'Plan', cell: (p) => p.name },
              { label: 'Per location a month', cell: (p) => formatPence(p.pricePencePerLocation) },
              { label: 'Texts included', cell: (p) => String(p.includedSmsSegments) },
              { label: 'AI replies included', cell: (p) => String(p.includedAiReplies) },
              {
                label: 'Subscribe',
                cell: (p) => (
                  <form method="post" action="/billing/checkout">
                    <input type="hidden" name="plan" value={p.key} />
                    <button type="submit">{`Start ${p.name}`}</button>
                  </form>
                ),
              },
            ]}
          />
        </section>
      )}
    </Layout>
  )
}

/** GET /billing */
export const billingGet = page('billing', async (c, s) => {
  const v = viewOf(c, s, 'billing')
  const query = c.req.query('notice') ?? c.req.query('checkout') ?? ''
  return c.html(
    <BillingPage
      {...v}
      notice={NOTICES[query] ?? v.notice}
      billing={await billingOf(c.var.db, s.clinic, Date.now())}
    />,
  )
})

/** POST /billing/checkout: to Stripe Checkout. */
export const billingCheckoutPost = page('billing', async (c, s) => {
  try {
    const plan = requirePlan((await formOf(c)).plan)
    const { url } = await startCheckout(
      { db: c.var.db, config: c.var.config },
      s.clinic,
      plan,
      Date.now(),
    )
    return c.redirect(url, 303)
  } catch (err) {
    if (err instanceof ProblemError && err.status < 500)
      return renderError(c, err.status, err.detail ?? 'Not possible.')
    throw err
  }
})

/** POST /billing/portal: to the Stripe Customer Portal. */
export const billingPortalPost = page('billing', async (c, s) => {
  try {
    const { url } = await openPortal({ config: c.var.config }, s.clinic)
    return c.redirect(url, 303)
  } catch (err) {
    if (err instanceof ProblemError && err.status < 500)
      return renderError(c, err.status, err.detail ?? 'Not possible.')
    throw err
  }
})
