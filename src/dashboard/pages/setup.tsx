/** Clinic set-up: treatments and their values, tracking numbers with webhook URLs, settings. */
import { MAX_TEMPLATE_LENGTH } from '../../clinic/settings'
import { formatLocalDate, formatPence, renderTextBack } from '../format'
import { Field, type FieldErrors, FormErrors, Layout, Notice, type Viewer } from '../layout'
import type { Clinic } from '../queries'

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

export function settingsValuesOf(clinic: Clinic, defaultTemplate: string): SettingsValues {
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
