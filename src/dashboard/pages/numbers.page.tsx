/**
 * Tracking numbers with the webhook URLs to paste into Twilio, and adding one (through
 * src/clinic/setup.ts, as the API does).
 */
import { addTrackingNumber, listTrackingNumbers } from '../../clinic/setup'
import { ProblemError } from '../../lib/problem'
import { canEdit } from '../access'
import { DataTable } from '../components'
import { formatLocalDate } from '../format'
import { Field, type FieldErrors, FormErrors, Layout, Notice, type Viewer } from '../layout'
import { type Ctx, fieldErrorsOf, formOf, notice, type PageState, page } from '../page-kit'

/** The Twilio webhook URLs a clinic pastes into its number's configuration. */
function webhookUrls(publicBaseUrl: string) {
  return {
    voice: `${publicBaseUrl}/webhooks/twilio/voice`,
    voiceStatus: `${publicBaseUrl}/webhooks/twilio/voice/status`,
    messaging: `${publicBaseUrl}/webhooks/twilio/messaging`,
    messagingStatus: `${publicBaseUrl}/webhooks/twilio/messaging/status`,
  }
}

function NumbersPage(props: {
  viewer: Viewer
  canEdit: boolean
  publicBaseUrl: string
  timezone: string
  rows: {
    id: string
    phoneNumber: string
    forwardTo: string
    label: string | null
    createdAt: number
  }[]
  values?: { phoneNumber?: string; forwardTo?: string; label?: string }
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
}) {
  const urls = webhookUrls(props.publicBaseUrl)
  return (
    <Layout title="Numbers" viewer={props.viewer} active="numbers">
      <Notice message={props.notice} />
      <section class="card" aria-labelledby="webhooks">
        <h2 id="webhooks">Twilio webhook URLs</h2>
        <p>In the Twilio console, open each tracking number and paste these exactly (HTTP POST):</p>
        <dl class="facts">
          <dt>A call comes in</dt>
          <dd>
            <code>{urls.voice}</code>
          </dd>
          <dt>Call status changes</dt>
          <dd>
            <code>{urls.voiceStatus}</code>
          </dd>
          <dt>A message comes in</dt>
          <dd>
            <code>{urls.messaging}</code>
          </dd>
          <dt>Message status callback</dt>
          <dd>
            <code>{urls.messagingStatus}</code>
          </dd>
        </dl>
      </section>
      <h2>Tracking numbers</h2>
      {props.rows.length === 0 ? (
        <p>No numbers yet.</p>
      ) : (
        <DataTable
          rows={props.rows}
          columns={[
            { label: 'Tracking number', cell: (n) => n.phoneNumber },
            { label: 'Forwards to', cell: (n) => n.forwardTo },
            { label: 'Label', cell: (n) => n.label ?? '—' },
            { label: 'Added', cell: (n) => formatLocalDate(n.createdAt, props.timezone) },
          ]}
        />
      )}
      {props.canEdit ? (
        <section aria-labelledby="add-number">
          <h2 id="add-number">Add a number</h2>
          <FormErrors message={props.error} />
          <form class="stack card" method="post" action="/numbers" novalidate>
            <Field
              name="phoneNumber"
              label="Twilio tracking number"
              type="tel"
              hint="The number patients ring, e.g. +44 113 496 0000."
              required
              value={props.values?.phoneNumber}
              errors={props.errors}
            />
            <Field
              name="forwardTo"
              label="Forward calls to"
              type="tel"
              hint="Your front desk's line."
              required
              value={props.values?.forwardTo}
              errors={props.errors}
            />
            <Field
              name="label"
              label="Label (optional)"
              value={props.values?.label}
              errors={props.errors}
            />
            <button type="submit">Add number</button>
          </form>
        </section>
      ) : null}
    </Layout>
  )
}

async function numbersPage(
  c: Ctx,
  s: PageState,
  extra: Partial<Parameters<typeof NumbersPage>[0]> = {},
  status: 200 | 400 | 409 = 200,
) {
  const { items } = await listTrackingNumbers(c.var.db, s.clinic.id, { limit: 500 })
  const rows = items.map((n) => ({ ...n, createdAt: Date.parse(n.createdAt) }))
  return c.html(
    <NumbersPage
      viewer={s.viewer}
      canEdit={canEdit(s.principal.role, 'numbers')}
      publicBaseUrl={c.var.config.publicBaseUrl}
      timezone={s.clinic.timezone}
      rows={rows}
      notice={notice(c)}
      {...extra}
    />,
    status,
  )
}

/** GET /numbers */
export const numbersGet = page('numbers', numbersPage)

/** POST /numbers */
export const numbersPost = page('numbers', async (c, s) => {
  const form = await formOf(c)
  const values = { phoneNumber: form.phoneNumber, forwardTo: form.forwardTo, label: form.label }
  const label = (form.label ?? '').trim()
  if (label.length > 60) {
    return numbersPage(
      c,
      s,
      {
        values,
        errors: { label: 'Keep the label under 60 characters.' },
        error: 'Please correct the fields marked below.',
        notice: null,
      },
      400,
    )
  }
  // The service normalises and validates the numbers (one rule for the API and the dashboard);
  // its field errors are shown beside the fields.
  try {
    await addTrackingNumber(c.var.db, c.env, s.principal, {
      phoneNumber: form.phoneNumber ?? '',
      forwardTo: form.forwardTo ?? '',
      label: label || null,
    })
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status >= 500) throw err
    const inUse = err.status === 409
    return numbersPage(
      c,
      s,
      {
        values,
        errors: inUse
          ? { phoneNumber: 'This number is already set up in Ringback.' }
          : fieldErrorsOf(err),
        error: inUse ? 'That number is already in use.' : 'Please correct the fields marked below.',
        notice: null,
      },
      inUse ? 409 : 400,
    )
  }
  return c.redirect('/numbers?notice=number-added', 303)
})
