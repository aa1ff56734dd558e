/**
 * The hosted form `/f/{formId}` (what /embed.js frames, and a page that works alone) and the
 * loader `/embed.js`. Server-rendered; labels, hints and errors tied to their fields; the consent
 * choices shown with the exact words a submission records. The page sets no cookie at all and
 * loads nothing from elsewhere (Turnstile's widget only where a site key is configured: a security
 * check, strictly necessary), so it needs no cookie banner. It may be framed only by the form's
 * allowed origins (CSP frame-ancestors).
 */
import { Hono } from 'hono'
import { raw } from 'hono/html'
import { findClinic } from '../clinic/find'
import type { AppEnv } from '../lib/context'
import { TURNSTILE_SCRIPT_ORIGIN, turnstileWidgetKey } from '../lib/turnstile'
import { consentWording } from './consent'
import { type FormRow, findPublicForm, originsOf } from './forms.service'
import { EMBED_JS, FORM_CSS, FORM_JS } from './hosted-assets'

const TITLES: Record<FormRow['kind'], string> = {
  enquiry: 'Send us your question',
  guide: 'Get the guide',
  scorecard: 'What are missed calls costing you?',
  'book-call': 'Book a call back',
  chat: 'Chat with us',
}

function Field(props: {
  name: string
  label: string
  type?: string
  required?: boolean
  hint?: string
  autocomplete?: string
  inputmode?: 'numeric' | 'decimal' | 'tel' | 'email' | 'text'
  min?: number
  max?: number
  step?: string
}) {
  const id = `f-${props.name}`
  const describedBy = [props.hint ? `${id}-hint` : null, `err-${props.name}`]
    .filter(Boolean)
    .join(' ')
  return (
    <div>
      <label for={id}>
        {props.label}
        {props.required ? ' (required)' : ''}
      </label>
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        required={props.required}
        autocomplete={props.autocomplete}
        inputmode={props.inputmode}
        min={props.min}
        max={props.max}
        step={props.step}
        data-label={props.label}
        aria-describedby={describedBy}
      />
      <p class="error" id={`err-${props.name}`} hidden />
    </div>
  )
}

function KindFields(props: { kind: FormRow['kind'] }) {
  switch (props.kind) {
    case 'enquiry':
      return (
        <>
          <Field name="treatment" label="Treatment you are interested in" autocomplete="off" />
          <div>
            <label for="f-message">Your question</label>
            <textarea
              id="f-message"
              name="message"
              data-label="Your question"
              aria-describedby="err-message"
              maxlength={5000}
            />
            <p class="error" id="err-message" hidden />
          </div>
          <div>
            <label for="f-photos">Photos of the area (optional, up to 5)</label>
            <p class="hint" id="f-photos-hint">
              JPEG, PNG, WebP or HEIC, up to 10 MB each. We remove location details from photos.
            </p>
            <input
              id="f-photos"
              name="photos"
              type="file"
              multiple
              accept="image/jpeg,image/png,image/webp,image/heic"
              data-label="Photos"
              aria-describedby="f-photos-hint err-photos"
            />
            <p class="error" id="err-photos" hidden />
          </div>
        </>
      )
    case 'scorecard':
      return (
        <>
          <Field
            name="callsPerWeek"
            label="Calls to your clinic a week"
            type="number"
            min={0}
            max={100000}
            required
            inputmode="numeric"
          />
          <Field
            name="answerRatePercent"
            label="Share of calls answered (%)"
            type="number"
            min={0}
            max={100}
            required
            inputmode="numeric"
            hint="If you are not sure, 70 is typical."
          />
          <Field
            name="averageValue"
            label="Average value of a new patient (£)"
            type="number"
            min={0}
            step="0.01"
            required
            inputmode="decimal"
          />
        </>
      )
    case 'book-call':
      return (
        <Field
          name="preferredTime"
          label="When suits you for a call?"
          required
          hint="e.g. Weekday mornings, or Tuesday after 3pm"
        />
      )
    default:
      return null
  }
}

