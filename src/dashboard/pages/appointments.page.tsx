/**
 * Appointments: the list and one appointment with its attribution explained, read through
 * src/appointments/service.ts.
 */
import { z } from 'zod'
import {
  type CountedAppointment,
  getCountedAppointment,
  listCountedAppointments,
} from '../../appointments/service'
import type { CallRow } from '../../calls/store'
import { paginate } from '../../lib/pagination'
import { DataTable, Pager } from '../components'
import { explainAttribution } from '../explain'
import { callerLabel, formatLocal, formatPence } from '../format'
import { FilterForm } from '../forms'
import { Badge, Layout, pagerHref, type Viewer } from '../layout'
import { cursorOf, PAGE_SIZE, page, renderError } from '../page-kit'

/** The attribution filter's choices. */
const BY_STATUS: readonly [string, string][] = [
  ['', 'Any'],
  ['recovered', 'Recovered'],
  ['unattributed', 'Not attributed'],
]

/** The value a booking adds to recovered revenue: only a recovered one counts (null otherwise). */
function countedValue(a: CountedAppointment): string | null {
  return a.attributionStatus === 'recovered' ? formatPence(a.countedValuePence) : null
}

function AppointmentsPage(props: {
  viewer: Viewer
  timezone: string
  status?: string
  rows: CountedAppointment[]
  nextCursor: string | null
}) {
  const tz = props.timezone
  return (
    <Layout title="Appointments" viewer={props.viewer} active="appointments">
      <FilterForm
        action="/appointments"
        label="Filter appointments"
        filters={[
          { name: 'status', label: 'Attribution', value: props.status, options: BY_STATUS },
        ]}
      />
      <DataTable
        rows={props.rows}
        empty="No appointments yet. Practice systems send them to the API."
        columns={[
          {
            label: 'Booked',
            cell: (a) => (
              <>
                <a href={`/appointments/${encodeURIComponent(a.id)}`}>
                  {formatLocal(a.createdAt, tz)}
                </a>
              </>
            ),
          },
          { label: 'Patient', cell: (a) => callerLabel(a.callerHash) },
          { label: 'Treatment', cell: (a) => a.treatmentName ?? '—' },
          {
            label: 'Attribution',
            cell: (a) => (
              <>
                <Badge kind={a.attributionStatus}>
                  {a.attributionStatus === 'recovered' ? 'Recovered' : 'Not attributed'}
                </Badge>
              </>
            ),
          },
          { label: 'Path', cell: (a) => a.attributionPath ?? '—' },
          { label: 'Counted value', class: 'num', cell: (a) => countedValue(a) ?? '—' },
        ]}
      />
      <Pager
        first="/appointments"
        next={
          props.nextCursor
            ? pagerHref('/appointments', { status: props.status }, props.nextCursor)
            : null
        }
        label="Older appointments"
      />
    </Layout>
  )
}

function AppointmentPage(props: {
  viewer: Viewer
  timezone: string
  windowDays: number
  appointment: CountedAppointment
  call: CallRow | null
}) {
  const { appointment: a, call, timezone: tz } = props
  const paragraphs = explainAttribution({
    appointment: a,
    call,
    windowDays: props.windowDays,
    timeZone: tz,
  })
  return (
    <Layout title="Appointment" viewer={props.viewer} active="appointments">
      <p>
        <a href="/appointments">← All appointments</a>
      </p>
      <section class="card" aria-labelledby="why">
        <h2 id="why">Why it counts (or doesn't)</h2>
        <div class="explanation">
          {paragraphs.map((p) => (
            <p>{p}</p>
          ))}
        </div>
      </section>
      <section class="card" aria-labelledby="facts">
        <h2 id="facts">Details</h2>
        <dl class="facts">
          <dt>Booked</dt>
          <dd>{formatLocal(a.createdAt, tz)}</dd>
          <dt>Scheduled for</dt>
          <dd>{formatLocal(a.scheduledFor, tz)}</dd>
          <dt>Patient</dt>
          <dd>{callerLabel(a.callerHash)}</dd>
          <dt>Treatment</dt>
          <dd>{a.treatmentName ?? '—'}</dd>
          {countedValue(a) === null ? null : (
            <>
              <dt>Counted value</dt>
              <dd>{countedValue(a)}</dd>
            </>
          )}
          <dt>Attribution</dt>
          <dd>{a.attributionStatus === 'recovered' ? 'Recovered' : 'Not attributed'}</dd>
          <dt>Path</dt>
          <dd>{a.attributionPath ?? '—'}</dd>
          <dt>Rule version</dt>
          <dd>{a.ruleVersion === null ? '—' : `v${a.ruleVersion}`}</dd>
          <dt>Missed call</dt>
          <dd>
            {call ? (
              <a href={`/calls?caller=${encodeURIComponent((call.callerHash ?? '').slice(0, 6))}`}>
                {`${formatLocal(call.startedAt, tz)} (${call.status})`}
              </a>
            ) : (
              '—'
            )}
          </dd>
          <dt>Reference</dt>
          <dd>
            <code>{a.id}</code>
          </dd>
        </dl>
      </section>
    </Layout>
  )
}

/** GET /appointments */
export const appointmentsListPage = page('appointments', async (c, s) => {
  const q = z
    .object({
      status: z.enum(['recovered', 'unattributed']).optional().catch(undefined),
      cursor: z.string().max(200).optional().catch(undefined),
    })
    .parse(c.req.query())
  const rows = await listCountedAppointments(
    c.var.db,
    s.clinic,
    { status: q.status },
    PAGE_SIZE,
    cursorOf(q.cursor),
  )
  const { items, nextCursor } = paginate(rows, PAGE_SIZE, (a) => ({ t: a.createdAt, id: a.id }))
  return c.html(
    <AppointmentsPage
      viewer={s.viewer}
      timezone={s.clinic.timezone}
      status={q.status}
      rows={items}
      nextCursor={nextCursor}
    />,
  )
})

/** GET /appointments/:id */
export const appointmentDetailPage = page('appointments', async (c, s) => {
  const id = c.req.param('id') ?? ''
  const found = id.length <= 64 ? await getCountedAppointment(c.var.db, s.clinic, id) : null
  // Another clinic's appointment is simply not found.
  if (!found) return renderError(c, 404, 'No such appointment.')
  return c.html(
    <AppointmentPage
      viewer={s.viewer}
      timezone={s.clinic.timezone}
      windowDays={s.clinic.attributionWindowDays}
      appointment={found.appointment}
      call={found.call}
    />,
  )
})
