/**
 * Tracking numbers with the webhook URLs to paste into Twilio, and adding one (through
 * src/clinic/setup.ts, as the API does).
 */
import { addTrackingNumber, listTrackingNumbers, type TrackingNumberJson } from '../../clinic/setup'
import { ProblemError } from '../../lib/problem'
import { DataTable } from '../components'
import { formatLocalDate } from '../format'
import { bound, FormSection, refusal } from '../forms'
import { Field, type FieldErrors, Layout, Notice, type Viewer } from '../layout'
import { type Extra, fieldErrorsOf, formOf, page, viewLoader, viewOf } from '../page-kit'

/** The Twilio webhook URLs a clinic pastes into its number's configuration. */
/** The form under the list. */
const ADD_NUMBER_FORM = {
  id: 'add-number',
  title: 'Add a number',
  action: '/numbers',
  submit: 'Add number',
}

function webhookUrls(publicBaseUrl: string) {
  return {
    voice: `${publicBaseUrl}/webhooks/twilio/voice`,
    voiceStatus: `${publicBaseUrl}/webhooks/twilio/voice/status`,
    messaging: `${publicBaseUrl}/webhooks/twilio/messaging`,
    messagingStatus: `${publicBaseUrl}/webhooks/twilio/messaging/status`,
  }
}

/** Where each webhook goes in Twilio's console, and its URL key. */
const WEBHOOKS = [
  ['A call comes in', 'voice'],
  ['Call status changes', 'voiceStatus'],
  ['A message comes in', 'messaging'],
  ['Message status callback', 'messagingStatus'],
] as const

type NumberValues = { phoneNumber?: string; forwardTo?: string; label?: string }

function NumbersPage(props: {
  viewer: Viewer
  canEdit: boolean
  publicBaseUrl: string
  timezone: string
  rows: TrackingNumberJson[]
  values?: NumberValues
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
          {WEBHOOKS.map(([when, key]) => (
            <>
              <dt>{when}</dt>
              <dd>
                <code>{urls[key]}</code>
              </dd>
            </>
          ))}
        </dl>
      </section>
      <h2>Tracking numbers</h2>
      <DataTable
        rows={props.rows}
        empty="No numbers yet."
        columns={[
          { label: 'Tracking number', cell: (n) => n.phoneNumber },
          { label: 'Forwards to', cell: (n) => n.forwardTo },
          { label: 'Label', cell: (n) => n.label ?? '—' },
          {
            label: 'Added',
            cell: (n) => formatLocalDate(Date.parse(n.createdAt), props.timezone),
          },
        ]}
      />
      {props.canEdit ? (
        <FormSection {...ADD_NUMBER_FORM} error={props.error}>
          <Field
            {...bound(props, 'phoneNumber')}
            {...PHONE}
            label="Twilio tracking number"
            hint="The number patients ring, e.g. +44 113 496 0000."
          />
          <Field {...bound(props, 'forwardTo')} {...PHONE} label="Forward calls to" hint={DESK} />
          <Field {...bound(props, 'label')} label="Label (optional)" />
        </FormSection>
      ) : null}
    </Layout>
  )
}

const PHONE = { type: 'tel', required: true } as const
const DESK = "Your front desk's line."

const numbersPage = viewLoader<Extra<typeof NumbersPage>>(async (c, s, extra) => {
  const { items } = await listTrackingNumbers(c.var.db, s.clinic.id, { limit: 500 })
  const base = c.var.config.publicBaseUrl
  return <NumbersPage {...viewOf(c, s, 'numbers')} publicBaseUrl={base} rows={items} {...extra} />
})

/** GET /numbers */
export const numbersGet = page('numbers', numbersPage)

/** POST /numbers */
export const numbersPost = page('numbers', async (c, s) => {
  const form = await formOf(c)
  const values = { phoneNumber: form.phoneNumber, forwardTo: form.forwardTo, label: form.label }
  const label = (form.label ?? '').trim()
  if (label.length > 60) {
    return numbersPage(c, s, refusal(values, { label: 'Keep the label under 60 characters.' }), 400)
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
    if (err.status !== 409) return numbersPage(c, s, refusal(values, fieldErrorsOf(err)), 400)
    const inUse = { phoneNumber: 'This number is already set up in Ringback.' }
    return numbersPage(c, s, refusal(values, inUse, 'That number is already in use.'), 409)
  }
  return c.redirect('/numbers?notice=number-added', 303)
})
