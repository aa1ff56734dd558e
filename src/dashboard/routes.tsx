/**
 * The clinic dashboard: server-rendered hono/jsx pages. Mounted at `/` after everything else, so
 * its middleware is registered on its own paths only (never `*`): webhooks and the JSON API
 * must not pass through the dashboard's CSRF check or redirects.
 *
 * Every page: strict CSP (no inline script or style), `no-store`, a Server-Timing entry with the
 * Worker's render time. Signed-out visitors go to /login; a role without access gets a 403 page;
 * analysts are read-only (every POST but sign-out is 403). Forms are urlencoded and checked by
 * hono/csrf (Origin / Sec-Fetch-Site); bad input re-renders the form with inline messages.
 */
import { Hono, type MiddlewareHandler } from 'hono'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import { secureHeaders } from 'hono/secure-headers'
import { audit } from '../audit/audit'
import { acceptInvite, resetPassword, schedulePasswordReset, signUp } from '../auth/service'
import { endSession, rememberDevice, resolveSession, startSession } from '../auth/sessions'
import { signIn } from '../auth/sign-in'
import * as conversationsService from '../conversations/conversations.service'
import { type AppEnv, actorOf } from '../lib/context'
import { logError } from '../lib/logger'
import { ProblemError } from '../lib/problem'
import { clientIpOf } from '../lib/rate-limit'
import { safeNextPath } from '../lib/redirect'
import { TURNSTILE_FIELD, TURNSTILE_SCRIPT_ORIGIN, turnstileWidgetKey } from '../lib/turnstile'
import { APP_CSS, APP_ICON, APP_JS } from './assets'
import { type Ctx, fieldErrorsOf, formOf, notice, renderError } from './page-kit'
import { apiKeyRevokePost, apiKeysGet, apiKeysPost } from './pages/api-keys.page'
import { appointmentDetailPage, appointmentsListPage } from './pages/appointments.page'
import { auditGet } from './pages/audit.page'
import { LoginPage, ResetRequestPage, SignupPage, TokenPasswordPage } from './pages/auth'
import {
  automationDeletePost,
  automationEditGet,
  automationEditPost,
  automationsGet,
  automationsPost,
  automationTogglePost,
} from './pages/automations.page'
import { billingCheckoutPost, billingGet, billingPortalPost } from './pages/billing.page'
import { bookPost, callPage, callRecording } from './pages/call.page'
import { callsListPage } from './pages/calls.page'
import {
  conversationBookPost,
  conversationCallPost,
  conversationRedirect,
} from './pages/conversation.page'
import { conversionsGet } from './pages/conversions.page'
import { formsGet, formsPost } from './pages/forms.page'
import { inboxHandlers } from './pages/inbox.handlers'
import {
  leadBookPost,
  leadPage,
  leadPhoto,
  leadReplyPost,
  leadStatusPost,
  leadsListPage,
} from './pages/leads.page'
import { numbersGet, numbersPost } from './pages/numbers.page'
import { operatorGet } from './pages/operator.page'
import { outboxGet } from './pages/outbox.page'
import { overviewPage } from './pages/overview.page'
import { privacyGet, privacyPost } from './pages/privacy.page'
import { privacyNoticeGet } from './pages/privacy-notice.page'
import { settingsGet, settingsPost } from './pages/settings.page'
import { teamAlertsPost, teamGet, teamPost } from './pages/team.page'
import { treatmentsGet, treatmentsPost } from './pages/treatments.page'
import { callBackPost, resolvePost, worklistPage } from './pages/worklist.page'

/** Every path the dashboard answers; its middleware is bound to these alone. */
const PATHS = [
  '/',
  '/login',
  '/signup',
  '/logout',
  '/reset-password',
  '/reset-password/new',
  '/accept-invite',
  '/invite/:token',
  '/calls',
  '/calls/waiting',
  '/calls/:id',
  '/calls/:id/recording',
  '/calls/:id/call-back',
  '/calls/:id/resolve',
  '/calls/:id/book',
  '/inbox',
  '/leads',
  '/leads/:id',
  '/leads/:id/status',
  '/leads/:id/book',
  '/leads/:id/reply',
  '/leads/:id/photos/:photoId',
  '/automations',
  '/billing',
  '/operator',
  '/billing/checkout',
  '/billing/portal',
  '/automations/:id',
  '/automations/:id/toggle',
  '/automations/:id/delete',
  '/forms',
  '/conversions',
  '/inbox/:id',
  '/inbox/:id/reply',
  '/inbox/:id/status',
  '/inbox/:id/assign',
  '/conversations/:id',
  '/conversations/:id/call',
  '/conversations/:id/book',
  '/appointments',
  '/appointments/:id',
  '/treatments',
  '/numbers',
  '/settings',
  '/team',
  '/team/:id/alerts',
  '/api-keys',
  '/api-keys/:id/revoke',
  '/outbox',
  '/privacy',
  '/audit',
] as const

const pageHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    // The Forms page previews a hosted form (/f/{id}) in a frame.
    frameSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
  xFrameOptions: 'DENY',
  referrerPolicy: 'same-origin',
  // HSTS is decided per request below (only where PUBLIC_BASE_URL is https).
  strictTransportSecurity: false,
  crossOriginEmbedderPolicy: false,
})

/** Render timing, no-store and HSTS-on-https for every dashboard response. */
const pageTiming: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = performance.now()
  await next()
  const ms = performance.now() - started
  c.res.headers.append('Server-Timing', `render;dur=${ms.toFixed(1)}`)
  if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store')
  if (c.var.config.secureCookies) {
    c.res.headers.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains')
  } else {
    // Plain-http local development: HSTS would pin localhost to https for two years.
    c.res.headers.delete('Strict-Transport-Security')
  }
}

const formCsrf = csrf({ origin: (origin, c) => origin === (c as Ctx).var.config.publicOrigin })

/** Only urlencoded (or multipart) bodies are accepted by dashboard forms: hono/csrf checks exactly those. */
const formsOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? ''
    if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) {
      return renderError(c, 415, 'Forms must be submitted from the dashboard.')
    }
  }
  await next()
}

export const dashboardRouter = new Hono<AppEnv>()

dashboardRouter.get('/assets/app.css', (c) => asset(c, APP_CSS, 'text/css; charset=utf-8'))
dashboardRouter.get('/assets/app.js', (c) => asset(c, APP_JS, 'text/javascript; charset=utf-8'))
// Browsers ask for /favicon.ico unprompted; both names serve the one SVG icon.
for (const path of ['/favicon.svg', '/favicon.ico']) {
  dashboardRouter.get(path, (c) => asset(c, APP_ICON, 'image/svg+xml'))
}

/** The signup page's Turnstile widget (real mode only): its script and frame come from Cloudflare. */
const turnstileSiteKey = (c: Ctx) => turnstileWidgetKey(c.var.config)

// Registered before the shared middleware so it runs outermost, after the CSP is set.
dashboardRouter.use('/signup', async (c, next) => {
  await next()
  const csp = c.res.headers.get('content-security-policy')
  if (!csp || !turnstileSiteKey(c)) return
  c.res.headers.set(
    'content-security-policy',
    csp
      .replace("script-src 'self'", `script-src 'self' ${TURNSTILE_SCRIPT_ORIGIN}`)
      .replace("default-src 'none'", `default-src 'none'; frame-src ${TURNSTILE_SCRIPT_ORIGIN}`),
  )
})

for (const path of PATHS) dashboardRouter.use(path, pageTiming, pageHeaders, formsOnly, formCsrf)

dashboardRouter.onError((err, c) => {
  if (err instanceof HTTPException && err.status === 403) {
    return renderError(
      c,
      403,
      'This form was not sent from the dashboard, so it was refused. Reload the page and try again.',
    )
  }
  if (err instanceof ProblemError && err.status < 500) {
    return renderError(c, err.status, err.detail ?? 'That did not work.')
  }
  const errorId = logError('dashboard', err, { route: c.req.routePath, method: c.req.method })
  return renderError(
    c,
    500,
    `Something went wrong on our side. Please try again (reference ${errorId}).`,
  )
})

function asset(c: Ctx, body: string, type: string) {
  // Versioned URLs (?v=<hash>) can be cached for a year; the bare URL revalidates daily.
  const versioned = c.req.query('v') !== undefined
  return c.body(body, 200, {
    'content-type': type,
    'cache-control': versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=86400',
    'x-content-type-options': 'nosniff',
  })
}

// ---------------------------------------------------------------------------------------------
// Signed-out pages

dashboardRouter.get('/login', async (c) => {
  if (await resolveSession(c)) return c.redirect('/', 303)
  const next = safeNextPath(c.req.query('next'))
  return c.html(<LoginPage notice={notice(c)} next={next === '/' ? undefined : next} />)
})

/** `Retry-After` seconds in words for the sign-in page ("15 minutes", "a minute"). */
function waitWords(retryAfter: string | undefined): string {
  const minutes = Math.max(1, Math.ceil(Number(retryAfter ?? 60) / 60))
  return minutes === 1 ? 'a minute' : `${minutes} minutes`
}

