/**
 * The hosted form `/f/{formId}` (what /embed.js frames, and a page that works alone) and the
 * loader `/embed.js`. Server-rendered; labels, hints and errors tied to their fields; the consent
 * choices shown with the exact words a submission records. The page sets no cookie at all and
 * loads nothing from elsewhere (Turnstile's widget only where a site key is configured: a security
 * check, strictly necessary), so it needs no cookie banner. It may be framed only by the form's
 * allowed origins (CSP frame-ancestors).
 */
import { Hono } from 'hono'
import { CHAT_SESSION_HEADER } from '../../conversations/chat-sockets'
import { openChatToken } from '../../conversations/web-chat'
import { consentWording } from '../../leads/consent'
import { guideKey, openGuideToken } from '../../leads/follow-up'
import { type FormRow, findPublicForm, originsOf } from '../../leads/forms.service'
import type { AppEnv } from '../../lib/context'
import { forbidden, notFound, ProblemError } from '../../lib/problem'
import { TURNSTILE_SCRIPT_ORIGIN, turnstileWidgetKey } from '../../lib/turnstile'
import { CHAT_JS, EMBED_JS, FORM_CSS, FORM_JS } from '../hosted-assets'
import { Document, Field } from '../layout'

const TURNSTILE_SCRIPT_URL = `${TURNSTILE_SCRIPT_ORIGIN}/turnstile/v0/api.js`

const TITLES: Record<FormRow['kind'], string> = {
  enquiry: 'Send us your question',
  guide: 'Get the guide',
  scorecard: 'What are missed calls costing you?',
  'book-call': 'Book a call back',
  chat: 'Chat with us',
}

/** The email or phone field: typed for the keyboard and autofill, required where the kind needs it. */
function ContactField(props: {
  name: 'email' | 'phone'
  required: boolean
  hint?: string | undefined
}) {
  const [label, type] = props.name === 'email' ? ['Email', 'email'] : ['Phone', 'tel']
  return (
    <Field
      live
      name={props.name}
      label={props.required ? `${label} (required)` : label}
      type={type}
      required={props.required}
      autocomplete={type === 'tel' ? 'tel' : 'email'}
      hint={props.hint}
    />
  )
}

function KindFields(props: { kind: FormRow['kind'] }) {
  switch (props.kind) {
    case 'enquiry':
      return (
        <>
          <Field live name="treatment" label="Treatment you are interested in" autocomplete="off" />
          <div>
            <label for="f-message">Your question</label>
            <textarea
              id="f-message"
              name="message"
              aria-describedby="f-message-error"
              maxlength={5000}
            />
            <p class="error-text" id="f-message-error" hidden />
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
              aria-describedby="f-photos-hint f-photos-error"
            />
            <p class="error-text" id="f-photos-error" hidden />
          </div>
        </>
      )
    case 'scorecard':
      return (
        <>
          <Field
            live
            name="callsPerWeek"
            label="Calls to your clinic a week (required)"
            type="number"
            min={0}
            max={100000}
            required
            inputmode="numeric"
          />
          <Field
            live
            name="answerRatePercent"
            label="Share of calls answered, % (required)"
            type="number"
            min={0}
            max={100}
            required
            inputmode="numeric"
            hint="If you are not sure, 70 is typical."
          />
          <Field
            live
            name="averageValue"
            label="Average value of a new patient, £ (required)"
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
          live
          name="preferredTime"
          label="When suits you for a call? (required)"
          required
          hint="e.g. Weekday mornings, or Tuesday after 3pm"
        />
      )
    case 'chat':
      return (
        <div>
          <label for="f-message">Your message (required)</label>
          <textarea
            id="f-message"
            name="message"
            required
            aria-describedby="f-message-error"
            maxlength={1000}
          />
          <p class="error-text" id="f-message-error" hidden />
        </div>
      )
    default:
      return null
  }
}

/** The live chat, shown once the start form is sent (the chat script runs it). */
function ChatPanel(props: { clinicName: string }) {
  return (
    <section id="rb-chat" class="chat" aria-labelledby="rb-chat-title" hidden>
      <h2 id="rb-chat-title">Chat with {props.clinicName}</h2>
      <p class="hint">
        An automated assistant answers first and tells you so; the team can see this chat and will
        step in. It cannot give medical advice — in an emergency call 999, or NHS 111 for urgent
        advice.
      </p>
      <ol id="rb-log" class="log" aria-live="polite" aria-label="Messages" tabindex={0} />
      <p id="rb-state" class="hint" role="status" />
      <form id="rb-say" class="say">
        <label for="rb-text">Your message</label>
        <textarea id="rb-text" name="text" required maxlength={1000} rows={2} />
        <button type="submit">Send</button>
      </form>
    </section>
  )
}

