/** Treatments and their values (src/clinic/setup.ts, as the API), and adding one. */
import { addTreatment, listTreatments } from '../../clinic/setup'
import { parsePounds } from '../../lib/money'
import { canEdit } from '../access'
import { formatPence } from '../format'
import { Field, type FieldErrors, FormErrors, Layout, Notice, type Viewer } from '../layout'
import { type Ctx, formOf, notice, type PageState, page } from '../page-kit'

function TreatmentsPage(props: {
  viewer: Viewer
  canEdit: boolean
  rows: { id: string; name: string; valuePence: number }[]
  defaultValuePence: number
  values?: { name?: string; value?: string }
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
}) {
  return (
    <Layout title="Treatments" viewer={props.viewer} active="treatments">
      <Notice message={props.notice} />
      <p>
        {`A recovered booking counts at its own value, else its treatment's value below, else the clinic default of ${formatPence(props.defaultValuePence)}.`}
      </p>
      {props.rows.length === 0 ? (
        <p>No treatments yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Treatment</th>
                <th scope="col" class="num">
                  Value
                </th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((t) => (
                <tr>
                  <td>{t.name}</td>
                  <td class="num">{formatPence(t.valuePence)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.canEdit ? (
        <section aria-labelledby="add-treatment">
          <h2 id="add-treatment">Add a treatment</h2>
          <FormErrors message={props.error} />
          <form class="stack card" method="post" action="/treatments" novalidate>
            <Field
              name="name"
              label="Name"
              required
              value={props.values?.name}
              errors={props.errors}
            />
            <Field
              name="value"
              label="Value (£)"
              inputmode="decimal"
              hint="For example 450 or 79.99."
              required
              value={props.values?.value}
              errors={props.errors}
            />
            <button type="submit">Add treatment</button>
          </form>
        </section>
      ) : null}
    </Layout>
  )
}

async function treatmentsPage(
  c: Ctx,
  s: PageState,
  extra: Partial<Parameters<typeof TreatmentsPage>[0]> = {},
  status: 200 | 400 = 200,
) {
  // Every treatment fits one page (a price list, not a log); shown by name.
  const { items } = await listTreatments(c.var.db, s.clinic.id, { limit: 500 })
  const rows = [...items].sort((a, b) => a.name.localeCompare(b.name))
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
