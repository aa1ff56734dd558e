/**
 * Calls and appointments: filterable lists and the appointment page with its attribution
 * explained. Loaders read through src/calls and src/appointments (the API's own services).
 */
import { z } from 'zod'
import {
  type CountedAppointment,
  getCountedAppointment,
  listCountedAppointments,
} from '../../appointments/service'
import { listCalls } from '../../calls/calls.service'
import type { CallRow } from '../../calls/store'
import { encodeCursor } from '../../lib/pagination'
import { addDays, isCalendarDate, startOfLocalDay } from '../../metrics/local-time'
import { explainAttribution } from '../explain'
import { callerLabel, formatLocal, formatPence } from '../format'
import { Layout, type Viewer } from '../layout'
import { type Ctx, cursorOf, guard, isResponse, PAGE_SIZE, renderError } from '../page-kit'

function Badge(props: { kind: string; children: string }) {
  return <span class={`badge badge-${props.kind}`}>{props.children}</span>
}

function pagerHref(base: string, params: Record<string, string | undefined>, cursor: string) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v)
  q.set('cursor', cursor)
  return `${base}?${q.toString()}`
}

function Select(props: {
  name: string
  label: string
  value: string | undefined
  options: readonly [string, string][]
}) {
  return (
    <div class="field">
      <label for={`f-${props.name}`}>{props.label}</label>
      <select id={`f-${props.name}`} name={props.name}>
        {props.options.map(([value, text]) => (
          <option value={value} selected={(props.value ?? '') === value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  )
}

export type CallsQuery = {
  status?: string
  direction?: string
  callback?: string
  from?: string
  to?: string
  caller?: string
}

function callbackState(c: CallRow, tz: string): string {
  if (c.direction === 'outbound') return 'Outbound call'
  if (c.status !== 'missed' && c.status !== 'voicemail') return '—'
  if (c.calledBackAt) return `Called back ${formatLocal(c.calledBackAt, tz)}`
  if (c.recoveredAppointmentId) return 'Booked without a callback'
  return 'Waiting for a callback'
}

function textBackState(c: CallRow): string {
  switch (c.textBackStatus) {
    case 'sent':
      return 'Sent'
    case 'queued':
      return 'Queued'
    case 'failed':
      return 'Failed'
    case 'held-out':
      return 'Held out (test group)'
    case 'suppressed':
      return `Not sent${c.textBackReason ? ` (${c.textBackReason})` : ''}`
    default:
      return '—'
  }
}

export function CallsPage(props: {
  viewer: Viewer
  timezone: string
  query: CallsQuery
  rows: CallRow[]
  nextCursor: string | null
  error?: string | null
}) {
  const { query, timezone: tz } = props
  return (
    <Layout title="Calls" viewer={props.viewer} active="calls">
      <form class="inline card" method="get" action="/calls" aria-label="Filter calls">
        <Select
          name="status"
          label="Status"
          value={query.status}
          options={[
            ['', 'Any'],
            ['missed', 'Missed'],
            ['voicemail', 'Voicemail'],
            ['answered', 'Answered'],
            ['ringing', 'Ringing'],
          ]}
        />
        <Select
          name="direction"
          label="Direction"
          value={query.direction}
          options={[
            ['', 'Any'],
            ['inbound', 'Inbound'],
            ['outbound', 'Outbound'],
          ]}
        />
        <Select
          name="callback"
          label="Callback"
          value={query.callback}
          options={[
            ['', 'Any'],
            ['waiting', 'Waiting for a callback'],
            ['called-back', 'Called back'],
          ]}
        />
        <div class="field">
          <label for="f-from">From</label>
          <input id="f-from" type="date" name="from" value={query.from} />
        </div>
        <div class="field">
          <label for="f-to">To</label>
          <input id="f-to" type="date" name="to" value={query.to} />
        </div>
        {query.caller ? <input type="hidden" name="caller" value={query.caller} /> : null}
        <button type="submit">Filter</button>
      </form>
      {props.error ? (
        <div class="alert alert-error" role="alert">
          {props.error}
        </div>
      ) : null}
      {query.caller ? (
        <p>
          {`Showing calls from ${callerLabel(query.caller)}. `}
          <a href="/calls">Show everyone</a>
        </p>
      ) : null}
      {props.rows.length === 0 ? (
        <p>No calls match these filters.</p>
      ) : (
        <div class="table-wrap">
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Caller</th>
                <th scope="col">Direction</th>
                <th scope="col">Status</th>
                <th scope="col">Callback</th>
                <th scope="col">Text-back</th>
                <th scope="col">Booking</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((c) => (
                <tr>
                  <td data-label="When">{formatLocal(c.startedAt, tz)}</td>
                  <td data-label="Caller">{callerLabel(c.callerHash)}</td>
                  <td data-label="Direction">{c.direction}</td>
                  <td data-label="Status">
                    <Badge kind={c.status}>{c.status}</Badge>
                  </td>
                  <td data-label="Callback">{callbackState(c, tz)}</td>
                  <td data-label="Text-back">{textBackState(c)}</td>
                  <td data-label="Booking">
                    {c.recoveredAppointmentId ? (
                      <a href={`/appointments/${encodeURIComponent(c.recoveredAppointmentId)}`}>
                        Recovered booking
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <a href="/calls">Newest</a>
        {props.nextCursor ? (
          <a href={pagerHref('/calls', query, props.nextCursor)} rel="next">
            Older calls
          </a>
        ) : null}
      </nav>
    </Layout>
  )
}

export function AppointmentsPage(props: {
  viewer: Viewer
  timezone: string
  status?: string
  rows: CountedAppointment[]
  nextCursor: string | null
}) {
  const tz = props.timezone
  return (
    <Layout title="Appointments" viewer={props.viewer} active="appointments">
      <form
        class="inline card"
        method="get"
        action="/appointments"
        aria-label="Filter appointments"
      >
        <Select
          name="status"
          label="Attribution"
          value={props.status}
          options={[
            ['', 'Any'],
            ['recovered', 'Recovered'],
            ['unattributed', 'Not attributed'],
          ]}
        />
        <button type="submit">Filter</button>
      </form>
      {props.rows.length === 0 ? (
        <p>No appointments yet. Practice systems send them to the API.</p>
      ) : (
        <div class="table-wrap">
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">Booked</th>
                <th scope="col">Patient</th>
                <th scope="col">Treatment</th>
                <th scope="col">Attribution</th>
                <th scope="col">Path</th>
                <th scope="col" class="num">
                  Value
                </th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((a) => (
                <tr>
                  <td data-label="Booked">
                    <a href={`/appointments/${encodeURIComponent(a.id)}`}>
                      {formatLocal(a.createdAt, tz)}
                    </a>
                  </td>
                  <td data-label="Patient">{callerLabel(a.callerHash)}</td>
                  <td data-label="Treatment">{a.treatmentName ?? '—'}</td>
                  <td data-label="Attribution">
                    <Badge kind={a.attributionStatus}>
                      {a.attributionStatus === 'recovered' ? 'Recovered' : 'Not attributed'}
                    </Badge>
                  </td>
                  <td data-label="Path">{a.attributionPath ?? '—'}</td>
                  <td data-label="Value" class="num">
                    {formatPence(a.countedValuePence)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <a href="/appointments">Newest</a>
        {props.nextCursor ? (
          <a
            href={pagerHref('/appointments', { status: props.status }, props.nextCursor)}
            rel="next"
          >
            Older appointments
          </a>
        ) : null}
      </nav>
    </Layout>
  )
}

export function AppointmentPage(props: {
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
          <dt>Counted value</dt>
          <dd>{formatPence(a.countedValuePence)}</dd>
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

// --- Loaders ---------------------------------------------------------------------------------

const CallsQuerySchema = z.object({
  status: z.enum(['missed', 'answered', 'voicemail', 'ringing']).optional().catch(undefined),
  direction: z.enum(['inbound', 'outbound']).optional().catch(undefined),
  callback: z.enum(['waiting', 'called-back']).optional().catch(undefined),
  from: z.string().refine(isCalendarDate).optional().catch(undefined),
  to: z.string().refine(isCalendarDate).optional().catch(undefined),
  caller: z
    .string()
    .regex(/^[0-9a-f]{1,64}$/)
    .optional()
    .catch(undefined),
  cursor: z.string().max(200).optional().catch(undefined),
})

/** GET /calls */
export async function callsListPage(c: Ctx) {
  const s = await guard(c, 'calls')
  if (isResponse(s)) return s
  const q = CallsQuerySchema.parse(c.req.query())
  const tz = s.clinic.timezone
  const rows = await listCalls(
    c.var.db,
    s.clinic.id,
    {
      status: q.status,
      direction: q.direction,
      callback: q.callback,
      fromMs: q.from ? startOfLocalDay(q.from, tz) : undefined,
      toMs: q.to ? startOfLocalDay(addDays(q.to, 1), tz) : undefined,
      callerPrefix: q.caller,
    },
    PAGE_SIZE,
    cursorOf(q.cursor),
  )
  const page = rows.slice(0, PAGE_SIZE)
  const last = page[page.length - 1]
  const nextCursor =
    rows.length > PAGE_SIZE && last ? encodeCursor({ t: last.startedAt, id: last.id }) : null
  const query: CallsQuery = {
    status: q.status,
    direction: q.direction,
    callback: q.callback,
    from: q.from,
    to: q.to,
    caller: q.caller,
  }
  return c.html(
    <CallsPage viewer={s.viewer} timezone={tz} query={query} rows={page} nextCursor={nextCursor} />,
  )
}

/** GET /appointments */
export async function appointmentsListPage(c: Ctx) {
  const s = await guard(c, 'appointments')
  if (isResponse(s)) return s
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
  const page = rows.slice(0, PAGE_SIZE)
  const last = page[page.length - 1]
  const nextCursor =
    rows.length > PAGE_SIZE && last ? encodeCursor({ t: last.createdAt, id: last.id }) : null
  return c.html(
    <AppointmentsPage
      viewer={s.viewer}
      timezone={s.clinic.timezone}
      status={q.status}
      rows={page}
      nextCursor={nextCursor}
    />,
  )
}

/** GET /appointments/:id */
export async function appointmentDetailPage(c: Ctx) {
  const s = await guard(c, 'appointments')
  if (isResponse(s)) return s
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
}
