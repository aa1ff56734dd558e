/**
 * The inbox: every conversation of the clinic (needs-human first, then newest), with filters,
 * unread counts and assignment. Views render the CONTRACT's conversation shapes.
 */
import { triageReasonInWords } from '../../assistant/safety'
import type {
  ConversationStatus,
  ConversationSummary,
} from '../../conversations/conversations.service'
import { type Column, DataTable, Pager } from '../components'
import { callerLabel, formatLocal } from '../format'
import { FilterForm } from '../forms'
import { Badge, Layout, Notice, pagerHref, type Viewer } from '../layout'

/** A conversation as the inbox lists it: the service's (and the API's) shape. */
export type ConversationSummaryView = ConversationSummary

export type { ConversationStatus }

/** The inbox's filters as the URL carries them (`who`: assigned to me, or to nobody). */
export type InboxFilters = {
  status?: ConversationStatus | undefined
  channel?: ConversationSummaryView['channel'] | undefined
  who?: 'me' | 'unassigned' | undefined
}

const STATUS_WORDS: Record<ConversationStatus, string> = {
  'needs-human': 'Needs a person',
  ai: 'AI answering',
  human: 'Staff answering',
  closed: 'Closed',
}

/** Badge colours from the shared stylesheet: red for waiting on a person, green for staff. */
const STATUS_BADGE: Record<ConversationStatus, string> = {
  'needs-human': 'missed',
  ai: 'neutral',
  human: 'recovered',
  closed: 'neutral',
}

export const CHANNEL_WORDS: Record<ConversationSummaryView['channel'], string> = {
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  web: 'Web chat',
}

const BY_STATUS: readonly [string, string][] = [
  ['', 'Any'],
  ...(Object.entries(STATUS_WORDS) as [string, string][]),
]
const BY_CHANNEL: readonly [string, string][] = [
  ['', 'Any'],
  ...(Object.entries(CHANNEL_WORDS) as [string, string][]),
]
const BY_WHO: readonly [string, string][] = [
  ['', 'Anyone'],
  ['me', 'Assigned to me'],
  ['unassigned', 'Unassigned'],
]

/** A conversation's status as a coloured label. */
export function StatusBadge(props: { status: ConversationStatus }) {
  return <Badge kind={STATUS_BADGE[props.status]}>{STATUS_WORDS[props.status]}</Badge>
}

/**
 * Priority reasons as staff read them, red flags first (they decide who is rung first), then in
 * the order the engine recorded them.
 */
export function reasonsInWords(reasons: readonly string[]): string[] {
  const flagged = reasons.filter((r) => r.startsWith('red-flag:'))
  const rest = reasons.filter((r) => !r.startsWith('red-flag:'))
  return [...flagged, ...rest].map(triageReasonInWords)
}

/** Who the patient is, without their number: the name they gave, the masked number or the hash label. */
export function contactLabel(c: Pick<ConversationSummaryView, 'contact' | 'contactHash'>): string {
  return c.contact.displayName ?? c.contact.phoneMasked ?? callerLabel(c.contactHash)
}

/** Who a conversation is assigned to, from the viewer's side. */
export function assigneeWords(assignedTo: string | null, me: string): string {
  if (assignedTo === null) return 'Unassigned'
  return assignedTo === me ? 'You' : 'Another member'
}

/** The ISO instant of the CONTRACT shapes in the clinic's time zone. */
export const formatIso = (iso: string, timeZone: string) => formatLocal(Date.parse(iso), timeZone)

/**
 * The "Assign to me" / "Unassign" button of one conversation (a form: works without script);
 * `back` is the page to return to (the list with its filters, or the thread).
 */
export function AssignForm(props: {
  id: string
  assignedTo: string | null
  me: string
  back: string
}) {
  const mine = props.assignedTo === props.me
  return (
    <form method="post" action={`/inbox/${encodeURIComponent(props.id)}/assign`} class="inline">
      <input type="hidden" name="to" value={mine ? '' : 'me'} />
      <input type="hidden" name="back" value={props.back} />
      <button type="submit" class="secondary">
        {mine ? 'Unassign' : 'Assign to me'}
      </button>
    </form>
  )
}

/** The inbox with these filters (what an action on the list returns to). */
export function inboxHref(f: InboxFilters): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v)
  const query = q.toString()
  return query ? `/inbox?${query}` : '/inbox'
}

/** The inbox table's columns: who, status, why, channel, when, and who has it. */
function inboxColumns(
  tz: string,
  me: string,
  canEdit: boolean,
  back: string,
): Column<ConversationSummaryView>[] {
  return [
    {
      label: 'Patient',
      cell: (r) => (
        <>
          <a href={`/inbox/${encodeURIComponent(r.id)}`}>{contactLabel(r)}</a>
          {r.unreadCount > 0 ? <Badge kind="missed">{` ${r.unreadCount} unread`}</Badge> : null}
        </>
      ),
    },
    { label: 'Status', cell: (r) => <StatusBadge status={r.status} /> },
    { label: 'Why', cell: (r) => reasonsInWords(r.priority.reasons).join('; ') || '—' },
    { label: 'Channel', cell: (r) => CHANNEL_WORDS[r.channel] },
    { label: 'Last message', cell: (r) => formatIso(r.lastMessageAt, tz) },
    {
      label: 'Assigned',
      cell: (r) => [
        assigneeWords(r.assignedTo, me),
        canEdit ? <AssignForm id={r.id} assignedTo={r.assignedTo} me={me} back={back} /> : null,
      ],
    },
  ]
}

export function InboxPage(props: {
  viewer: Viewer
  timezone: string
  canEdit: boolean
  notice: string | null
  me: string
  filters: InboxFilters
  counts: { needsHuman: number; unread: number } | null
  rows: readonly ConversationSummaryView[]
  nextCursor: string | null
}) {
  const f = props.filters
  const next = props.nextCursor ? pagerHref('/inbox', f, props.nextCursor) : null
  return (
    <Layout title="Inbox" viewer={props.viewer} active="inbox">
      <Notice message={props.notice} />
      {props.counts ? (
        <p role="status">
          {`${props.counts.needsHuman} need a person · ${props.counts.unread} unread messages`}
        </p>
      ) : null}
      <FilterForm action="/inbox" label="Filter conversations" filters={inboxFilters(f)} />
      <DataTable
        rows={props.rows}
        empty="No conversations here. Patients' replies to text-backs and their messages arrive in this inbox."
        columns={inboxColumns(props.timezone, props.me, props.canEdit, inboxHref(f))}
      />
      <Pager first="/inbox" next={next} label="More conversations" />
    </Layout>
  )
}

/** The filter bar's selects, showing the filters in use. */
const inboxFilters = (f: InboxFilters) => [
  { name: 'status', label: 'Status', value: f.status, options: BY_STATUS },
  { name: 'channel', label: 'Channel', value: f.channel, options: BY_CHANNEL },
  { name: 'who', label: 'Assigned', value: f.who, options: BY_WHO },
]
