/**
 * "To call back": every waiting caller (src/calls/calls.service.ts `listWaitingCallers`), newest
 * first, with how long each has waited and one-tap Call back / Resolve / Book; and the POST
 * handlers of those actions, shared with the call page.
 */
import { z } from 'zod'
import { callBackAudited, resolveAudited } from '../../calls/actions'
import { findClinicCall, listWaitingCallers, type WaitingCaller } from '../../calls/calls.service'
import { actorOf } from '../../lib/context'
import { paginate } from '../../lib/pagination'
import { ProblemError } from '../../lib/problem'
import { canEdit } from '../access'
import { DataTable, Pager } from '../components'
import { callerLabel, formatDuration, formatLocal } from '../format'
import { Layout, Notice, pagerHref } from '../layout'
import {
  type Ctx,
  cursorOf,
  formOf,
  PAGE_SIZE,
  type PageState,
  page,
  renderError,
} from '../page-kit'

/** What a finished action tells the page it returns to (`?done=`): fixed texts only. */
export const ACTION_NOTICES: Record<string, string> = {
  'call-queued': 'Calling: your phone will ring first, then the caller.',
  'call-sandboxed': 'Sandbox mode: no call was placed (nothing is counted).',
  resolved: 'Marked as handled.',
}

/** The notice named by `?done=`, if known. */
export const actionNotice = (c: Ctx) => ACTION_NOTICES[c.req.query('done') ?? ''] ?? null

/** One tap: ring the staff phone, then the caller. */
export function CallBackButton(props: { callId: string; back: string }) {
  return (
    <form
      method="post"
      action={`/calls/${encodeURIComponent(props.callId)}/call-back`}
      class="inline"
    >
      <input type="hidden" name="back" value={props.back} />
      <button type="submit">Call back</button>
    </form>
  )
}

/** Resolve by hand: called back (elsewhere), booked, or not needed. */
export function ResolveForm(props: { callId: string; back: string }) {
  const id = `resolve-${props.callId}`
  return (
    <form
      method="post"
      action={`/calls/${encodeURIComponent(props.callId)}/resolve`}
      class="inline"
    >
      <input type="hidden" name="back" value={props.back} />
      <label for={id} class="visually-hidden">
        Outcome
      </label>
      <select id={id} name="outcome">
        <option value="called-back">Called back</option>
        <option value="booked">Booked</option>
        <option value="not-needed">Not needed</option>
      </select>
      <button type="submit" class="secondary">
        Resolve
      </button>
    </form>
  )
}

/** The waiting callers as a table (the overview shows the newest few with the same columns). */
export function WaitingTable(props: {
  rows: readonly WaitingCaller[]
  timezone: string
  /** Show the action forms (the member may act on calls). */
  actions?: boolean
  back?: string
}) {
  const back = props.back ?? '/calls/waiting'
  return (
    <DataTable
      rows={props.rows}
      columns={[
        {
          label: 'Caller',
          cell: (r) => (
            <a href={`/calls/${encodeURIComponent(r.callId)}`}>{callerLabel(r.callerHash)}</a>
          ),
        },
        { label: 'Last missed', cell: (r) => formatLocal(r.lastMissedAt, props.timezone) },
        {
          label: 'Waited',
          cell: (r) => (
            <data data-waited-ms={String(r.waitedMs)} value={String(r.waitedMs)}>
              {formatDuration(Math.round(r.waitedMs / 1000))}
            </data>
          ),
        },
        {
          label: 'Missed calls',
          class: 'num',
          cell: (r) => `${r.missedCount}${r.hasVoicemail ? ' (voicemail)' : ''}`,
        },
        ...(props.actions
          ? [
              {
                label: 'Act',
                cell: (r: WaitingCaller) => (
                  <>
                    <CallBackButton callId={r.callId} back={back} />
                    <ResolveForm callId={r.callId} back={back} />
                    <a href={`/calls/${encodeURIComponent(r.callId)}#book`}>Book</a>
                  </>
                ),
              },
            ]
          : []),
      ]}
    />
  )
}

