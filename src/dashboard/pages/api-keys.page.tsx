/**
 * API keys: live keys with their scopes (src/auth/team.ts), creating one with chosen scopes (the
 * key shown once, after a redirect, so a reload cannot make a second key) and revoking after a
 * confirmation step.
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import {
  API_KEY_SCOPES,
  type ApiKeyScope,
  DEFAULT_API_KEY_SCOPES,
  isApiKeyScope,
  POLICY,
} from '../../auth/policy'
import { createApiKey, listApiKeys, revokeApiKey } from '../../auth/team'
import type { AppEnv } from '../../lib/context'
import { clinicKeyring } from '../../privacy/crypto'
import { DataTable } from '../components'
import { formatLocal, formatLocalDate } from '../format'
import { bound, FormSection } from '../forms'
import { ErrorText, Field, type FieldErrors, Layout, Notice, type Viewer } from '../layout'
import {
  type Ctx,
  type Extra,
  type PageState,
  page,
  renderError,
  viewLoader,
  viewOf,
} from '../page-kit'

type KeyRow = {
  id: string
  name: string
  prefix: string
  createdAt: number
  lastUsedAt: number | null
  scopes: readonly ApiKeyScope[]
}

function ScopeList(props: { scopes: readonly ApiKeyScope[] }) {
  return (
    <ul class="scopes">
      {props.scopes.map((s) => (
        <li>
          <code>{s}</code>
        </li>
      ))}
    </ul>
  )
}

/** The form under the list. */
const CREATE_KEY_FORM = {
  id: 'create-key',
  title: 'Create a key',
  action: '/api-keys',
  submit: 'Create key',
}

function ApiKeysPage(props: {
  viewer: Viewer
  timezone: string
  rows: KeyRow[]
  createdKey?: { name: string; key: string } | null
  values?: { name?: string; scopes?: readonly string[] }
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
}) {
  const tz = props.timezone
  const ticked = props.values?.scopes ?? DEFAULT_API_KEY_SCOPES
  return (
    <Layout title="API keys" viewer={props.viewer} active="api-keys">
      <Notice message={props.notice} />
      {props.createdKey ? (
        <div class="alert alert-ok" role="status">
          <p>
            <strong>{`Key “${props.createdKey.name}” created.`}</strong> Copy it now: it is shown
            only once and stored hashed.
          </p>
          <code class="secret" id="new-key">
            {props.createdKey.key}
          </code>
        </div>
      ) : null}
      <p>
        Practice-management systems send appointments with{' '}
        <code>Authorization: Bearer &lt;key&gt;</code>. A key may do only what its scopes allow.
      </p>
      <DataTable
        rows={props.rows}
        empty="No keys yet."
        columns={[
          { label: 'Name', cell: (k) => k.name },
          { label: 'Starts with', cell: (k) => <code>{`${k.prefix}…`}</code> },
          { label: 'Scopes', cell: (k) => <ScopeList scopes={k.scopes} /> },
          { label: 'Created', cell: (k) => formatLocalDate(k.createdAt, tz) },
          { label: 'Last used', cell: (k) => formatLocal(k.lastUsedAt, tz) },
          {
            label: 'Status',
            cell: (k) => (
              <form method="post" action={`/api-keys/${encodeURIComponent(k.id)}/revoke`}>
                <button class="secondary" type="submit" aria-label={`Revoke key ${k.name}…`}>
                  Revoke…
                </button>
              </form>
            ),
          },
        ]}
      />
      <FormSection {...CREATE_KEY_FORM} error={props.error}>
        <Field
          {...bound(props, 'name')}
          label="Name"
          hint="Which system will use it, e.g. Dentally."
          required
        />
        <fieldset aria-describedby={props.errors?.scopes ? 'f-scopes-error' : undefined}>
          <legend>Scopes</legend>
          {/* Marks the checkboxes as sent, so none ticked is an error, not the default set. */}
          <input type="hidden" name="scope" value="" />
          {API_KEY_SCOPES.map((s) => (
            <label class="checkbox" for={`f-scope-${s}`}>
              <input
                id={`f-scope-${s}`}
                type="checkbox"
                name="scope"
                value={s}
                checked={ticked.includes(s)}
              />
              <span>
                <code>{s}</code> — {POLICY[s].about}
              </span>
            </label>
          ))}
          <ErrorText id="f-scopes-error" message={props.errors?.scopes} />
        </fieldset>
      </FormSection>
    </Layout>
  )
}

/** The confirmation step before a key is revoked (a second POST with `confirm=yes` revokes). */
function RevokePage(props: { viewer: Viewer; row: KeyRow }) {
  return (
    <Layout title="Revoke API key" viewer={props.viewer} active="api-keys">
      <p>
        Revoke <strong>{props.row.name}</strong> (<code>{`${props.row.prefix}…`}</code>)? Systems
        using it stop working at once; this cannot be undone.
      </p>
      <form
        class="stack"
        method="post"
        action={`/api-keys/${encodeURIComponent(props.row.id)}/revoke`}
      >
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">Revoke the key</button>
      </form>
      <p>
        <a href="/api-keys">Keep the key</a>
      </p>
    </Layout>
  )
}

