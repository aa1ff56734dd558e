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
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import { secureHeaders } from 'hono/secure-headers'
import { z } from 'zod'
import { audit } from '../audit/audit'
import {
  acceptInvite,
  createInvite,
  logIn,
  resetPassword,
  schedulePasswordReset,
  signUp,
} from '../auth/service'
import {
  endSession,
  readDeviceMark,
  rememberDevice,
  resolveSession,
  startSession,
} from '../auth/sessions'
import { createApiKey, listApiKeys, listTeam, revokeApiKey } from '../auth/team'
import { MAX_HOLD_OUT_PERCENT, MAX_TEMPLATE_LENGTH, RETENTION_MAX_DAYS } from '../clinic/settings'
import { addTrackingNumber, addTreatment, updateClinic } from '../clinic/setup'
import { type AppEnv, actorOf, type Principal, type Role } from '../lib/context'
import { withDurableRetry } from '../lib/durable'
import { logError } from '../lib/logger'
import { decodeCursor, encodeCursor } from '../lib/pagination'
import { ProblemError } from '../lib/problem'
import { clientIpOf } from '../lib/rate-limit'
import { safeNextPath } from '../lib/redirect'
import { TURNSTILE_FIELD, TURNSTILE_SCRIPT_ORIGIN, turnstileWidgetKey } from '../lib/turnstile'
import { addDays, isCalendarDate, startOfLocalDay } from '../metrics/local-time'
import { clinicKeyring } from '../privacy/crypto'
import { createPrivacyRequest } from '../privacy/requests'
import { DEFAULT_TEXT_BACK_TEMPLATE } from '../textback/request'
import { canEdit, canView, type PageKey } from './access'
import { APP_CSS, APP_ICON, APP_JS } from './assets'
import { ErrorPage, type FieldErrors, type Viewer } from './layout'
import { AppointmentPage, AppointmentsPage, CallsPage, type CallsQuery } from './pages/activity'
import { ApiKeysPage, AuditPage, OutboxPage, PrivacyPage, TeamPage } from './pages/admin'
import { LoginPage, ResetRequestPage, SignupPage, TokenPasswordPage } from './pages/auth'
import { OverviewPage } from './pages/overview'
import { NumbersPage, SettingsPage, settingsValuesOf, TreatmentsPage } from './pages/setup'
import {
  type Clinic,
  getAppointment,
  getClinic,
  listAppointments,
  listCalls,
  listNumbers,
  listOutbox,
  listPrivacyRequests,
  listPurges,
  listTreatments,
  loadOverview,
} from './queries'

type Ctx = Context<AppEnv>

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
  '/appointments',
  '/appointments/:id',
  '/treatments',
  '/numbers',
  '/settings',
  '/team',
  '/api-keys',
  '/api-keys/:id/revoke',
  '/outbox',
  '/privacy',
  '/audit',
] as const

const NOTICES: Record<string, string> = {
  'signed-out': 'You have signed out.',
  'password-reset': 'Your password has been changed. Sign in with the new one.',
  saved: 'Settings saved.',
  'treatment-added': 'Treatment added.',
  'number-added': 'Number added.',
  invited: 'Invite sent. The link is in their email (or the outbox in sandbox mode).',
  'key-revoked': 'Key revoked.',
  'request-recorded': 'Request recorded.',
}

const pageHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
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

async function renderError(c: Ctx, status: number, message: string) {
  let viewer: Viewer | null = null
  try {
    const principal = c.get('principal') ?? (await resolveSession(c))
    if (principal) viewer = await viewerOf(c, principal)
  } catch {
    viewer = null
  }
  return c.html(
    <ErrorPage status={status} message={message} viewer={viewer} />,
    status as 400 | 403 | 404 | 415 | 500,
  )
}

// ---------------------------------------------------------------------------------------------
// Guards

async function viewerOf(c: Ctx, principal: Principal): Promise<Viewer | null> {
  const clinic = await getClinic(c.var.db, principal.clinicId)
  return clinic ? { role: principal.role, clinicName: clinic.name } : null
}

type PageState = { principal: Principal; clinic: Clinic; viewer: Viewer }

/**
 * Resolves the signed-in member for a page. Signed out → redirect to /login (remembering where
 * they were going). Role without access → 403 page. Writes by a read-only role → 403.
 */
