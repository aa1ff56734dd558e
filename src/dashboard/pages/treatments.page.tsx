/** Treatments and their values (src/clinic/setup.ts, as the API), and adding one. */
import { addTreatment, listTreatments } from '../../clinic/setup'
import { parsePounds } from '../../lib/money'
import { type Column, DataTable } from '../components'
import { formatPence } from '../format'
import { bound, FormSection, refusal } from '../forms'
import { Field, type FieldErrors, Layout, Notice, type Viewer } from '../layout'
import { type Extra, formOf, page, viewLoader, viewOf } from '../page-kit'

/** The form under the list. */
const ADD_TREATMENT_FORM = {
  id: 'add-treatment',
  title: 'Add a treatment',
  action: '/treatments',
  submit: 'Add treatment',
}

type TreatmentRow = { id: string; name: string; valuePence: number }

const COLUMNS: readonly Column<TreatmentRow>[] = [
  { label: 'Treatment', cell: (t) => t.name },
  { label: 'Value', class: 'num', cell: (t) => formatPence(t.valuePence) },
]

function TreatmentsPage(props: {
  viewer: Viewer
  canEdit: boolean
  rows: TreatmentRow[]
  defaultPence: number
  values?: { name?: string; value?: string }
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
}) {
  return (
    <Layout title="Treatments" viewer={props.viewer} active="treatments">
      <Notice message={props.notice} />
      <p>
        {`A recovered booking counts at its own value, else its treatment's value below, else the clinic default of ${formatPence(props.defaultPence)}.`}
      </p>
      <DataTable rows={props.rows} empty="No treatments yet." columns={COLUMNS} />
      {props.canEdit ? (
        <FormSection {...ADD_TREATMENT_FORM} error={props.error}>
          <Field {...bound(props, 'name')} label="Name" required />
          <Field {...bound(props, 'value')} {...POUNDS} label="Value (£)" />
        </FormSection>
      ) : null}
    </Layout>
  )
}

const POUNDS = { inputmode: 'decimal', hint: 'For example 450 or 79.99.', required: true } as const

const treatmentsPage = viewLoader<Extra<typeof TreatmentsPage>>(async (c, s, extra) => {
  // Every treatment fits one page (a price list, not a log); shown by name.
  const { items } = await listTreatments(c.var.db, s.clinic.id, { limit: 500 })
  const rows = [...items].sort((a, b) => a.name.localeCompare(b.name))
  const pence = s.clinic.defaultAppointmentValuePence
  return (
    <TreatmentsPage {...viewOf(c, s, 'treatments')} rows={rows} defaultPence={pence} {...extra} />
  )
})

/** GET /treatments */
export const treatmentsGet = page('treatments', treatmentsPage)

/** POST /treatments */
export const treatmentsPost = page('treatments', async (c, s) => {
  const form = await formOf(c)
  const name = (form.name ?? '').trim()
  const valuePence = parsePounds(form.value ?? '')
  const errors: FieldErrors = {}
  if (name.length < 1 || name.length > 120)
    errors.name = 'Give the treatment a name (up to 120 characters).'
  if (valuePence === null) errors.value = 'Enter an amount in pounds, such as 450 or 79.99.'
  if (errors.name || errors.value || valuePence === null) {
    return treatmentsPage(c, s, refusal({ name: form.name, value: form.value }, errors), 400)
  }
  await addTreatment(c.var.db, c.env, s.principal, { name, valuePence })
  return c.redirect('/treatments?notice=treatment-added', 303)
})
