/** The team: members and roles (src/auth/team.ts) and the invite form. */
import { createInvite } from '../../auth/service'
import { listTeam, setAlerts } from '../../auth/team'
import type { Role } from '../../lib/context'
import { ProblemError } from '../../lib/problem'
import { DataTable } from '../components'
import { formatLocal } from '../format'
import { bound, FormSection, refusal } from '../forms'
import { Field, type FieldErrors, Layout, Notice, Select, type Viewer } from '../layout'
import { type Extra, fieldErrorsOf, formOf, page, viewLoader, viewOf } from '../page-kit'

const ROLE_TEXT: Record<string, string> = {
  owner: 'Owner — everything, including other owners',
  admin: 'Admin — settings, team, privacy, API keys',
  receptionist: 'Receptionist — calls, appointments, callbacks',
  analyst: 'Analyst — read-only metrics',
}

/** The form under the list. */
const INVITE_FORM = {
  id: 'invite',
  title: 'Invite a team member',
  action: '/team',
  submit: 'Send invite',
}

function TeamPage(props: {
  viewer: Viewer
  canEdit: boolean
  timezone: string
  rows: {
    id: string
    email: string
    role: string
    status: string
    lastLoginAt: number | null
    alerts: boolean
  }[]
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
      <DataTable
        rows={props.rows}
        columns={[
          { label: 'Email', cell: (u) => u.email },
          { label: 'Role', cell: (u) => u.role },
          { label: 'Status', cell: (u) => u.status },
          { label: 'Last sign-in', cell: (u) => formatLocal(u.lastLoginAt, props.timezone) },
          {
            label: 'Alert emails',
            cell: (u) =>
              props.canEdit ? (
                <form
                  method="post"
                  action={`/team/${encodeURIComponent(u.id)}/alerts`}
                  class="inline"
                >
                  <input type="hidden" name="alerts" value={u.alerts ? 'off' : 'on'} />
                  <button type="submit" class="secondary">
                    {u.alerts ? 'On — turn off' : 'Off — turn on'}
                  </button>
                </form>
              ) : u.alerts ? (
                'On'
              ) : (
                'Off'
              ),
          },
        ]}
      />
      <p class="hint">
        Alert emails: one short email every few minutes when a conversation needs a person or a call
        is missed while you are open.
      </p>
      <h2>Roles</h2>
      <ul>
        {Object.entries(ROLE_TEXT).map(([, text]) => (
          <li>{text}</li>
        ))}
      </ul>
      {props.canEdit ? (
        <FormSection {...INVITE_FORM} error={props.error}>
          <Field {...bound(props, 'email')} label="Email" type="email" required />
          <Select
            name="role"
            label="Role"
            value={props.values?.role ?? 'receptionist'}
            options={roles.map((r) => [r, r])}
          />
        </FormSection>
      ) : null}
    </Layout>
  )
}

const teamPage = viewLoader<Extra<typeof TeamPage>>(async (c, s, extra) => {
  const { items } = await listTeam(c.var.db, c.var.config, s.clinic.id, { limit: 200 })
  const rows = items.map((u) => ({
    id: u.id,
    email: u.email,
    role: u.role,
    status: u.status,
    lastLoginAt: u.lastLoginAt ? Date.parse(u.lastLoginAt) : null,
    alerts: u.alerts,
  }))
  return <TeamPage {...viewOf(c, s, 'team')} rows={rows} {...extra} />
})

/** GET /team */
export const teamGet = page('team', teamPage)

/** POST /team */
export const teamPost = page('team', async (c, s) => {
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
    const refused = refusal(values, fieldErrorsOf(err))
    return teamPage(c, s, status === 400 ? refused : { ...refused, error: err.detail }, status)
  }
  return c.redirect('/team?notice=invited', 303)
})

/** POST /team/:id/alerts — turn a member's alert emails on or off. */
export const teamAlertsPost = page('team', async (c, s) => {
  const form = await formOf(c)
  if (form.alerts !== 'on' && form.alerts !== 'off') return c.redirect('/team', 303)
  await setAlerts(
    c.var.db,
    c.var.config,
    c.env,
    s.principal,
    c.req.param('id') ?? '',
    form.alerts === 'on',
  )
  return c.redirect('/team?notice=saved', 303)
})
