/** Bookings reported to Google and Meta (src/leads/conversions.ts), each upload with its status. */
import { type ConversionView, listConversions } from '../../leads/conversions'
import { ProblemError } from '../../lib/problem'
import { DataTable, Pager } from '../components'
import { formatLocal } from '../format'
import { Badge, Layout, pagerHref, type Viewer } from '../layout'
import { PAGE_SIZE, page, viewOf } from '../page-kit'

const STATUS_WORDS: Record<ConversionView['status'], string> = {
  queued: 'Waiting to send',
  sent: 'Sent',
  failed: 'Failed',
  'not-sendable': 'Not sendable',
  sandboxed: 'Kept (sandbox: nothing sent)',
}
const REASON_WORDS: Record<string, string> = {
  'older-than-7-days': 'Booked more than 7 days after the click: Meta no longer takes it',
  'no-destination': 'No Google Ads account or Meta pixel set in Settings',
  'no-consent-or-click': 'Consent withdrawn or the lead was erased',
  'gave-up': 'The platform kept refusing it',
}

function ConversionsPage(props: {
  viewer: Viewer
  timezone: string
  rows: ConversionView[]
  next: string | null
}) {
  return (
    <Layout title="Ad conversions" viewer={props.viewer} active="conversions">
      <p>
        Bookings by people who came from a Google or Meta ad and agreed to it being measured. Their
        email and phone are hashed when sent and never stored.
      </p>
      <DataTable
        rows={props.rows}
        label="Conversion uploads"
        empty="No conversions yet: they appear when a lead from an ad books."
        columns={[
          { label: 'When', cell: (r) => formatLocal(Date.parse(r.createdAt), props.timezone) },
          { label: 'Platform', cell: (r) => (r.platform === 'google' ? 'Google Ads' : 'Meta') },
          { label: 'Status', cell: (r) => <Badge kind="neutral">{STATUS_WORDS[r.status]}</Badge> },
          { label: 'Why', cell: (r) => (r.reason ? (REASON_WORDS[r.reason] ?? r.reason) : '—') },
          {
            label: 'Lead',
            cell: (r) => <a href={`/leads/${encodeURIComponent(r.leadId)}`}>Open the lead</a>,
          },
          {
            label: 'Booking',
            cell: (r) => (
              <a href={`/appointments/${encodeURIComponent(r.appointmentId)}`}>Open the booking</a>
            ),
          },
        ]}
      />
      <Pager
        first="/conversions"
        next={props.next && pagerHref('/conversions', {}, props.next)}
        label="Older uploads"
      />
    </Layout>
  )
}

/** GET /conversions */
export const conversionsGet = page('conversions', async (c, s) => {
  const { items, nextCursor } = await listConversions(c.var.db, s.clinic.id, {
    limit: PAGE_SIZE,
    cursor: c.req.query('cursor'),
  }).catch((err) => {
    // A tampered cursor: start again from the top rather than fail.
    if (err instanceof ProblemError) return { items: [], nextCursor: null }
    throw err
  })
  return c.html(<ConversionsPage {...viewOf(c, s, 'conversions')} rows={items} next={nextCursor} />)
})