function FormPage(props: { form: FormRow; clinicName: string; turnstileSiteKey: string | null }) {
  const { form } = props
  const title = TITLES[form.kind]
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en-GB">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex" />
          <title>{`${title} · ${props.clinicName}`}</title>
          <link rel="stylesheet" href="/f-assets/form.css" />
          <script src="/f-assets/form.js" defer />
          {props.turnstileSiteKey ? (
            <script src={`${TURNSTILE_SCRIPT_ORIGIN}/turnstile/v0/api.js`} async defer />
          ) : null}
        </head>
        <body>
          <main>
            <h1>{title}</h1>
            {form.kind === 'chat' ? (
              <p>Web chat is not available on this page yet. Please call or message the clinic.</p>
            ) : (
              <>
                <div id="rb-summary" class="summary" role="alert" tabindex={-1} hidden />
                <form
                  id="rb-form"
                  data-form={form.id}
                  action={`/api/v1/forms/${encodeURIComponent(form.id)}/submissions`}
                  method="post"
                  novalidate
                >
                  <Field name="name" label="Your name" required autocomplete="name" />
                  <Field
                    name="email"
                    label="Email"
                    type="email"
                    required={form.kind === 'guide'}
                    autocomplete="email"
                    hint={
                      form.kind === 'guide'
                        ? undefined
                        : 'An email or a phone number, so we can reply.'
                    }
                  />
                  <Field
                    name="phone"
                    label="Phone"
                    type="tel"
                    required={form.kind === 'book-call'}
                    autocomplete="tel"
                  />
                  <KindFields kind={form.kind} />
                  <fieldset class="consent">
                    <legend>Your choices</legend>
                    <p class="hint">{consentWording('service', props.clinicName)}</p>
                    <label class="check">
                      <input type="checkbox" name="marketing" />
                      <span>{consentWording('marketing', props.clinicName)}</span>
                    </label>
                    <label class="check">
                      <input type="checkbox" name="ads" />
                      <span>{consentWording('ads', props.clinicName)}</span>
                    </label>
                  </fieldset>
                  {props.turnstileSiteKey ? (
                    <div class="cf-turnstile" data-sitekey={props.turnstileSiteKey} />
                  ) : null}
                  <button type="submit">Send</button>
                  <noscript>
                    <p>This form needs JavaScript to send. Please call the clinic instead.</p>
                  </noscript>
                </form>
                <div id="rb-done" class="done" role="status" tabindex={-1} hidden>
                  <p>Thank you — {props.clinicName} has your details and will be in touch.</p>
                  <div id="rb-result" />
                </div>
              </>
            )}
          </main>
        </body>
      </html>
    </>
  )
}

/** The CSP of a hosted form: its own files only, framed only by its allowed origins. */
function formPolicy(form: FormRow, turnstile: boolean): string {
  const ancestors = ["'self'", ...originsOf(form)].join(' ')
  const extra = turnstile ? ` ${TURNSTILE_SCRIPT_ORIGIN}` : ''
  return [
    "default-src 'none'",
    `script-src 'self'${extra}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    `frame-src${extra || " 'none'"}`,
    "form-action 'self'",
    `frame-ancestors ${ancestors}`,
    "base-uri 'none'",
  ].join('; ')
}

const asset = (body: string, type: string) =>
  new Response(body, { headers: { 'content-type': type, 'cache-control': 'public, max-age=300' } })

export const hostedForms = new Hono<AppEnv>()

hostedForms.get('/embed.js', () => asset(EMBED_JS, 'text/javascript; charset=utf-8'))
hostedForms.get('/f-assets/form.css', () => asset(FORM_CSS, 'text/css; charset=utf-8'))
hostedForms.get('/f-assets/form.js', () => asset(FORM_JS, 'text/javascript; charset=utf-8'))

hostedForms.get('/f/:formId', async (c) => {
  const form = await findPublicForm(c.var.db, c.req.param('formId'))
  const clinic = form ? await findClinic(c.var.db, form.clinicId) : null
  if (!form || !clinic)
    return c.html('<!doctype html><title>Not found</title><p>No such form.</p>', 404)
  const siteKey = turnstileWidgetKey(c.var.config)
  c.header('Content-Security-Policy', formPolicy(form, siteKey !== null))
  c.header('Cache-Control', 'no-store')
  return c.html(<FormPage form={form} clinicName={clinic.name} turnstileSiteKey={siteKey} />)
})