dashboardRouter.post('/login', async (c) => {
  const form = await formOf(c)
  const next = safeNextPath(form.next)
  try {
    await signIn(c, { email: form.email ?? '', password: form.password ?? '' })
    return c.redirect(next, 303)
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err
    const status = err.status === 429 ? 429 : err.status === 400 ? 400 : 401
    if (status === 429) c.header('Retry-After', err.headers['retry-after'] ?? '60')
    return c.html(
      <LoginPage
        email={form.email}
        next={next === '/' ? undefined : next}
        error={
          status === 429
            ? `Too many failed attempts. Wait ${waitWords(err.headers['retry-after'])} and try again, or reset your password.`
            : status === 400
              ? 'Enter your email and password.'
              : 'The email or password is not correct.'
        }
        errors={status === 400 ? fieldErrorsOf(err) : {}}
      />,
      status,
    )
  }
})

dashboardRouter.get('/signup', async (c) => {
  if (await resolveSession(c)) return c.redirect('/', 303)
  return c.html(<SignupPage turnstileSiteKey={turnstileSiteKey(c)} />)
})

dashboardRouter.post('/signup', async (c) => {
  const form = await formOf(c)
  const values = { clinicName: form.clinicName, email: form.email, timezone: form.timezone }
  try {
    const result = await signUp(
      c.var.db,
      c.var.config,
      c.env,
      {
        clinicName: form.clinicName ?? '',
        email: form.email ?? '',
        password: form.password ?? '',
        ...(form.timezone ? { timezone: form.timezone } : {}),
        [TURNSTILE_FIELD]: form[TURNSTILE_FIELD],
      },
      { ip: clientIpOf(c) },
    )
    await startSession(c, result.user)
    await rememberDevice(c, result.user.email)
    return c.redirect('/', 303)
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status >= 500) throw err
    const status = ([403, 409, 429] as const).find((s) => s === err.status) ?? 400
    if (status === 429) c.header('Retry-After', err.headers['retry-after'] ?? '60')
    return c.html(
      <SignupPage
        values={values}
        turnstileSiteKey={turnstileSiteKey(c)}
        error={status === 400 ? 'Please correct the fields marked below.' : err.detail}
        errors={fieldErrorsOf(err)}
      />,
      status,
    )
  }
})

dashboardRouter.post('/logout', async (c) => {
  const principal = await resolveSession(c)
  await endSession(c, principal?.sessionTokenHash)
  if (principal) {
    await audit(c.env, principal.clinicId, {
      actor: actorOf(principal),
      action: 'auth.logout',
      target: actorOf(principal),
    })
  }
  return c.redirect('/login?notice=signed-out', 303)
})

dashboardRouter.get('/reset-password', (c) => {
  const token = c.req.query('token')
  if (token) return c.html(<TokenPasswordPage kind="reset" token={token} />)
  return c.html(<ResetRequestPage />)
})

dashboardRouter.post('/reset-password', async (c) => {
  const form = await formOf(c)
  try {
    await schedulePasswordReset(
      c.var.db,
      c.var.config,
      c.env,
      { email: form.email ?? '' },
      { client: { ip: clientIpOf(c) }, waitUntil: (work) => c.executionCtx.waitUntil(work) },
    )
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status >= 500) throw err
    if (err.status === 429) {
      c.header('Retry-After', err.headers['retry-after'] ?? '60')
      return c.html(<ResetRequestPage error={err.detail} />, 429)
    }
    return c.html(
      <ResetRequestPage error="Enter a valid email address." errors={fieldErrorsOf(err)} />,
      400,
    )
  }
  // The same answer whether or not the account exists: no account enumeration.
  return c.html(<ResetRequestPage sent />)
})

dashboardRouter.post('/reset-password/new', async (c) => {
  const form = await formOf(c)
  const token = form.token ?? ''
  try {
    await resetPassword(
      c.var.db,
      c.var.config,
      c.env,
      { token, password: form.password ?? '' },
      { ip: clientIpOf(c) },
    )
    return c.redirect('/login?notice=password-reset', 303)
  } catch (err) {
    return tokenPasswordRefused(c, 'reset', token, err)
  }
})

/** The token-and-password form again, after the service refused it (400, or 429 with Retry-After). */
function tokenPasswordRefused(c: Ctx, kind: 'invite' | 'reset', token: string, err: unknown) {
  if (!(err instanceof ProblemError) || err.status >= 500) throw err
  const errors = fieldErrorsOf(err)
  const limited = err.status === 429
  if (limited) c.header('Retry-After', err.headers['retry-after'] ?? '60')
  return c.html(
    <TokenPasswordPage
      kind={kind}
      token={token}
      error={limited ? err.detail : (errors.token ?? 'Please choose a valid password.')}
      errors={errors}
    />,
    limited ? 429 : 400,
  )
}

