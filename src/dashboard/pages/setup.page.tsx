/**
 * Clinic set-up: treatments and their values, tracking numbers with webhook URLs, settings.
 * Loaders and forms go through src/clinic/setup.ts, the functions the JSON API calls.
 */
import { z } from 'zod'
import {
  MAX_HOLD_OUT_PERCENT,
  MAX_TEMPLATE_LENGTH,
  RETENTION_MAX_DAYS,
} from '../../clinic/settings'
import {
  addTrackingNumber,
  addTreatment,
  type ClinicRow,
  listTrackingNumbers,
  listTreatments,
  updateClinic,
} from '../../clinic/setup'
import { ProblemError } from '../../lib/problem'
import { DEFAULT_TEXT_BACK_TEMPLATE } from '../../textback/request'
import { canEdit } from '../access'
import { formatLocalDate, formatPence, renderTextBack } from '../format'
import { Field, type FieldErrors, FormErrors, Layout, Notice, type Viewer } from '../layout'
import {
  type Ctx,
  fieldErrorsOf,
  formOf,
  guard,
  isResponse,
  notice,
  type PageState,
  parsePounds,
  zodFieldErrors,
} from '../page-kit'

export function TreatmentsPage(props: {
  viewer: Viewer
  canEdit: boolean
  rows: { id: string; name: string; valuePence: number }[]
  defaultValuePence: number
  values?: { name?: string; value?: string }
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
}) {
  return (
    <Layout title="Treatments" viewer={props.viewer} active="treatments">
      <Notice message={props.notice} />
      <p>
        {`A recovered booking counts at its own value, else its treatment's value below, else the clinic default of ${formatPence(props.defaultValuePence)}.`}
      </p>
      {props.rows.length === 0 ? (
        <p>No treatments yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Treatment</th>
                <th scope="col" class="num">
                  Value
                </th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((t) => (
                <tr>
                  <td>{t.name}</td>
                  <td class="num">{formatPence(t.valuePence)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.canEdit ? (
        <section aria-labelledby="add-treatment">
          <h2 id="add-treatment">Add a treatment</h2>
          <FormErrors message={props.error} />
          <form class="stack card" method="post" action="/treatments" novalidate>
            <Field
              name="name"
              label="Name"
              required
              value={props.values?.name}
              errors={props.errors}
            />
            <Field
              name="value"
              label="Value (£)"
              inputmode="decimal"
              hint="For example 450 or 79.99."
              required
              value={props.values?.value}
              errors={props.errors}
            />
            <button type="submit">Add treatment</button>
          </form>
        </section>
      ) : null}
    </Layout>
  )
}

/** The Twilio webhook URLs a clinic pastes into its number's configuration. */
export function webhookUrls(publicBaseUrl: string) {
  return {
    voice: `${publicBaseUrl}/webhooks/twilio/voice`,
    voiceStatus: `${publicBaseUrl}/webhooks/twilio/voice/status`,
    messaging: `${publicBaseUrl}/webhooks/twilio/messaging`,
    messagingStatus: `${publicBaseUrl}/webhooks/twilio/messaging/status`,
  }
}

export function NumbersPage(props: {
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
        <div class="table-wrap">
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">Tracking number</th>
                <th scope="col">Forwards to</th>
                <th scope="col">Label</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((n) => (
                <tr>
                  <td data-label="Tracking number">{n.phoneNumber}</td>
                  <td data-label="Forwards to">{n.forwardTo}</td>
                  <td data-label="Label">{n.label ?? '—'}</td>
                  <td data-label="Added">{formatLocalDate(n.createdAt, props.timezone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
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

export type SettingsValues = {
  name: string
  textBackEnabled: boolean
  textBackTemplate: string
  callScreening: boolean
  attributionWindowDays: string | number
  holdOutPercent: string | number
  defaultAppointmentValue: string
  retentionCallDays: string | number
  retentionRecordingDays: string | number
  retentionEnquiryDays: string | number
}

export function settingsValuesOf(clinic: ClinicRow, defaultTemplate: string): SettingsValues {
  return {
    name: clinic.name,
    textBackEnabled: clinic.textBackEnabled,
    textBackTemplate: clinic.textBackTemplate ?? defaultTemplate,
    callScreening: clinic.callScreening,
    attributionWindowDays: clinic.attributionWindowDays,
    holdOutPercent: clinic.holdOutPercent,
    defaultAppointmentValue: (clinic.defaultAppointmentValuePence / 100).toFixed(2),
    retentionCallDays: clinic.retentionCallDays,
    retentionRecordingDays: clinic.retentionRecordingDays,
    retentionEnquiryDays: clinic.retentionEnquiryDays,
  }
}

function Checkbox(props: {
  name: string
  label: string
  checked: boolean
  disabled: boolean
  hint?: string
}) {
  return (
    <div class="field">
      <label class="checkbox" for={`f-${props.name}`}>
        <input
          id={`f-${props.name}`}
          type="checkbox"
          name={props.name}
          value="on"
          checked={props.checked}
          disabled={props.disabled}
          aria-describedby={props.hint ? `f-${props.name}-hint` : undefined}
        />
        {props.label}
      </label>
      {props.hint ? (
        <p class="hint" id={`f-${props.name}-hint`}>
          {props.hint}
        </p>
      ) : null}
    </div>
  )
}

export function SettingsPage(props: {
  viewer: Viewer
  canEdit: boolean
  clinicName: string
  values: SettingsValues
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
}) {
  const v = props.values
  const ro = !props.canEdit
  const templateError = props.errors?.textBackTemplate
  const body = (
    <>
      <fieldset class="card">
        <legend>Clinic</legend>
        <Field name="name" label="Clinic name" value={v.name} errors={props.errors} required />
        <Field
          name="defaultAppointmentValue"
          label="Default appointment value (£)"
          inputmode="decimal"
          value={v.defaultAppointmentValue}
          hint="Counted for a recovered booking with no value and no treatment."
          errors={props.errors}
        />
      </fieldset>
      <fieldset class="card">
        <legend>Text-back</legend>
        <Checkbox
          name="textBackEnabled"
          label="Text missed mobile callers back"
          checked={v.textBackEnabled}
          disabled={ro}
        />
        <div class="field">
          <label for="text-back-template">Message</label>
          <p class="hint" id="text-back-template-hint">
            {`Up to ${MAX_TEMPLATE_LENGTH} characters. {clinic} becomes your clinic’s name.`}
          </p>
          <textarea
            id="text-back-template"
            name="textBackTemplate"
            maxlength={MAX_TEMPLATE_LENGTH}
            rows={4}
            readonly={ro}
            aria-invalid={templateError ? 'true' : undefined}
            aria-describedby={`text-back-template-hint${templateError ? ' text-back-template-error' : ''}`}
          >
            {v.textBackTemplate}
          </textarea>
          {templateError ? (
            <p class="error-text" id="text-back-template-error">
              {templateError}
            </p>
          ) : null}
        </div>
        <p class="hint" id="preview-label">
          Preview
        </p>
        <output
          id="text-back-preview"
          class="preview"
          data-clinic={props.clinicName}
          aria-labelledby="preview-label"
          aria-live="polite"
          for="text-back-template"
        >
          {renderTextBack(v.textBackTemplate, props.clinicName)}
        </output>
      </fieldset>
      <fieldset class="card">
        <legend>Calls and attribution</legend>
        <Checkbox
          name="callScreening"
          label="Screen forwarded calls (staff press a key to accept)"
          checked={v.callScreening}
          disabled={ro}
          hint="Stops a personal voicemail from counting as answered."
        />
        <Field
          name="attributionWindowDays"
          label="Attribution window (days)"
          type="number"
          min={1}
          max={90}
          value={v.attributionWindowDays}
          hint="A booking within this many days of a missed call can be credited to it."
          errors={props.errors}
        />
        <Field
          name="holdOutPercent"
          label="Hold-out (%)"
          type="number"
          min={0}
          max={50}
          value={v.holdOutPercent}
          hint="Share of eligible missed callers who get no text-back, to measure its uplift. 0 turns it off."
          errors={props.errors}
        />
      </fieldset>
      <fieldset class="card">
        <legend>Retention</legend>
        <Field
          name="retentionCallDays"
          label="Keep call records (days)"
          type="number"
          min={1}
          max={90}
          value={v.retentionCallDays}
          hint="At most 90."
          errors={props.errors}
        />
        <Field
          name="retentionRecordingDays"
          label="Keep call recordings (days)"
          type="number"
          min={1}
          max={365}
          value={v.retentionRecordingDays}
          hint="At most 365."
          errors={props.errors}
        />
        <Field
          name="retentionEnquiryDays"
          label="Keep enquiries and conversations (days)"
          type="number"
          min={1}
          max={730}
          value={v.retentionEnquiryDays}
          hint="At most 730, counted from the last interaction."
          errors={props.errors}
        />
      </fieldset>
    </>
  )
  return (
    <Layout title="Settings" viewer={props.viewer} active="settings" script>
      <Notice message={props.notice} />
      <FormErrors message={props.error} />
      {props.canEdit ? (
        <form class="stack" method="post" action="/settings" novalidate>
          {body}
          <button type="submit">Save settings</button>
        </form>
      ) : (
        <>
          <p class="alert alert-warn">Your role can view these settings but not change them.</p>
          <fieldset class="stack" disabled>
            <legend class="visually-hidden">Settings (read-only)</legend>
            {body}
          </fieldset>
        </>
      )}
    </Layout>
  )
}

// --- Loaders and forms -----------------------------------------------------------------------

async function treatmentsPage(
  c: Ctx,
  s: PageState,
  extra: Partial<Parameters<typeof TreatmentsPage>[0]> = {},
  status: 200 | 400 = 200,
) {
  // Every treatment fits one page (a price list, not a log); shown by name.
  const { items } = await listTreatments(c.var.db, s.clinic.id, { limit: 500 })
  const rows = [...items].sort((a, b) => a.name.localeCompare(b.name))
  return c.html(
    <TreatmentsPage
      viewer={s.viewer}
      canEdit={canEdit(s.principal.role, 'treatments')}
      rows={rows}
      defaultValuePence={s.clinic.defaultAppointmentValuePence}
      notice={notice(c)}
      {...extra}
    />,
    status,
  )
}

/** GET /treatments */
export async function treatmentsGet(c: Ctx) {
  const s = await guard(c, 'treatments')
  if (isResponse(s)) return s
  return treatmentsPage(c, s)
}

/** POST /treatments */
export async function treatmentsPost(c: Ctx) {
  const s = await guard(c, 'treatments')
  if (isResponse(s)) return s
  const form = await formOf(c)
  const name = (form.name ?? '').trim()
  const valuePence = parsePounds(form.value ?? '')
  const errors: FieldErrors = {}
  if (name.length < 1 || name.length > 120)
    errors.name = 'Give the treatment a name (up to 120 characters).'
  if (valuePence === null) errors.value = 'Enter an amount in pounds, such as 450 or 79.99.'
  if (errors.name || errors.value || valuePence === null) {
    return treatmentsPage(
      c,
      s,
      {
        values: { name: form.name, value: form.value },
        errors,
        error: 'Please correct the fields marked below.',
        notice: null,
      },
      400,
    )
  }
  await addTreatment(c.var.db, c.env, s.principal, { name, valuePence })
  return c.redirect('/treatments?notice=treatment-added', 303)
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
export async function numbersGet(c: Ctx) {
  const s = await guard(c, 'numbers')
  if (isResponse(s)) return s
  return numbersPage(c, s)
}

/** POST /numbers */
export async function numbersPost(c: Ctx) {
  const s = await guard(c, 'numbers')
  if (isResponse(s)) return s
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
}

const intIn = (min: number, max: number, what: string) =>
  z.coerce
    .number({ message: `Enter a whole number of ${what}.` })
    .int(`Enter a whole number of ${what}.`)
    .min(min, `Use ${min} or more.`)
    .max(max, `Use at most ${max}.`)

/** The settings form, as posted (checkboxes are present only when ticked). */
export const SettingsFormSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Give the clinic a name.')
    .max(120, 'Keep the name under 120 characters.'),
  textBackEnabled: z.literal('on').optional(),
  textBackTemplate: z
    .string()
    .trim()
    .min(1, 'Write the message, or untick text-back to turn it off.')
    .max(MAX_TEMPLATE_LENGTH, `Keep the message to ${MAX_TEMPLATE_LENGTH} characters (two texts).`),
  callScreening: z.literal('on').optional(),
  attributionWindowDays: intIn(1, 90, 'days'),
  holdOutPercent: intIn(0, MAX_HOLD_OUT_PERCENT, 'percent'),
  defaultAppointmentValue: z
    .string()
    .refine((v) => parsePounds(v) !== null, 'Enter an amount in pounds, such as 150.'),
  retentionCallDays: intIn(1, RETENTION_MAX_DAYS.callDays, 'days'),
  retentionRecordingDays: intIn(1, RETENTION_MAX_DAYS.recordingDays, 'days'),
  retentionEnquiryDays: intIn(1, RETENTION_MAX_DAYS.enquiryDays, 'days'),
})

/** GET /settings */
export async function settingsGet(c: Ctx) {
  const s = await guard(c, 'settings')
  if (isResponse(s)) return s
  return c.html(
    <SettingsPage
      viewer={s.viewer}
      canEdit={canEdit(s.principal.role, 'settings')}
      clinicName={s.clinic.name}
      values={settingsValuesOf(s.clinic, DEFAULT_TEXT_BACK_TEMPLATE)}
      notice={notice(c)}
    />,
  )
}

/** POST /settings */
export async function settingsPost(c: Ctx) {
  const s = await guard(c, 'settings')
  if (isResponse(s)) return s
  const form = await formOf(c)
  const parsed = SettingsFormSchema.safeParse(form)
  if (!parsed.success) {
    return c.html(
      <SettingsPage
        viewer={s.viewer}
        canEdit
        clinicName={s.clinic.name}
        values={{
          ...settingsValuesOf(s.clinic, DEFAULT_TEXT_BACK_TEMPLATE),
          ...form,
          textBackEnabled: form.textBackEnabled === 'on',
          callScreening: form.callScreening === 'on',
        }}
        error="Please correct the fields marked below."
        errors={zodFieldErrors(parsed.error)}
      />,
      400,
    )
  }
  const v = parsed.data
  await updateClinic(c.var.db, c.env, s.principal, {
    name: v.name,
    defaultAppointmentValuePence: parsePounds(v.defaultAppointmentValue)!,
    textBack: { enabled: v.textBackEnabled === 'on', template: v.textBackTemplate },
    callScreening: v.callScreening === 'on',
    attributionWindowDays: v.attributionWindowDays,
    holdOutPercent: v.holdOutPercent,
    retention: {
      callDays: v.retentionCallDays,
      recordingDays: v.retentionRecordingDays,
      enquiryDays: v.retentionEnquiryDays,
    },
  })
  return c.redirect('/settings?notice=saved', 303)
}