async function guard(c: Ctx, page: PageKey): Promise<PageState | Response> {
  const principal = await resolveSession(c)
  if (!principal) {
    const url = new URL(c.req.url)
    const next = c.req.method === 'GET' ? `${url.pathname}${url.search}` : '/'
    return c.redirect(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`, 303)
  }
  c.set('principal', principal)
  const clinic = await getClinic(c.var.db, principal.clinicId)
  if (!clinic) return c.redirect('/login', 303)
  const viewer: Viewer = { role: principal.role, clinicName: clinic.name }
  if (!canView(principal.role, page)) {
    return renderError(c, 403, `Your role (${principal.role}) cannot open this page.`)
  }
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !canEdit(principal.role, page)) {
    return renderError(
      c,
      403,
      `Your role (${principal.role}) can view this page but not change it.`,
    )
  }
  return { principal, clinic, viewer }
}

const isResponse = (v: PageState | Response): v is Response => v instanceof Response

/** Form fields as strings (repeated fields keep the last value; files are ignored). */
async function formOf(c: Ctx): Promise<Record<string, string>> {
  const body = await c.req.parseBody()
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v
  return out
}

/** Field errors from a problem's `errors` (paths like `subject.phone` → `phone`). */
function fieldErrorsOf(err: ProblemError, rename: Record<string, string> = {}): FieldErrors {
  const out: FieldErrors = {}
  for (const e of err.errors ?? []) {
    const key = rename[e.path] ?? e.path.split('.').pop() ?? e.path
    out[key] ??= e.message
  }
  return out
}

function zodFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {}
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.') || 'form'
    out[key] ??= issue.message
  }
  return out
}

const notice = (c: Ctx) => NOTICES[c.req.query('notice') ?? ''] ?? null

/** `450`, `79.99`, `£1,200.50` → pence; null when it is not an amount. */
export function parsePounds(raw: string): number | null {
  const cleaned = raw.replace(/[£,\s]/g, '')
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(cleaned)) return null
  return Math.round(Number(cleaned) * 100)
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
    const user = await logIn(
      c.var.db,
      c.var.config,
      { email: form.email ?? '', password: form.password ?? '' },
      {
        env: c.env,
        clientIp: clientIpOf(c),
        deviceMark: await readDeviceMark(c),
        waitUntil: (work) => c.executionCtx.waitUntil(work),
      },
    )
    await startSession(c, user)
    await rememberDevice(c, user.email)
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
    if (!(err instanceof ProblemError) || err.status >= 500) throw err
    const errors = fieldErrorsOf(err)
    const limited = err.status === 429
    if (limited) c.header('Retry-After', err.headers['retry-after'] ?? '60')
    return c.html(
      <TokenPasswordPage
        kind="reset"
        token={token}
        error={limited ? err.detail : (errors.token ?? 'Please choose a valid password.')}
        errors={errors}
      />,
      limited ? 429 : 400,
    )
  }
})

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
    if (!(err instanceof ProblemError) || err.status >= 500) throw err
    const errors = fieldErrorsOf(err)
    const limited = err.status === 429
    if (limited) c.header('Retry-After', err.headers['retry-after'] ?? '60')
    return c.html(
      <TokenPasswordPage
        kind="invite"
        token={token}
        error={limited ? err.detail : (errors.token ?? 'Please choose a valid password.')}
        errors={errors}
      />,
      limited ? 429 : 400,
    )
  }
})

// ---------------------------------------------------------------------------------------------
// Overview, calls, appointments

dashboardRouter.get('/', async (c) => {
  const s = await guard(c, 'overview')
  if (isResponse(s)) return s
  const data = await loadOverview(c.var.db, s.clinic, Date.now())
  return c.html(<OverviewPage viewer={s.viewer} data={data} />)
})

const PAGE_SIZE = 50

const CallsQuerySchema = z.object({
  status: z.enum(['missed', 'answered', 'voicemail', 'ringing']).optional().catch(undefined),
  direction: z.enum(['inbound', 'outbound']).optional().catch(undefined),
  callback: z.enum(['waiting', 'called-back']).optional().catch(undefined),
  from: z.string().refine(isCalendarDate).optional().catch(undefined),
  to: z.string().refine(isCalendarDate).optional().catch(undefined),
  caller: z
    .string()
    .regex(/^[0-9a-f]{1,64}$/)
    .optional()
    .catch(undefined),
  cursor: z.string().max(200).optional().catch(undefined),
})

/** A cursor that does not decode starts from the first page instead of failing the page. */
function cursorOf(raw: string | undefined) {
  try {
    return decodeCursor(raw)
  } catch {
    return null
  }
}

dashboardRouter.get('/calls', async (c) => {
  const s = await guard(c, 'calls')
  if (isResponse(s)) return s
  const q = CallsQuerySchema.parse(c.req.query())
  const tz = s.clinic.timezone
  const rows = await listCalls(
    c.var.db,
    s.clinic.id,
    {
      status: q.status,
      direction: q.direction,
      callback: q.callback,
      fromMs: q.from ? startOfLocalDay(q.from, tz) : undefined,
      toMs: q.to ? startOfLocalDay(addDays(q.to, 1), tz) : undefined,
      callerPrefix: q.caller,
    },
    PAGE_SIZE,
    cursorOf(q.cursor),
  )
  const page = rows.slice(0, PAGE_SIZE)
  const last = page[page.length - 1]
  const nextCursor =
    rows.length > PAGE_SIZE && last ? encodeCursor({ t: last.startedAt, id: last.id }) : null
  const query: CallsQuery = {
    status: q.status,
    direction: q.direction,
    callback: q.callback,
    from: q.from,
    to: q.to,
    caller: q.caller,
  }
  return c.html(
    <CallsPage viewer={s.viewer} timezone={tz} query={query} rows={page} nextCursor={nextCursor} />,
  )
})

dashboardRouter.get('/appointments', async (c) => {
  const s = await guard(c, 'appointments')
  if (isResponse(s)) return s
  const q = z
    .object({
      status: z.enum(['recovered', 'unattributed']).optional().catch(undefined),
      cursor: z.string().max(200).optional().catch(undefined),
    })
    .parse(c.req.query())
  const rows = await listAppointments(
    c.var.db,
    s.clinic,
    { status: q.status },
    PAGE_SIZE,
    cursorOf(q.cursor),
  )
  const page = rows.slice(0, PAGE_SIZE)
  const last = page[page.length - 1]
  const nextCursor =
    rows.length > PAGE_SIZE && last ? encodeCursor({ t: last.createdAt, id: last.id }) : null
  return c.html(
    <AppointmentsPage
      viewer={s.viewer}
      timezone={s.clinic.timezone}
      status={q.status}
      rows={page}
      nextCursor={nextCursor}
    />,
  )
})

dashboardRouter.get('/appointments/:id', async (c) => {
  const s = await guard(c, 'appointments')
  if (isResponse(s)) return s
  const id = c.req.param('id')
  const found = id.length <= 64 ? await getAppointment(c.var.db, s.clinic, id) : null
  // Another clinic's appointment is simply not found.
  if (!found) return renderError(c, 404, 'No such appointment.')
  return c.html(
    <AppointmentPage
      viewer={s.viewer}
      timezone={s.clinic.timezone}
      windowDays={s.clinic.attributionWindowDays}
      appointment={found.appointment}
      call={found.call}
    />,
  )
})

// ---------------------------------------------------------------------------------------------
// Treatments and numbers

async function treatmentsPage(
  c: Ctx,
  s: PageState,
  extra: Partial<Parameters<typeof TreatmentsPage>[0]> = {},
  status: 200 | 400 = 200,
) {
  const rows = await listTreatments(c.var.db, s.clinic.id)
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

dashboardRouter.get('/treatments', async (c) => {
  const s = await guard(c, 'treatments')
  if (isResponse(s)) return s
  return treatmentsPage(c, s)
})

dashboardRouter.post('/treatments', async (c) => {
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
})

async function numbersPage(
  c: Ctx,
  s: PageState,
  extra: Partial<Parameters<typeof NumbersPage>[0]> = {},
  status: 200 | 400 | 409 = 200,
) {
  const rows = await listNumbers(c.var.db, s.clinic.id)
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

dashboardRouter.get('/numbers', async (c) => {
  const s = await guard(c, 'numbers')
  if (isResponse(s)) return s
  return numbersPage(c, s)
})

dashboardRouter.post('/numbers', async (c) => {
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
})

// ---------------------------------------------------------------------------------------------
// Settings

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

dashboardRouter.get('/settings', async (c) => {
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
})

dashboardRouter.post('/settings', async (c) => {
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
})

// ---------------------------------------------------------------------------------------------
// Team and API keys

async function teamPage(
  c: Ctx,
  s: PageState,
  extra: Partial<Parameters<typeof TeamPage>[0]> = {},
  status: 200 | 400 | 403 | 409 | 429 = 200,
) {
  const { items } = await listTeam(c.var.db, c.var.config, s.clinic.id, { limit: 200 })
  const rows = items.map((u) => ({
    id: u.id,
    email: u.email,
    role: u.role,
    status: u.status,
    lastLoginAt: u.lastLoginAt ? Date.parse(u.lastLoginAt) : null,
  }))
  return c.html(
    <TeamPage
      viewer={s.viewer}
      canEdit={canEdit(s.principal.role, 'team')}
      timezone={s.clinic.timezone}
      rows={rows}
      notice={notice(c)}
      {...extra}
    />,
    status,
  )
}

dashboardRouter.get('/team', async (c) => {
  const s = await guard(c, 'team')
  if (isResponse(s)) return s
  return teamPage(c, s)
})

dashboardRouter.post('/team', async (c) => {
  const s = await guard(c, 'team')
  if (isResponse(s)) return s
  const form = await formOf(c)
  const values = { email: form.email, role: form.role }
  try {
    await createInvite(c.var.db, c.var.config, c.env, s.principal, {
      email: form.email ?? '',
      role: (form.role ?? '') as Role,
    })
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status >= 500) throw err
    const status = ([403, 409, 429] as const).find((s) => s === err.status) ?? 400
    if (status === 429) c.header('Retry-After', err.headers['retry-after'] ?? '60')
    return teamPage(
      c,
      s,
      {
        values,
        error: status === 400 ? 'Please correct the fields marked below.' : err.detail,
        errors: fieldErrorsOf(err),
        notice: null,
      },
      status,
    )
  }
  return c.redirect('/team?notice=invited', 303)
})

async function apiKeysPage(
  c: Ctx,
  s: PageState,
  extra: Partial<Parameters<typeof ApiKeysPage>[0]> = {},
  status: 200 | 201 | 400 = 200,
) {
  const { items } = await listApiKeys(c.var.db, s.clinic.id, { limit: 200 })
  const rows = items.map((k) => ({
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    createdAt: Date.parse(k.createdAt),
    lastUsedAt: k.lastUsedAt ? Date.parse(k.lastUsedAt) : null,
    revokedAt: null,
  }))
  return c.html(
    <ApiKeysPage
      viewer={s.viewer}
      timezone={s.clinic.timezone}
      rows={rows}
      notice={notice(c)}
      {...extra}
    />,
    status,
  )
}

dashboardRouter.get('/api-keys', async (c) => {
  const s = await guard(c, 'api-keys')
  if (isResponse(s)) return s
  return apiKeysPage(c, s)
})

dashboardRouter.post('/api-keys', async (c) => {
  const s = await guard(c, 'api-keys')
  if (isResponse(s)) return s
  const form = await formOf(c)
  const name = (form.name ?? '').trim()
  if (name.length < 1 || name.length > 80) {
    return apiKeysPage(
      c,
      s,
      {
        values: { name: form.name },
        error: 'Please correct the fields marked below.',
        errors: { name: 'Name the key (up to 80 characters).' },
        notice: null,
      },
      400,
    )
  }
  const created = await createApiKey(c.var.db, c.env, s.principal, name)
  // Shown once, in this response only: never in a URL, never stored in clear.
  return apiKeysPage(c, s, { createdKey: { name, key: created.key }, notice: null }, 201)
})

dashboardRouter.post('/api-keys/:id/revoke', async (c) => {
  const s = await guard(c, 'api-keys')
  if (isResponse(s)) return s
  await revokeApiKey(c.var.db, c.env, s.principal, c.req.param('id'))
  return c.redirect('/api-keys?notice=key-revoked', 303)
})

// ---------------------------------------------------------------------------------------------
// Outbox, privacy, audit

dashboardRouter.get('/outbox', async (c) => {
  const s = await guard(c, 'outbox')
  if (isResponse(s)) return s
  const rows = await listOutbox(c.var.db, s.clinic.id, 50)
  const keyring = await clinicKeyring(c.var.db, c.var.config, s.clinic.id)
  const opened = await Promise.all(
    rows.map(async (m) => ({
      ...m,
      body: await keyring
        .open(m.bodySealed)
        .catch(() => '[no longer readable: the key was destroyed]'),
    })),
  )
  // Message bodies are personal data: reading them is audited (counts only, no content). The
  // append finishes after the response (waitUntil) so the page does not wait on the DO.
  c.executionCtx.waitUntil(
    audit(c.env, s.clinic.id, {
      actor: actorOf(s.principal),
      action: 'outbox.read',
      target: `clinic:${s.clinic.id}`,
      details: { messages: opened.length },
    }),
  )
  const sandbox = c.var.config.twilio.sandbox || c.var.config.resend.apiKey === null
  return c.html(
    <OutboxPage viewer={s.viewer} timezone={s.clinic.timezone} sandbox={sandbox} rows={opened} />,
  )
})

async function privacyPage(
  c: Ctx,
  s: PageState,
  extra: Partial<Parameters<typeof PrivacyPage>[0]> = {},
  status: 200 | 201 | 400 = 200,
) {
  const [requests, purges] = await Promise.all([
    listPrivacyRequests(c.var.db, s.clinic.id, 50),
    listPurges(c.var.db, s.clinic.id, 20),
  ])
  return c.html(
    <PrivacyPage
      viewer={s.viewer}
      timezone={s.clinic.timezone}
      now={Date.now()}
      requests={requests}
      purges={purges}
      notice={notice(c)}
      {...extra}
    />,
    status,
  )
}

dashboardRouter.get('/privacy', async (c) => {
  const s = await guard(c, 'privacy')
  if (isResponse(s)) return s
  return privacyPage(c, s)
})

const PrivacyFormSchema = z.object({
  type: z.enum(['access', 'erasure', 'rectification', 'restriction', 'objection'], {
    message: 'Choose a request type.',
  }),
  phone: z.string().trim().max(40).optional(),
  email: z
    .string()
    .trim()
    .max(254)
    .refine((v) => v === '' || z.email().safeParse(v).success, 'Enter a valid email address.')
    .optional(),
})

dashboardRouter.post('/privacy', async (c) => {
  const s = await guard(c, 'privacy')
  if (isResponse(s)) return s
  const form = await formOf(c)
  const values = { type: form.type, phone: form.phone, email: form.email }
  const parsed = PrivacyFormSchema.safeParse(form)
  const fail = (errors: FieldErrors) =>
    privacyPage(
      c,
      s,
      { values, errors, error: 'Please correct the fields marked below.', notice: null },
      400,
    )
  if (!parsed.success) return fail(zodFieldErrors(parsed.error))
  const { type, phone, email } = parsed.data
  if (!phone && !email) return fail({ phone: 'Give the subject’s phone number, email, or both.' })
  try {
    const request = await createPrivacyRequest(
      c.env,
      c.var.db,
      c.var.config,
      s.clinic.id,
      actorOf(s.principal),
      { type, subject: { ...(phone ? { phone } : {}), ...(email ? { email } : {}) } },
      Date.now(),
    )
    return privacyPage(
      c,
      s,
      {
        notice: `Request recorded (${type}). It is due by the date shown below.`,
        exportLink:
          type === 'access'
            ? `/api/v1/privacy/requests/${encodeURIComponent(request.id)}/export`
            : null,
      },
      201,
    )
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status >= 500) throw err
    return fail(fieldErrorsOf(err))
  }
})

dashboardRouter.get('/audit', async (c) => {
  const s = await guard(c, 'audit')
  if (isResponse(s)) return s
  const before = Number(c.req.query('before'))
  const beforeSeq = Number.isInteger(before) && before > 0 ? before : null
  const stub = c.env.CLINIC.getByName(s.clinic.id)
  const [entries, verification] = await Promise.all([
    withDurableRetry(() => stub.listAudit(51, beforeSeq)),
    withDurableRetry(() => stub.verifyAudit()),
  ])
  const page = entries.slice(0, 50)
  const nextBefore = entries.length > 50 ? (page[page.length - 1]?.seq ?? null) : null
  return c.html(
    <AuditPage
      viewer={s.viewer}
      timezone={s.clinic.timezone}
      entries={page}
      verification={verification}
      nextBefore={nextBefore}
    />,
  )
})