function invitePage(c: Ctx, token: string | undefined) {
  if (!token) return renderError(c, 404, 'This invite link is incomplete. Ask for a new invite.')
  return c.html(<TokenPasswordPage kind="invite" token={token} />)
}

dashboardRouter.get('/accept-invite', (c) => invitePage(c, c.req.query('token')))
dashboardRouter.get('/invite/:token', (c) => invitePage(c, c.req.param('token')))

dashboardRouter.post('/accept-invite', async (c) => {
  const form = await formOf(c)
  const token = form.token ?? ''
  try {
    const user = await acceptInvite(
      c.var.db,
      c.var.config,
      c.env,
      { token, password: form.password ?? '' },
      { ip: clientIpOf(c) },
    )
    await startSession(c, user)
    return c.redirect('/', 303)
  } catch (err) {
    return tokenPasswordRefused(c, 'invite', token, err)
  }
})

// ---------------------------------------------------------------------------------------------
// Pages (each in ./pages/<group>.page.tsx: its loader, reading through the features' services,
// and its view)

/** The inbox's pages over the one conversations service (the JSON API's too). */
const inbox = inboxHandlers(conversationsService)

dashboardRouter.get('/', overviewPage)
dashboardRouter.get('/calls', callsListPage)
dashboardRouter.get('/calls/waiting', worklistPage)
dashboardRouter.get('/calls/:id', callPage)
dashboardRouter.get('/calls/:id/recording', callRecording)
dashboardRouter.post('/calls/:id/call-back', callBackPost)
dashboardRouter.post('/calls/:id/resolve', resolvePost)
dashboardRouter.post('/calls/:id/book', bookPost)
dashboardRouter.get('/inbox', inbox.inboxPage)
dashboardRouter.get('/inbox/:id', inbox.conversationPage)
dashboardRouter.post('/inbox/:id/reply', inbox.replyPost)
dashboardRouter.post('/inbox/:id/status', inbox.statusPost)
dashboardRouter.post('/inbox/:id/assign', inbox.assignPost)
dashboardRouter.get('/conversations/:id', conversationRedirect)
dashboardRouter.post('/conversations/:id/call', conversationCallPost)
dashboardRouter.post('/conversations/:id/book', conversationBookPost)
dashboardRouter.get('/appointments', appointmentsListPage)
dashboardRouter.get('/appointments/:id', appointmentDetailPage)
dashboardRouter.get('/treatments', treatmentsGet)
dashboardRouter.post('/treatments', treatmentsPost)
dashboardRouter.get('/numbers', numbersGet)
dashboardRouter.post('/numbers', numbersPost)
dashboardRouter.get('/settings', settingsGet)
dashboardRouter.post('/settings', settingsPost)
dashboardRouter.get('/team', teamGet)
dashboardRouter.post('/team', teamPost)
dashboardRouter.post('/team/:id/alerts', teamAlertsPost)
dashboardRouter.get('/api-keys', apiKeysGet)
dashboardRouter.post('/api-keys', apiKeysPost)
dashboardRouter.post('/api-keys/:id/revoke', apiKeyRevokePost)
dashboardRouter.get('/outbox', outboxGet)
dashboardRouter.get('/leads', leadsListPage)
dashboardRouter.get('/leads/:id', leadPage)
dashboardRouter.post('/leads/:id/status', leadStatusPost)
dashboardRouter.post('/leads/:id/book', leadBookPost)
dashboardRouter.post('/leads/:id/reply', leadReplyPost)
dashboardRouter.get('/leads/:id/photos/:photoId', leadPhoto)
dashboardRouter.get('/forms', formsGet)
dashboardRouter.get('/conversions', conversionsGet)
dashboardRouter.post('/forms', formsPost)
dashboardRouter.get('/billing', billingGet)
dashboardRouter.get('/operator', operatorGet)
dashboardRouter.post('/billing/checkout', billingCheckoutPost)
dashboardRouter.post('/billing/portal', billingPortalPost)
dashboardRouter.get('/automations', automationsGet)
dashboardRouter.post('/automations', automationsPost)
dashboardRouter.get('/automations/:id', automationEditGet)
dashboardRouter.post('/automations/:id', automationEditPost)
dashboardRouter.post('/automations/:id/toggle', automationTogglePost)
dashboardRouter.post('/automations/:id/delete', automationDeletePost)
dashboardRouter.get('/privacy-notice', privacyNoticeGet)
dashboardRouter.get('/privacy', privacyGet)
dashboardRouter.post('/privacy', privacyPost)
dashboardRouter.get('/audit', auditGet)
