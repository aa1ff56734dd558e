/**
 * Forms a clinic puts on its website (src/leads/forms.service.ts, as the API): each with the one
 * line to paste, its hosted page and a live preview; adding one (kind, name, allowed sites).
 */
import { createForm, FORM_KINDS, listForms, OriginSchema } from '../../leads/forms.service'
import { ProblemError } from '../../lib/problem'
import { DataTable } from '../components'
import { bound, FormSection, refusal } from '../forms'
import { Field, type FieldErrors, Layout, Notice, Select, type Viewer } from '../layout'
import { type Extra, formOf, page, viewLoader, viewOf } from '../page-kit'

const KIND_WORDS: Record<(typeof FORM_KINDS)[number], string> = {
  enquiry: 'Enquiry (with photos)',
  guide: 'Guide download',
  scorecard: 'Missed-call scorecard',
  'book-call': 'Book a call',
  chat: 'Web chat',
}

type FormView = {
  id: string
  kind: (typeof FORM_KINDS)[number]
  name: string
  allowedOrigins: string[]
  embedSnippet: string
  hostedUrl: string
}

function FormsPage(props: {
  viewer: Viewer
  canEdit: boolean
  rows: FormView[]
  values?: { kind?: string; name?: string; origins?: string }
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
}) {
  const preview = props.rows[0]
  return (
    <Layout title="Forms" viewer={props.viewer} active="forms">
      <Notice message={props.notice} />
      <p>
        Paste a form’s line into your website’s HTML where the form should appear. It reads where
        the visitor came from (ads and campaigns) and sends their enquiry to your Leads.
      </p>
      <DataTable
        rows={props.rows}
        label="Forms"
        empty="No forms yet."
        columns={[
          { label: 'Form', cell: (f) => f.name },
          { label: 'Kind', cell: (f) => KIND_WORDS[f.kind] },
          {
            label: 'Allowed sites',
            cell: (f) => f.allowedOrigins.join(', ') || 'Only its own page',
          },
          {
            label: 'Paste this',
            cell: (f) => <code class="snippet">{f.embedSnippet}</code>,
          },
          { label: 'Page', cell: (f) => <a href={f.hostedUrl}>Open the form</a> },
        ]}
      />
      {preview ? (
        <section class="card" aria-labelledby="preview-h">
          <h2 id="preview-h">{`Preview: ${preview.name}`}</h2>
          <iframe
            class="form-preview"
            src={new URL(preview.hostedUrl).pathname}
            title={`Preview of ${preview.name}`}
            loading="lazy"
          />
        </section>
      ) : null}
      {props.canEdit ? (
        <FormSection
          id="add-form"
          title="Add a form"
          action="/forms"
          submit="Add form"
          error={props.error}
        >
          <Select
            name="kind"
            label="Kind"
            value={props.values?.kind ?? 'enquiry'}
            options={FORM_KINDS.map((k) => [k, KIND_WORDS[k]])}
          />
          <Field
            {...bound(props, 'name')}
            label="Name"
            required
            hint="For you, e.g. Bonding landing page."
          />
          <Field
            {...bound(props, 'origins')}
            label="Websites that may show it"
            hint="One per line or comma-separated, e.g. https://www.yourclinic.co.uk"
          />
        </FormSection>
      ) : null}
    </Layout>
  )
}

const formsPage = viewLoader<Extra<typeof FormsPage>>(async (c, s, extra) => {
  const { items } = await listForms(c.var.db, c.var.config, s.clinic.id, { limit: 200 })
  return <FormsPage {...viewOf(c, s, 'forms')} rows={items} {...extra} />
})

/** GET /forms */
export const formsGet = page('forms', formsPage)

/** POST /forms */
export const formsPost = page('forms', async (c, s) => {
  const form = await formOf(c)
  const values = { kind: form.kind, name: form.name, origins: form.origins }
  const errors: FieldErrors = {}
  const kind = FORM_KINDS.find((k) => k === form.kind)
  const name = (form.name ?? '').trim()
  if (!kind) errors.kind = 'Choose a kind of form.'
  if (name.length < 1 || name.length > 120)
    errors.name = 'Give the form a name (up to 120 characters).'
  const origins: string[] = []
  for (const raw of (form.origins ?? '').split(/[\s,]+/).filter(Boolean)) {
    const parsed = OriginSchema.safeParse(raw)
    if (parsed.success) origins.push(parsed.data)
    else
      errors.origins = `Not a website address: ${raw.slice(0, 80)}. Use e.g. https://www.yourclinic.co.uk`
  }
  if (!kind || Object.keys(errors).length) return formsPage(c, s, refusal(values, errors), 400)
  try {
    await createForm(c.var.db, c.env, c.var.config, s.principal, {
      kind,
      name,
      allowedOrigins: origins,
    })
  } catch (err) {
    if (err instanceof ProblemError && err.status === 400)
      return formsPage(c, s, refusal(values, errors), 400)
    throw err
  }
  return c.redirect('/forms?notice=form-added', 303)
})
