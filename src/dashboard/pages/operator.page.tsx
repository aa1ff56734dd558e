/**
 * The operator's view (owners and admins of the operator's own tenant only): every clinic's plan,
 * status, MRR, this month's usage and last activity. No patient data: src/billing/operator.ts.
 */
import { operatorOverview } from '../../billing/operator'
import { formatPence } from '../../lib/money'
import { DataTable } from '../components'
import { formatLocal } from '../format'
import { Layout, type Viewer } from '../layout'
import { page, renderError, viewOf } from '../page-kit'

function OperatorPage(props: {
  viewer: Viewer
  timezone: string
  overview: Awaited<ReturnType<typeof operatorOverview>>
}) {
  const { rows, mrrPence } = props.overview
  return (
    <Layout title="Operator" viewer={props.viewer} active="operator">
      <p>{`${rows.length} clinic${rows.length === 1 ? '' : 's'} · MRR ${formatPence(mrrPence)}`}</p>
      <DataTable
        rows={rows}
        label="Clinics"
        empty="No clinics yet."
        columns={[
          { label: 'Clinic', cell: (r) => r.name },
          { label: 'Plan', cell: (r) => r.plan ?? '—' },
          { label: 'Status', cell: (r) => r.status },
          { label: 'Locations', cell: (r) => String(r.locations) },
          { label: 'MRR', cell: (r) => formatPence(r.mrrPence) },
          { label: 'Texts this month', cell: (r) => String(r.smsSegments) },
          { label: 'AI replies this month', cell: (r) => String(r.aiReplies) },
          {
            label: 'Last call',
            cell: (r) => (r.lastCallAt ? formatLocal(r.lastCallAt, props.timezone) : '—'),
          },
        ]}
      />
    </Layout>
  )
}

/** GET /operator */
export const operatorGet = page('operator', async (c, s) => {
  // Role alone is not enough: only the operator's own tenant sees across clinics.
  if (!s.clinic.isOperator) return renderError(c, 404, 'No such page.')
  const v = viewOf(c, s, 'operator')
  return c.html(<OperatorPage {...v} overview={await operatorOverview(c.var.db, Date.now())} />)
})