async function keyRows(c: Ctx, s: PageState): Promise<KeyRow[]> {
  const { items } = await listApiKeys(c.var.db, s.clinic.id, { limit: 200 })
  return items.map((k) => ({
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    createdAt: Date.parse(k.createdAt),
    lastUsedAt: k.lastUsedAt ? Date.parse(k.lastUsedAt) : null,
    scopes: k.scopes,
  }))
}

const apiKeysPage = viewLoader<Extra<typeof ApiKeysPage>>(async (c, s, extra) => {
  return <ApiKeysPage {...viewOf(c, s, 'api-keys')} rows={await keyRows(c, s)} {...extra} />
})

// --- The new key, shown once ----------------------------------------------------------------
// The key travels from the POST to the page after the redirect in a short-lived HttpOnly cookie,
// sealed with the clinic's data key (never in a URL, never stored in clear). The GET that shows
// it deletes the cookie, so a reload shows it no more and cannot create a second key.

const FLASH_SECONDS = 120

function flashCookieName(c: Context<AppEnv>): string {
  return c.var.config.secureCookies ? '__Host-rb_new_key' : 'rb_new_key'
}

async function setNewKeyFlash(c: Ctx, s: PageState, created: { name: string; key: string }) {
  const keyring = await clinicKeyring(c.var.db, c.var.config, s.clinic.id)
  const sealed = await keyring.seal(JSON.stringify({ name: created.name, key: created.key }))
  setCookie(c, flashCookieName(c), sealed, {
    httpOnly: true,
    secure: c.var.config.secureCookies,
    sameSite: 'Strict',
    path: '/',
    maxAge: FLASH_SECONDS,
  })
}

/** The new key from the flash cookie (deleting it), or null when absent or unreadable. */
async function takeNewKeyFlash(
  c: Ctx,
  s: PageState,
): Promise<{ name: string; key: string } | null> {
  const sealed = getCookie(c, flashCookieName(c))
  if (!sealed) return null
  deleteCookie(c, flashCookieName(c), { path: '/', secure: c.var.config.secureCookies })
  try {
    const keyring = await clinicKeyring(c.var.db, c.var.config, s.clinic.id)
    const value: unknown = JSON.parse(await keyring.open(sealed))
    if (
      typeof value === 'object' &&
      value !== null &&
      'name' in value &&
      'key' in value &&
      typeof value.name === 'string' &&
      typeof value.key === 'string'
    ) {
      return { name: value.name, key: value.key }
    }
    return null
  } catch {
    // Another clinic's, tampered or from a rotated key: show nothing rather than fail the page.
    return null
  }
}

/** GET /api-keys */
export const apiKeysGet = page('api-keys', async (c, s) =>
  apiKeysPage(c, s, { createdKey: await takeNewKeyFlash(c, s) }),
)

/** POST /api-keys: creates the key, then redirects (303) to the page that shows it once. */
export const apiKeysPost = page('api-keys', async (c, s) => {
  const body = await c.req.parseBody({ all: true })
  const rawName = typeof body.name === 'string' ? body.name : ''
  const name = rawName.trim()
  // No `scope` field at all (a client without the checkboxes) means the default set, as in the
  // API; the form always sends an empty marker, so unticking every box is an error.
  const sent = ([] as unknown[]).concat(body.scope ?? [])
  const picked = sent.length === 0 ? [...DEFAULT_API_KEY_SCOPES] : sent.filter((v) => v !== '')
  const scopes = API_KEY_SCOPES.filter((sc) => picked.includes(sc))
  const errors: FieldErrors = {}
  if (name.length < 1 || name.length > 80) errors.name = 'Name the key (up to 80 characters).'
  if (scopes.length === 0 || !picked.every((v) => typeof v === 'string' && isApiKeyScope(v))) {
    errors.scopes = 'Choose at least one of the scopes listed.'
  }
  if (errors.name || errors.scopes) {
    return apiKeysPage(
      c,
      s,
      {
        values: { name: rawName, scopes },
        error: 'Please correct the fields marked below.',
        errors,
        notice: null,
      },
      400,
    )
  }
  const created = await createApiKey(c.var.db, c.env, s.principal, name, scopes)
  await setNewKeyFlash(c, s, { name, key: created.key })
  return c.redirect('/api-keys', 303)
})

/** POST /api-keys/:id/revoke: without `confirm=yes`, asks first; with it, revokes. */
export const apiKeyRevokePost = page('api-keys', async (c, s) => {
  const id = c.req.param('id') ?? ''
  const body = await c.req.parseBody()
  if (body.confirm !== 'yes') {
    const row = (await keyRows(c, s)).find((k) => k.id === id)
    if (!row) return renderError(c, 404, 'No such key, or it is already revoked.')
    return c.html(<RevokePage viewer={s.viewer} row={row} />)
  }
  await revokeApiKey(c.var.db, c.env, s.principal, id)
  return c.redirect('/api-keys?notice=key-revoked', 303)
})