function FormPage(props: { form: FormRow; clinicName: string; turnstileSiteKey: string | null }) {
  const { form } = props
  const title = TITLES[form.kind]
  return (
    <Document
      title={title}
      assets={{
        title: `${title} · ${props.clinicName}`,
        stylesheet: '/f-assets/form.css',
        scripts: [
          '/f-assets/form.js',
          ...(form.kind === 'chat' ? ['/f-assets/chat.js'] : []),
          ...(props.turnstileSiteKey ? [TURNSTILE_SCRIPT_URL] : []),
        ],
      }}
    >
      <main>
        <h1>{title}</h1>
        <div id="rb-summary" class="summary" role="alert" tabindex={-1} hidden />
        <form
          id="rb-form"
          data-form={form.id}
          action={`/api/v1/forms/${encodeURIComponent(form.id)}/submissions`}
          method="post"
          novalidate
        >
          <Field live name="name" label="Your name (required)" required autocomplete="name" />
          <ContactField
            name="email"
            required={form.kind === 'guide'}
            hint={
              form.kind === 'guide' ? undefined : 'An email or a phone number, so we can reply.'
            }
          />
          <ContactField name="phone" required={form.kind === 'book-call'} />
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
          <button type="submit">{form.kind === 'chat' ? 'Start the chat' : 'Send'}</button>
          <noscript>
            <p>This form needs JavaScript to send. Please call the clinic instead.</p>
          </noscript>
        </form>
        <div id="rb-done" class="done" role="status" tabindex={-1} hidden>
          <p>Thank you — {props.clinicName} has your details and will be in touch.</p>
          <div id="rb-result" />
        </div>
        {form.kind === 'chat' ? <ChatPanel clinicName={props.clinicName} /> : null}
      </main>
    </Document>
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
hostedForms.get('/f-assets/chat.js', () => asset(CHAT_JS, 'text/javascript; charset=utf-8'))

hostedForms.get('/f/:formId', async (c) => {
  const form = await findPublicForm(c.var.db, c.req.param('formId'))
  const clinic = form?.clinic
  if (!form || !clinic)
    return c.html('<!doctype html><title>Not found</title><p>No such form.</p>', 404)
  const siteKey = turnstileWidgetKey(c.var.config)
  c.header('Content-Security-Policy', formPolicy(form, siteKey !== null))
  c.header('Cache-Control', 'no-store')
  return c.html(<FormPage form={form} clinicName={clinic.name} turnstileSiteKey={siteKey} />)
})

/**
 * A chat form's live conversation: the page's WebSocket, for the session its start submission
 * returned (signed, 12 hours), from the hosted page only. The clinic's Durable Object holds it
 * (hibernation; src/conversations/chat-sockets.ts).
 */
hostedForms.get('/f/:formId/chat', async (c) => {
  const { db, config } = c.var
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    throw new ProblemError(426, 'Connect to the chat with a WebSocket.')
  }
  if (c.req.header('origin') !== config.publicOrigin) {
    throw forbidden('The chat is opened from its hosted page.')
  }
  const session = await openChatToken(config, c.req.query('token') ?? '', Date.now())
  if (!session || session.formId !== c.req.param('formId')) {
    throw forbidden('This chat has ended. Please start a new one.')
  }
  const form = await findPublicForm(db, session.formId)
  if (form?.kind !== 'chat' || form.clinicId !== session.clinicId) throw notFound()
  const headers = new Headers(c.req.raw.headers)
  headers.set(CHAT_SESSION_HEADER, JSON.stringify(session))
  const res = await c.env.CLINIC.getByName(session.clinicId).fetch(c.req.url, { headers })
  if (res.status !== 101 || !res.webSocket) throw new ProblemError(429, 'Too many open chats.')
  // A fresh response: the object's has immutable headers, and the app's middleware adds some.
  return new Response(null, { status: 101, webSocket: res.webSocket })
})

/** A guide link from the email: the file in R2, or the form's guide URL; 410 once expired. */
hostedForms.get('/g/:token', async (c) => {
  const { db, config } = c.var
  const target = await openGuideToken(config, c.req.param('token'), Date.now())
  const gone = () =>
    c.html(
      '<!doctype html><title>Link expired</title><p>This link has expired or is not valid. Ask for the guide again on the clinic’s website.</p>',
      410,
    )
  if (!target) return gone()
  const form = await findPublicForm(db, target.formId)
  if (!form || form.clinicId !== target.clinicId) return gone()
  const file = await c.env.BLOBS.get(guideKey(form.clinicId, form.id))
  if (file) {
    return new Response(file.body, {
      headers: {
        'content-type': file.httpMetadata?.contentType ?? 'application/pdf',
        'content-disposition': 'inline; filename="guide.pdf"',
        'cache-control': 'private, no-store',
      },
    })
  }
  return form.guideUrl ? c.redirect(form.guideUrl, 302) : gone()
})
