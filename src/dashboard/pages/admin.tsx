/** Team and roles, API keys, the sandbox outbox, privacy requests and purges, the audit log. */
import type { AuditEntry } from '../../audit/chain'
import { formatLocal, formatLocalDate } from '../format'
import { Field, type FieldErrors, FormErrors, Layout, Notice, type Viewer } from '../layout'

const ROLE_TEXT: Record<string, string> = {
  owner: 'Owner — everything, including other owners',
  admin: 'Admin — settings, team, privacy, API keys',
  receptionist: 'Receptionist — calls, appointments, callbacks',
  analyst: 'Analyst — read-only metrics',
}

export function TeamPage(props: {
  viewer: Viewer
  canEdit: boolean
  timezone: string
  rows: { id: string; email: string; role: string; status: string; lastLoginAt: number | null }[]
  values?: { email?: string; role?: string }
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
}) {
  const roles =
    props.viewer.role === 'owner'
      ? ['admin', 'receptionist', 'analyst', 'owner']
      : ['admin', 'receptionist', 'analyst']
  return (
    <Layout title="Team" viewer={props.viewer} active="team">
      <Notice message={props.notice} />
      <div class="table-wrap">
        <table class="responsive">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Last sign-in</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((u) => (
              <tr>
                <td data-label="Email">{u.email}</td>
                <td data-label="Role">{u.role}</td>
                <td data-label="Status">{u.status}</td>
                <td data-label="Last sign-in">{formatLocal(u.lastLoginAt, props.timezone)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Roles</h2>
      <ul>
        {Object.entries(ROLE_TEXT).map(([, text]) => (
          <li>{text}</li>
        ))}
      </ul>
      {props.canEdit ? (
        <section aria-labelledby="invite">
          <h2 id="invite">Invite a team member</h2>
          <FormErrors message={props.error} />
          <form class="stack card" method="post" action="/team" novalidate>
            <Field
              name="email"
              label="Email"
              type="email"
              required
              value={props.values?.email}
              errors={props.errors}
            />
            <div class="field">
              <label for="f-role">Role</label>
              <select id="f-role" name="role">
                {roles.map((r) => (
                  <option value={r} selected={(props.values?.role ?? 'receptionist') === r}>
                    {r}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit">Send invite</button>
          </form>
        </section>
      ) : null}
    </Layout>
  )
}

export function ApiKeysPage(props: {
  viewer: Viewer
  timezone: string
  rows: {
    id: string
    name: string
    prefix: string
    createdAt: number
    lastUsedAt: number | null
    revokedAt: number | null
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
                    {k.revokedAt ? (
                      `Revoked ${formatLocalDate(k.revokedAt, tz)}`
                    ) : (
                      <form method="post" action={`/api-keys/${encodeURIComponent(k.id)}/revoke`}>
                        <button class="secondary" type="submit" aria-label={`Revoke key ${k.name}`}>
                          Revoke
                        </button>
                      </form>
                    )}
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

export function OutboxPage(props: {
  viewer: Viewer
  timezone: string
  sandbox: boolean
  rows: {
    id: string
    channel: string
    kind: string
    toMasked: string
    body: string
    status: string
    createdAt: number
  }[]
}) {
  return (
    <Layout title="Outbox" viewer={props.viewer} active="outbox">
      <p>
        {props.sandbox
          ? 'Sandbox mode: nothing leaves Ringback. Below is what would have been sent.'
          : 'Messages and emails sent recently, newest first.'}
      </p>
      {props.rows.length === 0 ? (
        <p>The outbox is empty.</p>
      ) : (
        <div class="table-wrap">
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Channel</th>
                <th scope="col">To</th>
                <th scope="col">Message</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((m) => (
                <tr>
                  <td data-label="When">{formatLocal(m.createdAt, props.timezone)}</td>
                  <td data-label="Channel">{`${m.channel} (${m.kind})`}</td>
                  <td data-label="To">{m.toMasked}</td>
                  <td data-label="Message" class="message-body">
                    {m.body}
                  </td>
                  <td data-label="Status">{m.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  )
}

export function PrivacyPage(props: {
  viewer: Viewer
  timezone: string
  now: number
  requests: {
    id: string
    type: string
    status: string
    createdAt: number
    dueAt: number
    completedAt: number | null
  }[]
  purges: {
    id: string
    job: string
    ranAt: number
    cutoff: number
    deletedJson: string
    status: string
  }[]
  values?: { type?: string; phone?: string; email?: string }
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
  exportLink?: string | null
}) {
  const tz = props.timezone
  return (
    <Layout title="Privacy" viewer={props.viewer} active="privacy">
      <Notice message={props.notice} />
      {props.exportLink ? (
        <p>
          <a href={props.exportLink}>Download the subject's data (JSON)</a>
        </p>
      ) : null}
      <section aria-labelledby="requests">
        <h2 id="requests">Data-subject requests</h2>
        <p class="hint">Each must be answered within 30 days of receipt.</p>
        {props.requests.length === 0 ? (
          <p>No requests yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="responsive">
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Due</th>
                  <th scope="col">Export</th>
                </tr>
              </thead>
              <tbody>
                {props.requests.map((r) => {
                  const overdue = !r.completedAt && r.dueAt < props.now
                  return (
                    <tr>
                      <td data-label="Received">{formatLocalDate(r.createdAt, tz)}</td>
                      <td data-label="Type">{r.type}</td>
                      <td data-label="Status">{r.status}</td>
                      <td data-label="Due">
                        {formatLocalDate(r.dueAt, tz)}
                        {overdue ? <strong> (overdue)</strong> : null}
                      </td>
                      <td data-label="Export">
                        {r.type === 'access' ? (
                          <a href={`/api/v1/privacy/requests/${encodeURIComponent(r.id)}/export`}>
                            JSON
                          </a>
                        ) : (
                          '—'
                        )}
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="new-request">
        <h2 id="new-request">Record a request</h2>
        <FormErrors message={props.error} />
        <form class="stack card" method="post" action="/privacy" novalidate>
          <div class="field">
            <label for="f-type">Type</label>
            <select id="f-type" name="type">
              {['access', 'erasure', 'rectification', 'restriction', 'objection'].map((t) => (
                <option value={t} selected={(props.values?.type ?? 'access') === t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <Field
            name="phone"
            label="Subject's phone number"
            type="tel"
            hint="Give a phone number, an email, or both."
            value={props.values?.phone}
            errors={props.errors}
          />
          <Field
            name="email"
            label="Subject's email"
            type="email"
            value={props.values?.email}
            errors={props.errors}
          />
          <button type="submit">Record request</button>
        </form>
      </section>
      <section aria-labelledby="purges">
        <h2 id="purges">Retention purges</h2>
        {props.purges.length === 0 ? (
          <p>No purges have run yet. They run daily at 03:00 UTC.</p>
        ) : (
          <div class="table-wrap">
            <table class="responsive">
              <thead>
                <tr>
                  <th scope="col">Ran</th>
                  <th scope="col">Job</th>
                  <th scope="col">Cut-off</th>
                  <th scope="col">Deleted</th>
                </tr>
              </thead>
              <tbody>
                {props.purges.map((p) => (
                  <tr>
                    <td data-label="Ran">{formatLocal(p.ranAt, tz)}</td>
                    <td data-label="Job">{p.job}</td>
                    <td data-label="Cut-off">{formatLocalDate(p.cutoff, tz)}</td>
                    <td data-label="Deleted">{describeDeleted(p.deletedJson)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </Layout>
  )
}

/** `{"calls": 12, "recordings": 0}` → `12 calls, 0 recordings`. */
export function describeDeleted(json: string): string {
  try {
    const parsed: unknown = JSON.parse(json)
    if (parsed && typeof parsed === 'object') {
      const parts = Object.entries(parsed as Record<string, unknown>).map(
        ([kind, n]) => `${Number(n) || 0} ${kind}`,
      )
      return parts.length ? parts.join(', ') : 'nothing'
    }
  } catch {
    // fall through
  }
  return '—'
}

export function AuditPage(props: {
  viewer: Viewer
  timezone: string
  entries: AuditEntry[]
  verification: { valid: boolean; checked: number; firstBrokenId: string | null }
  nextBefore: number | null
}) {
  const v = props.verification
  return (
    <Layout title="Audit log" viewer={props.viewer} active="audit">
      {v.valid ? (
        <div class="alert alert-ok" role="status">
          {`Verified: all ${v.checked} entries form an unbroken hash chain.`}
        </div>
      ) : (
        <div class="alert alert-error" role="alert">
          {`Tampering detected: the chain breaks at entry ${v.firstBrokenId ?? '?'} (checked ${v.checked}).`}
        </div>
      )}
      {props.entries.length === 0 ? (
        <p>No entries yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {props.entries.map((e) => (
                <tr>
                  <td data-label="When">{formatLocal(e.at, props.timezone)}</td>
                  <td data-label="Actor">
                    <code>{e.actor}</code>
                  </td>
                  <td data-label="Action">{e.action}</td>
                  <td data-label="Target">{e.target ? <code>{e.target}</code> : '—'}</td>
                  <td data-label="Hash">
                    <code title={e.hash}>{e.hash.slice(0, 12)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <a href="/audit">Newest</a>
        {props.nextBefore ? (
          <a href={`/audit?before=${props.nextBefore}`} rel="next">
            Older entries
          </a>
        ) : null}
      </nav>
    </Layout>
  )
}
