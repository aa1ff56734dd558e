/** Signed-out pages: sign in, sign up, password reset (request and new password), invite acceptance. */
import { TURNSTILE_SCRIPT_ORIGIN } from '../../lib/turnstile'
import { AuthLayout, Field, type FieldErrors, FormErrors, Notice } from '../layout'

const TURNSTILE_SCRIPT_URL = `${TURNSTILE_SCRIPT_ORIGIN}/turnstile/v0/api.js`

export function LoginPage(props: {
  email?: string
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
  next?: string
}) {
  return (
    <AuthLayout title="Sign in">
      <Notice message={props.notice} />
      <FormErrors message={props.error} />
      <form class="stack" method="post" action="/login" novalidate>
        {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
        <Field
          name="email"
          label="Email"
          type="email"
          autocomplete="username"
          required
          value={props.email}
          errors={props.errors}
        />
        <Field
          name="password"
          label="Password"
          type="password"
          autocomplete="current-password"
          required
          errors={props.errors}
        />
        <button type="submit">Sign in</button>
      </form>
      <p>
        <a href="/reset-password">Forgotten your password?</a>
      </p>
      <p>
        New clinic? <a href="/signup">Create an account</a>
      </p>
    </AuthLayout>
  )
}

export function SignupPage(props: {
  values?: { clinicName?: string; email?: string; timezone?: string }
  error?: string | null
  errors?: FieldErrors
  /** Real Turnstile mode: the widget's site key. Null in sandbox mode: no external script at all. */
  turnstileSiteKey?: string | null
}) {
  const v = props.values ?? {}
  return (
    <AuthLayout title="Create your clinic's account">
      <FormErrors message={props.error} />
      <form class="stack" method="post" action="/signup" novalidate>
        <Field
          name="clinicName"
          label="Clinic name"
          required
          autocomplete="organization"
          value={v.clinicName}
          errors={props.errors}
        />
        <Field
          name="email"
          label="Your email"
          type="email"
          autocomplete="email"
          required
          value={v.email}
          errors={props.errors}
        />
        <Field
          name="password"
          label="Password"
          type="password"
          autocomplete="new-password"
          hint="At least 12 characters."
          required
          errors={props.errors}
        />
        <Field
          name="timezone"
          label="Time zone"
          value={v.timezone ?? 'Europe/London'}
          hint="An IANA name such as Europe/London."
          errors={props.errors}
        />
        {props.turnstileSiteKey ? (
          <>
            {/* The widget adds a hidden `cf-turnstile-response` field to this form. */}
            <div class="cf-turnstile" data-sitekey={props.turnstileSiteKey} />
            <script src={TURNSTILE_SCRIPT_URL} async defer />
          </>
        ) : null}
        <button type="submit">Create account</button>
      </form>
      <p>
        Already have an account? <a href="/login">Sign in</a>
      </p>
    </AuthLayout>
  )
}

export function ResetRequestPage(props: {
  sent?: boolean
  error?: string | null
  errors?: FieldErrors
}) {
  return (
    <AuthLayout title="Reset your password">
      {props.sent ? (
        <Notice message="If that email has an account, we have sent a link to reset its password. It works for one hour." />
      ) : null}
      <FormErrors message={props.error} />
      <form class="stack" method="post" action="/reset-password" novalidate>
        <Field
          name="email"
          label="Email"
          type="email"
          autocomplete="email"
          required
          errors={props.errors}
        />
        <button type="submit">Send reset link</button>
      </form>
      <p>
        <a href="/login">Back to sign in</a>
      </p>
    </AuthLayout>
  )
}

/** The new-password form for both a reset link and an invite link. */
export function TokenPasswordPage(props: {
  kind: 'reset' | 'invite'
  token: string
  error?: string | null
  errors?: FieldErrors
}) {
  const invite = props.kind === 'invite'
  return (
    <AuthLayout title={invite ? 'Join your team' : 'Choose a new password'}>
      <FormErrors message={props.error} />
      <form
        class="stack"
        method="post"
        action={invite ? '/accept-invite' : '/reset-password/new'}
        novalidate
      >
        <input type="hidden" name="token" value={props.token} />
        <Field
          name="password"
          label={invite ? 'Choose a password' : 'New password'}
          type="password"
          autocomplete="new-password"
          hint="At least 12 characters."
          required
          errors={props.errors}
        />
        <button type="submit">{invite ? 'Accept invite' : 'Set password'}</button>
      </form>
    </AuthLayout>
  )
}
