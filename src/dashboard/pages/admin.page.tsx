/**
 * Team and roles, API keys, the sandbox outbox, privacy requests and purges, the audit log.
 * Loaders read through src/auth/team.ts, src/outbox, src/privacy and the clinic's object.
 */
import { z } from 'zod'
import { audit } from '../../audit/audit'
import type { AuditEntry } from '../../audit/chain'
import { createInvite } from '../../auth/service'
import { createApiKey, listApiKeys, listTeam, revokeApiKey } from '../../auth/team'
import { actorOf, type Role } from '../../lib/context'
import { withDurableRetry } from '../../lib/durable'
import { ProblemError } from '../../lib/problem'
import { listOutbox } from '../../outbox/outbox.service'
import { listPrivacyRequests, listPurgeRuns } from '../../privacy/privacy.service'
import { createPrivacyRequest } from '../../privacy/requests'
import { canEdit } from '../access'
import { formatLocal, formatLocalDate } from '../format'
import { Field, type FieldErrors, FormErrors, Layout, Notice, type Viewer } from '../layout'
import {
  type Ctx,
  fieldErrorsOf,
  formOf,
  guard,
  isResponse,
  notice,
  type PageState,
  zodFieldErrors,
} from '../page-kit'

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

// --- Loaders and forms -----------------------------------------------------------------------

async function teamPage(
  c: Ctx,
  s: PageState,
  extra: Partial<Parameters<typeof TeamPage>[0]> = {},
  status: 200 | 400 | 403 | 409 = 200,
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

/** GET /team */
export async function teamGet(c: Ctx) {
  const s = await guard(c, 'team')
  if (isResponse(s)) return s
  return teamPage(c, s)
}

/** POST /team */
export async function teamPost(c: Ctx) {
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
    const status = err.status === 409 ? 409 : err.status === 403 ? 403 : 400
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
export async function apiKeysGet(c: Ctx) {
  const s = await guard(c, 'api-keys')
  if (isResponse(s)) return s
  return apiKeysPage(c, s)
}

/** POST /api-keys */
export async function apiKeysPost(c: Ctx) {
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
}

/** POST /api-keys/:id/revoke */
export async function apiKeyRevokePost(c: Ctx) {
  const s = await guard(c, 'api-keys')
  if (isResponse(s)) return s
  await revokeApiKey(c.var.db, c.env, s.principal, c.req.param('id') ?? '')
  return c.redirect('/api-keys?notice=key-revoked', 303)
}

// ---------------------------------------------------------------------------------------------
// Outbox, privacy, audit

/** GET /outbox */
export async function outboxGet(c: Ctx) {
  const s = await guard(c, 'outbox')
  if (isResponse(s)) return s
  const rows = await listOutbox(c.var.db, c.var.config, s.clinic.id, 50, null)
  const opened = rows.slice(0, 50).map((m) => ({
    ...m,
    body: m.body ?? '[no longer readable: the key was destroyed]',
  }))
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
}

async function privacyPage(
  c: Ctx,
  s: PageState,
  extra: Partial<Parameters<typeof PrivacyPage>[0]> = {},
  status: 200 | 201 | 400 = 200,
) {
  const [requests, purges] = await Promise.all([
    listPrivacyRequests(c.var.db, s.clinic.id, 50, null).then((r) => r.slice(0, 50)),
    listPurgeRuns(c.var.db, s.clinic.id, 20, null, { withPlatformRuns: true }).then((r) =>
      r.slice(0, 20),
    ),
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

/** GET /privacy */
export async function privacyGet(c: Ctx) {
  const s = await guard(c, 'privacy')
  if (isResponse(s)) return s
  return privacyPage(c, s)
}

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

/** POST /privacy */
export async function privacyPost(c: Ctx) {
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
}

/** GET /audit */
export async function auditGet(c: Ctx) {
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
}
