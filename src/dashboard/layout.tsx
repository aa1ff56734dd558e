/**
 * The shared page shell: skip link, landmarks (header, nav, main), role-aware navigation and the
 * sign-out form. Navigation shows only the pages the member's role may open (see access.ts).
 */

import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { Role } from '../lib/context'
import { canView, NAV, type PageKey } from './access'
import { ASSET_PATHS } from './asset-paths'

/** Counts shown next to navigation entries, keyed by page; loaded once per page render. */
export type NavBadges = Partial<Record<PageKey, number>>

export type Viewer = {
  role: Role
  clinicName: string
  badges?: NavBadges
  /** A word to owners about their subscription (payment overdue), shown on every page. */
  billingWarning?: string | null
  /** A member of the platform operator's own tenant (the Operator page). */
  operator?: boolean
}

/**
 * The HTML document every page shares. Dashboard pages take the dashboard's stylesheet and (with
 * `script`) its script; a hosted form gives its own `assets` and a title of its own.
 */
export function Document(props: {
  title: string
  children: Child
  script?: boolean
  assets?: { title: string; stylesheet: string; scripts: readonly string[] }
}) {
  const own = props.assets
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en-GB">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light" />
          <title>{own ? own.title : `${props.title} · Ringback`}</title>
          <link rel="stylesheet" href={own ? own.stylesheet : ASSET_PATHS.css} />
          <link rel="icon" type="image/svg+xml" href={ASSET_PATHS.icon} />
          {props.script ? <script src={ASSET_PATHS.js} defer /> : null}
          {own?.scripts.map((src) => (
            <script src={src} defer />
          ))}
        </head>
        <body>{props.children}</body>
      </html>
    </>
  )
}

/** The skip link and the top bar: the brand (linking `home`) and, signed in, who is here. */
function TopBar(props: { home: string; children?: Child }) {
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <a class="brand" href={props.home}>
            Ringback
          </a>
          {props.children}
        </div>
      </header>
    </>
  )
}

/** A signed-in page. `active` highlights the nav entry (aria-current). */
export function Layout(props: {
  title: string
  viewer: Viewer
  active: PageKey | null
  children: Child
  script?: boolean
}) {
  const { viewer } = props
  return (
    <Document title={props.title} script={props.script}>
      <TopBar home="/">
        <div class="who">
          <span>
            {viewer.clinicName} · <span class="role">{viewer.role}</span>
          </span>
          <form method="post" action="/logout">
            <button class="link-button" type="submit">
              Sign out
            </button>
          </form>
        </div>
      </TopBar>
      <nav class="main-nav" aria-label="Main">
        <ul>
          {NAV.filter(
            (item) =>
              canView(viewer.role, item.key) && (item.key !== 'operator' || viewer.operator),
          ).map((item) => (
            <li>
              <a href={item.href} aria-current={props.active === item.key ? 'page' : undefined}>
                {item.label}
                {viewer.badges?.[item.key] ? (
                  <span class="badge nav-count" data-badge={item.key}>
                    {String(viewer.badges[item.key])}
                  </span>
                ) : null}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {viewer.billingWarning ? (
        <p class="alert alert-warn billing-warning" role="status">
          {viewer.billingWarning} <a href="/billing">Billing</a>
        </p>
      ) : null}
      <main id="main" tabindex={-1}>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </Document>
  )
}

/** A signed-out page (sign in, sign up, reset, invite). */
export function AuthLayout(props: { title: string; children: Child }) {
  return (
    <Document title={props.title}>
      <TopBar home="/login" />
      <main id="main" class="auth" tabindex={-1}>
        <h1>{props.title}</h1>
        <div class="card">{props.children}</div>
      </main>
    </Document>
  )
}

export type FieldErrors = Record<string, string | undefined>

/** A labelled input with its hint and inline error, wired with aria-describedby/aria-invalid. */
export function Field(props: {
  name: string
  label: string
  type?: string
  value?: string | number | null
  errors?: FieldErrors
  hint?: string
  required?: boolean
  autocomplete?: string
  min?: number
  max?: number
  step?: string
  inputmode?: 'decimal' | 'numeric' | 'tel' | 'email' | 'text'
  /** The page's script shows errors (hosted forms): the error slot is always there, hidden. */
  live?: boolean
}) {
  const id = `f-${props.name}`
  const error = props.errors?.[props.name]
  const describedBy = [props.hint ? `${id}-hint` : null, error || props.live ? `${id}-error` : null]
    .filter(Boolean)
    .join(' ')
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value === null || props.value === undefined ? undefined : String(props.value)}
        required={props.required}
        autocomplete={props.autocomplete}
        min={props.min}
        max={props.max}
        step={props.step}
        inputmode={props.inputmode}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy || undefined}
      />
      {error || props.live ? (
        <p class="error-text" id={`${id}-error`} hidden={!error}>
          {error}
        </p>
      ) : null}
    </div>
  )
}

/** A field's message under it (nothing when there is none); `id` for its aria-describedby. */
export function ErrorText(props: { id?: string; message: string | null | undefined }) {
  return props.message ? (
    <p class="error-text" id={props.id}>
      {props.message}
    </p>
  ) : null
}

/** A message box: an error is announced at once (alert), a notice politely (status). */
function Alert(props: { message?: string | null | undefined; kind: 'error' | 'ok' }) {
  if (!props.message) return null
  const role = props.kind === 'error' ? 'alert' : 'status'
  return (
    <div class={`alert alert-${props.kind}`} role={role}>
      {props.message}
    </div>
  )
}

/** The summary at the top of a form that failed validation (announced by screen readers). */
export function FormErrors(props: { message?: string | null | undefined }) {
  return <Alert message={props.message} kind="error" />
}

/** A confirmation after an action ("Settings saved."). */
export function Notice(props: { message?: string | null | undefined }) {
  return <Alert message={props.message} kind="ok" />
}

/** The 403 and 404 pages, rendered in the shell when the viewer is known. */
export function ErrorPage(props: { status: number; message: string; viewer: Viewer | null }) {
  const title = props.status === 403 ? 'Not allowed' : props.status === 404 ? 'Not found' : 'Error'
  const body = (
    <>
      <p>{props.message}</p>
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </>
  )
  return props.viewer ? (
    <Layout title={title} viewer={props.viewer} active={null}>
      {body}
    </Layout>
  ) : (
    <AuthLayout title={title}>{body}</AuthLayout>
  )
}

/** A small status label (`badge-<kind>` picks its colour). */
export function Badge(props: { kind: string; children: string }) {
  return <span class={`badge badge-${props.kind}`}>{props.children}</span>
}

/** The "next page" link of a filtered list: the filters kept, the cursor added. */
export function pagerHref(
  base: string,
  params: Record<string, string | undefined>,
  cursor: string,
) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v)
  q.set('cursor', cursor)
  return `${base}?${q.toString()}`
}

/** A labelled select of `[value, text]` options (list filters). */
export function Select(props: {
  name: string
  label: string
  value: string | undefined
  options: readonly [string, string][]
}) {
  return (
    <div class="field">
      <label for={`f-${props.name}`}>{props.label}</label>
      <select id={`f-${props.name}`} name={props.name}>
        {props.options.map(([value, text]) => (
          <option value={value} selected={(props.value ?? '') === value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  )
}
