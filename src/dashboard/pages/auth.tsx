/** Signed-out pages: sign in, sign up, password reset (request and new password), invite acceptance. */
import { TURNSTILE_SCRIPT_ORIGIN } from '../../lib/turnstile'
import { bound, type FormState, NEW_PASSWORD, PostForm } from '../forms'
import { AuthLayout, Field, type FieldErrors, Notice } from '../layout'

const TURNSTILE_SCRIPT_URL = `${TURNSTILE_SCRIPT_ORIGIN}/turnstile/v0/api.js`

/** The email a member signs in with (the browser's saved username). */
const EMAIL = { type: 'email', required: true, label: 'Email' } as const
const CLINIC_NAME = { label: 'Clinic name', autocomplete: 'organization', required: true } as const
const CURRENT_PASSWORD = {
  name: 'password',
  type: 'password',
  label: 'Password',
  autocomplete: 'current-password',
  required: true,
} as const

type Refused = { error?: string | null; errors?: FieldErrors }

export function LoginPage(
  props: Refused & { email?: string; notice?: string | null; next?: string },
) {
  const form: FormState<{ email?: string }> = {
    values: { email: props.email },
    errors: props.errors,
  }
  return (
    <AuthLayout title="Sign in">
      <Notice message={props.notice} />
      <PostForm action="/login" submit="Sign in" error={props.error}>
        {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
        <Field {...bound(form, 'email')} {...EMAIL} autocomplete="username" />
        <Field {...CURRENT_PASSWORD} errors={props.errors} />
      </PostForm>
      <p>
        <a href="/reset-password">Forgotten your password?</a>
      </p>
      <p>
        New clinic? <a href="/signup">Create an account</a>
      </p>
    </AuthLayout>
  )
}

export function SignupPage(
  props: Refused & {
    values?: { clinicName?: string; email?: string; timezone?: string }
    /** Real Turnstile mode: the widget's site key. Null in sandbox mode: no external script at all. */
    turnstileSiteKey?: string | null
  },
) {
  const timezone = props.values?.timezone ?? 'Europe/London'
  const form = { values: { ...props.values, timezone }, errors: props.errors }
  return (
    <AuthLayout title="Create your clinic's account">
      <PostForm action="/signup" submit="Create account" error={props.error}>
        <Field {...bound(form, 'clinicName')} {...CLINIC_NAME} />
        <Field {...bound(form, 'email')} {...EMAIL} label="Your email" autocomplete="email" />
        <Field {...NEW_PASSWORD} label="Password" errors={props.errors} />
        <Field
          {...bound(form, 'timezone')}
          label="Time zone"
          hint="An IANA name such as Europe/London."
        />
        {props.turnstileSiteKey ? (
          <>
            {/* The widget adds a hidden `cf-turnstile-response` field to this form. */}
            <div class="cf-turnstile" data-sitekey={props.turnstileSiteKey} />
            <script src={TURNSTILE_SCRIPT_URL} async defer />
          </>
        ) : null}
      </PostForm>
      <p>
        Already have an account? <a href="/login">Sign in</a>
      </p>
    </AuthLayout>
  )
}

export function ResetRequestPage(props: Refused & { sent?: boolean }) {
  return (
    <AuthLayout title="Reset your password">
      {props.sent ? (
        <Notice message="If that email has an account, we have sent a link to reset its password. It works for one hour." />
      ) : null}
      <PostForm action="/reset-password" submit="Send reset link" error={props.error}>
        <Field name="email" {...EMAIL} autocomplete="email" errors={props.errors} />
      </PostForm>
      <p>
        <a href="/login">Back to sign in</a>
      </p>
    </AuthLayout>
  )
}

/** The new-password form for both a reset link and an invite link. */
export function TokenPasswordPage(props: Refused & { kind: 'reset' | 'invite'; token: string }) {
  const invite = props.kind === 'invite'
  return (
    <AuthLayout title={invite ? 'Join your team' : 'Choose a new password'}>
      <PostForm
        action={invite ? '/accept-invite' : '/reset-password/new'}
        submit={invite ? 'Accept invite' : 'Set password'}
        error={props.error}
      >
        <input type="hidden" name="token" value={props.token} />
        <Field
          {...NEW_PASSWORD}
          label={invite ? 'Choose a password' : 'New password'}
          errors={props.errors}
        />
      </PostForm>
    </AuthLayout>
  )
}
