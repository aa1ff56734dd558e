/** API keys: live keys (src/auth/team.ts), creating one (shown once) and revoking. */
import { createApiKey, listApiKeys, revokeApiKey } from '../../auth/team'
import { formatLocal, formatLocalDate } from '../format'
import { Field, type FieldErrors, FormErrors, Layout, Notice, type Viewer } from '../layout'
import { type Ctx, formOf, notice, type PageState, page } from '../page-kit'

function ApiKeysPage(props: {
  viewer: Viewer
  timezone: string
  rows: {
    id: string
    name: string
    prefix: string
    createdAt: number
    lastUsedAt: number | null
  }[]
  createdKey?: { name: string; key: string } | null
  values?: { name?: string }
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
}) {
  const tz = props.timezone
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
        <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      {props.rows.length === 0 ? (
        <p>No keys yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((k) => (
                <tr>
                  <td data-label="Name">{k.name}</td>
                  <td data-label="Starts with">
                    <code>{`${k.prefix}…`}</code>
                  </td>
                  <td data-label="Created">{formatLocalDate(k.createdAt, tz)}</td>
                  <td data-label="Last used">{formatLocal(k.lastUsedAt, tz)}</td>
                  <td data-label="Status">
                    <form method="post" action={`/api-keys/${encodeURIComponent(k.id)}/revoke`}>
                      <button class="secondary" type="submit" aria-label={`Revoke key ${k.name}`}>
                        Revoke
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <section aria-labelledby="create-key">
        <h2 id="create-key">Create a key</h2>
        <FormErrors message={props.error} />
        <form class="stack card" method="post" action="/api-keys" novalidate>
          <Field
            name="name"
            label="Name"
            hint="Which system will use it, e.g. Dentally."
            required
            value={props.values?.name}
            errors={props.errors}
          />
          <button type="submit">Create key</button>
        </form>
      </section>
    </Layout>
  )
}

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

/** GET /api-keys */
export const apiKeysGet = page('api-keys', apiKeysPage)

/** POST /api-keys */
export const apiKeysPost = page('api-keys', async (c, s) => {
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

/** POST /api-keys/:id/revoke */
export const apiKeyRevokePost = page('api-keys', async (c, s) => {
  await revokeApiKey(c.var.db, c.env, s.principal, c.req.param('id') ?? '')
  return c.redirect('/api-keys?notice=key-revoked', 303)
})
