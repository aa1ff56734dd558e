/** The calls list: filters (status, direction, callback, dates, caller) over src/calls, newest first. */
import { z } from 'zod'
import { listCalls } from '../../calls/calls.service'
import type { CallRow } from '../../calls/store'
import { encodeCursor } from '../../lib/pagination'
import { addDays, isCalendarDate, startOfLocalDay } from '../../metrics/local-time'
import { DataTable, Pager } from '../components'
import { callerLabel, formatLocal } from '../format'
import { type Filter, FilterForm } from '../forms'
import { Badge, Layout, pagerHref, type Viewer } from '../layout'
import { cursorOf, PAGE_SIZE, page } from '../page-kit'
import { outcomeLabel } from './call.page'

type CallsQuery = {
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
  if (c.resolutionOutcome) return `Resolved (${c.resolutionOutcome})`
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

const ANY: [string, string] = ['', 'Any']

/** The calls list's filters, each showing the query's current choice. */
function callFilters(query: CallsQuery): Filter[] {
  return [
    {
      name: 'status',
      label: 'Status',
      value: query.status,
      options: [
        ANY,
        ['missed', 'Missed'],
        ['voicemail', 'Voicemail'],
        ['answered', 'Answered'],
        ['ringing', 'Ringing'],
      ],
    },
    {
      name: 'direction',
      label: 'Direction',
      value: query.direction,
      options: [ANY, ['inbound', 'Inbound'], ['outbound', 'Outbound']],
    },
    {
      name: 'callback',
      label: 'Callback',
      value: query.callback,
      options: [ANY, ['waiting', 'Waiting for a callback'], ['called-back', 'Called back']],
    },
  ]
}

function CallsPage(props: {
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
      <FilterForm action="/calls" label="Filter calls" filters={callFilters(query)}>
        <div class="field">
          <label for="f-from">From</label>
          <input id="f-from" type="date" name="from" value={query.from} />
        </div>
        <div class="field">
          <label for="f-to">To</label>
          <input id="f-to" type="date" name="to" value={query.to} />
        </div>
        {query.caller ? <input type="hidden" name="caller" value={query.caller} /> : null}
      </FilterForm>
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
        <DataTable
          rows={props.rows}
          columns={[
            { label: 'When', cell: (c) => formatLocal(c.startedAt, tz) },
            { label: 'Caller', cell: (c) => callerLabel(c.callerHash) },
            { label: 'Direction', cell: (c) => c.direction },
            {
              label: 'Status',
              cell: (c) => (
                <>
                  <a href={`/calls/${encodeURIComponent(c.id)}`}>
                    <Badge kind={c.direction === 'outbound' ? 'neutral' : c.status}>
                      {outcomeLabel(c)}
                    </Badge>
                  </a>
                </>
              ),
            },
            { label: 'Callback', cell: (c) => callbackState(c, tz) },
            { label: 'Text-back', cell: (c) => textBackState(c) },
            {
              label: 'Booking',
              cell: (c) => (
                <>
                  {c.recoveredAppointmentId ? (
                    <a href={`/appointments/${encodeURIComponent(c.recoveredAppointmentId)}`}>
                      Recovered booking
                    </a>
                  ) : (
                    '—'
                  )}
                </>
              ),
            },
          ]}
        />
      )}
      <Pager
        first="/calls"
        next={props.nextCursor ? pagerHref('/calls', query, props.nextCursor) : null}
        label="Older calls"
      />
    </Layout>
  )
}

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
export const callsListPage = page('calls', async (c, s) => {
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
})
