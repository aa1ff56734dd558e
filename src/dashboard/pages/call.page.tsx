/**
 * One call: its outcome, timeline, voicemail player, the caller's other calls and texts, their
 * conversation, the booking it recovered (explained), and Call back / Resolve / Book. Also the
 * voicemail's audio route and the Book form's handler (through the appointments service).
 */
import type { Child } from 'hono/jsx'
import { recordingResponse } from '../../calls/actions'
import { findClinicCall } from '../../calls/calls.service'
import type { CallRow } from '../../calls/store'
import { type CallStory, loadCallStory } from '../../calls/story'
import { listTreatments } from '../../clinic/setup'
import { actorOf } from '../../lib/context'
import { canEdit } from '../access'
import { appointmentPath, bookFromForm } from '../booking'
import { DataTable } from '../components'
import { callerLabel, formatDuration, formatLocal, formatPence } from '../format'
import { Badge, FormErrors, Layout, Notice } from '../layout'
import { type Ctx, type PageState, page, renderError } from '../page-kit'
import { actionNotice, CallBackButton, ResolveForm } from './worklist.page'

/** What a call came to, in words: an unanswered outbound call is "not answered", never "missed". */
export function outcomeLabel(call: Pick<CallRow, 'direction' | 'status' | 'finalCallStatus'>) {
  if (call.direction === 'outbound') {
    if (call.status === 'ringing') return 'Calling'
    return call.finalCallStatus === 'completed' || call.status === 'answered'
      ? 'Answered'
      : 'Not answered'
  }
  return { ringing: 'Ringing', answered: 'Answered', missed: 'Missed', voicemail: 'Voicemail' }[
    call.status
  ]
}

type Treatment = { id: string; name: string; valuePence: number }

function CallPage(props: {
  state: PageState
  data: { call: CallRow; story: CallStory; treatments: Treatment[] }
  notice: string | null
  error?: string | null
}) {
  const { call, story } = props.data
  const tz = props.state.clinic.timezone
  const role = props.state.principal.role
  const here = `/calls/${encodeURIComponent(call.id)}`
  const waiting =
    call.direction === 'inbound' &&
    (call.status === 'missed' || call.status === 'voicemail') &&
    !call.calledBackAt &&
    !story.resolution &&
    !call.recoveredAppointmentId
  const events: [number | null, string][] = [
    [
      call.startedAt,
      `${call.direction === 'inbound' ? 'Rang in' : 'Called out'}: ${outcomeLabel(call)}`,
    ],
    [call.textedBackAt, 'Texted back'],
    [call.calledBackAt, 'Called back'],
    [call.resolvedAt, `Resolved: ${story.resolution?.outcome ?? ''}`],
  ]
  return (
    <Layout
      title={`Call from ${callerLabel(call.callerHash)}`}
      viewer={props.state.viewer}
      active="calls"
    >
      <Notice message={props.notice} />
      <FormErrors message={props.error} />
      <p>
        <Badge kind={call.direction === 'outbound' ? 'neutral' : call.status}>
          {outcomeLabel(call)}
        </Badge>{' '}
        {formatLocal(call.startedAt, tz)}
      </p>
      <h2>Timeline</h2>
      <ol class="timeline">
        {events
          .filter((e): e is [number, string] => e[0] !== null)
          .sort((a, b) => a[0] - b[0])
          .map(([at, what]) => (
            <li>
              <time>{formatLocal(at, tz)}</time> {what}
            </li>
          ))}
      </ol>
      {story.recording ? (
        <section aria-labelledby="voicemail">
          <h2 id="voicemail">Voicemail ({formatDuration(story.recording.durationSeconds)})</h2>
          {/* biome-ignore lint/a11y/useMediaCaption: a caller's voicemail has no transcript to caption it with. */}
          <audio controls preload="none" src={`${here}/recording`}>
            <a href={`${here}/recording`}>Download the voicemail</a>
          </audio>
        </section>
      ) : null}
      {canEdit(role, 'worklist') && waiting ? (
        <section aria-labelledby="act">
          <h2 id="act">Act</h2>
          <CallBackButton callId={call.id} back={here} />
          <ResolveForm callId={call.id} back={here} />
        </section>
      ) : null}
      <section aria-labelledby="booking">
        <h2 id="booking">Booking</h2>
        {story.attribution ? (
          <p>
            <a href={`/appointments/${encodeURIComponent(story.attribution.appointmentId)}`}>
              {`Recovered booking, ${formatPence(story.attribution.valuePence)}`}
            </a>
            {`: ${story.attribution.explanation}`}
          </p>
        ) : (
          <p>No booking has been credited to this call.</p>
        )}
        {canEdit(role, 'appointments') && call.callerHash ? (
          <BookForm call={call} treatments={props.data.treatments} />
        ) : null}
      </section>
      {story.conversationId ? (
        <p>
          <a href={`/conversations/${encodeURIComponent(story.conversationId)}`}>
            Open their conversation
          </a>
        </p>
      ) : null}
      <Related title="Their other calls" rows={story.otherCalls}>
        {(rows) => (
          <DataTable
            rows={rows}
            columns={[
              {
                label: 'When',
                cell: (o) => (
                  <a href={`/calls/${encodeURIComponent(o.id)}`}>
                    {formatLocal(Date.parse(o.startedAt), tz)}
                  </a>
                ),
              },
              { label: 'Direction', cell: (o) => o.direction },
              { label: 'Outcome', cell: (o) => outcomeLabel(o) },
            ]}
          />
        )}
      </Related>
      <Related title="Texts to them" rows={story.texts}>
        {(rows) => (
          <DataTable
            rows={rows}
            columns={[
              { label: 'When', cell: (t) => formatLocal(Date.parse(t.createdAt), tz) },
              { label: 'Kind', cell: (t) => `${t.kind} (${t.channel})` },
              { label: 'To', cell: (t) => t.toMasked },
              { label: 'Status', cell: (t) => t.status },
            ]}
          />
        )}
      </Related>
    </Layout>
  )
}