function WorklistPage(props: {
  state: PageState
  rows: WaitingCaller[]
  nextCursor: string | null
  actions: boolean
  notice: string | null
}) {
  return (
    <Layout title="To call back" viewer={props.state.viewer} active="worklist">
      <Notice message={props.notice} />
      <p class="hint">
        Every missed caller not yet called back, resolved or booked: one line per caller (their
        latest missed call), newest first. Numbers are never shown; Call back rings your phone
        first.
      </p>
      {props.rows.length === 0 ? (
        <p>Everyone has been called back. 🎉</p>
      ) : (
        <WaitingTable
          rows={props.rows}
          timezone={props.state.clinic.timezone}
          actions={props.actions}
        />
      )}
      <Pager
        first="/calls/waiting"
        next={props.nextCursor ? pagerHref('/calls/waiting', {}, props.nextCursor) : null}
        label="Older"
      />
    </Layout>
  )
}

/** GET /calls/waiting */
export const worklistPage = page('worklist', async (c, s) => {
  const now = Date.now()
  const rows = await listWaitingCallers(c.var.db, s.clinic.id, {
    limit: PAGE_SIZE,
    cursor: cursorOf(c.req.query('cursor')),
    now,
  })
  const { items, nextCursor } = paginate(rows, PAGE_SIZE, (r) => ({
    t: r.lastMissedAt,
    id: r.callId,
  }))
  const actions = canEdit(s.principal.role, 'worklist')
  return c.html(
    <WorklistPage
      state={s}
      rows={items}
      nextCursor={nextCursor}
      actions={actions}
      notice={actionNotice(c)}
    />,
  )
})

/** Where an action returns to: the worklist or a call page, never anywhere else. */
function backTo(raw: string | undefined, callId: string): string {
  const own = `/calls/${encodeURIComponent(callId)}`
  return raw === '/calls/waiting' || raw === '/' ? raw : own
}

/** Runs a call action; a problem (409 withheld, 502 Twilio down, …) becomes the error page. */
async function callAction(
  c: Ctx,
  s: PageState,
  act: (
    call: NonNullable<Awaited<ReturnType<typeof findClinicCall>>>,
    form: Record<string, string>,
  ) => Promise<string>,
): Promise<Response> {
  const call = await findClinicCall(c.var.db, s.clinic.id, c.req.param('id') ?? '')
  if (!call) return renderError(c, 404, 'No such call.')
  const form = await formOf(c)
  try {
    const done = await act(call, form)
    const back = backTo(form.back, call.id)
    return c.redirect(`${back}?done=${done}`, 303)
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err
    return renderError(c, err.status, err.detail ?? 'That did not work.')
  }
}

/** POST /calls/:id/call-back */
export const callBackPost = page('worklist', (c, s) =>
  callAction(c, s, async (call) => {
    const placed = await callBackAudited(
      c.env,
      { db: c.var.db, config: c.var.config },
      s.clinic,
      { kind: 'call', call },
      undefined,
      actorOf(s.principal),
    )
    return placed.status === 'queued' ? 'call-queued' : 'call-sandboxed'
  }),
)

const ResolveFormSchema = z.object({ outcome: z.enum(['called-back', 'booked', 'not-needed']) })

/** POST /calls/:id/resolve (the outcome is checked before the call is looked up). */
export const resolvePost = page('worklist', async (c, s) => {
  const parsed = ResolveFormSchema.safeParse(await formOf(c))
  if (!parsed.success) return renderError(c, 400, 'Choose an outcome.')
  return callAction(c, s, async (call) => {
    await resolveAudited(
      c.env,
      { db: c.var.db, now: Date.now() },
      call,
      parsed.data.outcome,
      actorOf(s.principal),
    )
    return 'resolved'
  })
})
