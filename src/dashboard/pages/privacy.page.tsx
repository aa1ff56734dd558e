/** Privacy: data-subject requests and purge receipts (src/privacy), and recording a request. */
import { z } from 'zod'
import { type AuditNames, describePrivacyRequest, describePurge } from '../../audit/describe'
import { actorOf } from '../../lib/context'
import { ProblemError } from '../../lib/problem'
import { listPrivacyRequests, listPurgeRuns } from '../../privacy/privacy.service'
import { createPrivacyRequest } from '../../privacy/requests'
import { loadAuditNames } from '../audit-names'
import { DataTable } from '../components'
import { formatLocal, formatLocalDate } from '../format'
import { bound, FormSection, refusal } from '../forms'
import { Field, type FieldErrors, Layout, Notice, Select, type Viewer } from '../layout'
import {
  type Extra,
  fieldErrorsOf,
  formOf,
  page,
  viewLoader,
  viewOf,
  zodFieldErrors,
} from '../page-kit'

const REQUEST_TYPES = ['access', 'erasure', 'rectification', 'restriction', 'objection'] as const
const EITHER = 'Give a phone number, an email, or both.'

/** The form under the list. */
const NEW_REQUEST_FORM = {
  id: 'new-request',
  title: 'Record a request',
  action: '/privacy',
  submit: 'Record request',
}

function PrivacyPage(props: {
  viewer: Viewer
  timezone: string
  now: number
  names: AuditNames
  requests: {
    id: string
    type: string
    subjectHash: string | null
    emailLookup: string | null
    requestedBy: string | null
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
          <DataTable
            rows={props.requests.map((r) => ({
              ...r,
              words: describePrivacyRequest(r, props.names),
            }))}
            columns={[
              { label: 'Received', cell: (r) => formatLocalDate(r.createdAt, tz) },
              { label: 'Request', cell: (r) => r.words.what },
              { label: 'Subject', cell: (r) => r.words.subject },
              { label: 'Recorded by', cell: (r) => r.words.recordedBy },
              { label: 'Status', cell: (r) => r.status },
              {
                label: 'Due',
                cell: (r) => (
                  <>
                    {formatLocalDate(r.dueAt, tz)}
                    {!r.completedAt && r.dueAt < props.now ? <strong> (overdue)</strong> : null}
                  </>
                ),
              },
              {
                label: 'Export',
                cell: (r) =>
                  r.type === 'access' ? (
                    <a href={`/api/v1/privacy/requests/${encodeURIComponent(r.id)}/export`}>JSON</a>
                  ) : (
                    '—'
                  ),
              },
            ]}
          />
        )}
      </section>
      <FormSection {...NEW_REQUEST_FORM} error={props.error}>
        <Select
          name="type"
          label="Type"
          value={props.values?.type ?? 'access'}
          options={REQUEST_TYPES.map((t) => [t, t])}
        />
        <Field {...bound(props, 'phone')} label="Subject's phone number" type="tel" hint={EITHER} />
        <Field {...bound(props, 'email')} label="Subject's email" type="email" />
      </FormSection>
      <section aria-labelledby="purges">
        <h2 id="purges">Retention purges</h2>
        <DataTable
          rows={props.purges.map((p) => ({ ...p, words: describePurge(p) }))}
          empty="No purges have run yet. They run daily at 03:00 UTC."
          columns={[
            { label: 'Ran', cell: (p) => formatLocal(p.ranAt, tz) },
            { label: 'What', cell: (p) => p.words.what },
            { label: 'Older than', cell: (p) => formatLocalDate(p.cutoff, tz) },
            { label: 'Deleted', cell: (p) => p.words.deleted },
          ]}
        />
      </section>
    </Layout>
  )
}

const privacyPage = viewLoader<Extra<typeof PrivacyPage>>(async (c, s, extra) => {
  const [requests, purges] = await Promise.all([
    listPrivacyRequests(c.var.db, s.clinic.id, 50, null).then((r) => r.slice(0, 50)),
    listPurgeRuns(c.var.db, s.clinic.id, 20, null, { withPlatformRuns: true }).then((r) =>
      r.slice(0, 20),
    ),
  ])
  const names = await loadAuditNames(
    c,
    s,
    requests.map((r) => r.requestedBy),
    { requests },
  )
  const view = { now: Date.now(), names, requests, purges }
  return <PrivacyPage {...viewOf(c, s, 'privacy')} {...view} {...extra} />
})

/** GET /privacy */
export const privacyGet = page('privacy', privacyPage)

const PrivacyFormSchema = z.object({
  type: z.enum(REQUEST_TYPES, {
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
export const privacyPost = page('privacy', async (c, s) => {
  const form = await formOf(c)
  const values = { type: form.type, phone: form.phone, email: form.email }
  const parsed = PrivacyFormSchema.safeParse(form)
  const fail = (errors: FieldErrors) => privacyPage(c, s, refusal(values, errors), 400)
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