/** A titled related list, or "None." when it is empty. */
function Related<T>(props: { title: string; rows: T[]; children: (rows: T[]) => Child }) {
  return (
    <section>
      <h2>{props.title}</h2>
      {props.rows.length === 0 ? <p>None.</p> : props.children(props.rows)}
    </section>
  )
}

/** The short Book form: treatment, value (pounds, optional), when it is for. */
function BookForm(props: { call: CallRow; treatments: Treatment[] }) {
  return (
    <form
      id="book"
      method="post"
      action={`/calls/${encodeURIComponent(props.call.id)}/book`}
      class="card"
      aria-label="Book an appointment"
    >
      <div class="field">
        <label for="f-treatment">Treatment</label>
        <select id="f-treatment" name="treatmentId">
          <option value="">No treatment (clinic default value)</option>
          {props.treatments.map((t) => (
            <option value={t.id}>{`${t.name} (${formatPence(t.valuePence)})`}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-value">Value in pounds (optional)</label>
        <input id="f-value" name="value" inputmode="decimal" />
      </div>
      <div class="field">
        <label for="f-when">Appointment time (optional)</label>
        <input id="f-when" name="scheduledFor" type="datetime-local" />
      </div>
      <button type="submit">Book</button>
    </form>
  )
}

async function renderCall(c: Ctx, s: PageState, call: CallRow, error?: string) {
  const [story, list] = await Promise.all([
    loadCallStory(c.var.db, s.clinic, call),
    // One page of the price list is the whole of it for a clinic (the API's upper limit).
    listTreatments(c.var.db, s.clinic.id, { limit: 500 }),
  ])
  return c.html(
    <CallPage
      state={s}
      data={{ call, story, treatments: list.items }}
      notice={actionNotice(c)}
      error={error}
    />,
    error ? 400 : 200,
  )
}

/** GET /calls/:id */
export const callPage = page('calls', async (c, s) => {
  const call = await findClinicCall(c.var.db, s.clinic.id, c.req.param('id') ?? '')
  if (!call) return renderError(c, 404, 'No such call.')
  return renderCall(c, s, call)
})

/** GET /calls/:id/recording: the voicemail for the page's player (an audited read). */
export const callRecording = page('calls', async (c, s) => {
  const call = await findClinicCall(c.var.db, s.clinic.id, c.req.param('id') ?? '')
  const audio = call ? await recordingResponse(c.env, call, actorOf(s.principal)) : null
  return audio ?? renderError(c, 404, 'This call has no recording.')
})

/** POST /calls/:id/book: books for this caller through the appointments service, then shows the call. */
export const bookPost = page('appointments', async (c, s) => {
  const call = await findClinicCall(c.var.db, s.clinic.id, c.req.param('id') ?? '')
  if (!call) return renderError(c, 404, 'No such call.')
  if (!call.callerHash) return renderCall(c, s, call, 'The caller withheld their number.')
  const booked = await bookFromForm(c, s, call.callerHash)
  if ('refused' in booked) return renderCall(c, s, call, booked.refused)
  return c.redirect(appointmentPath(booked.appointmentId), 303)
})
