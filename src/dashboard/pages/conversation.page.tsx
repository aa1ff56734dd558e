/**
 * One conversation (the thread): its messages with the triage staff need, the reply box, take
 * over / hand back / close, assignment, Book and Call back. Every action is a plain POST form.
 */

import { RED_FLAG_LABELS, triageReasonInWords } from '../../assistant/safety'
import { callBackAudited } from '../../calls/actions'
import type {
  ConversationDetail,
  ConversationMessageView,
} from '../../conversations/conversations.service'
import { findConversation } from '../../conversations/store'
import { actorOf } from '../../lib/context'
import { ProblemError } from '../../lib/problem'
import { appointmentPath, bookFromForm } from '../booking'
import { type FormState, PostForm } from '../forms'
import { ErrorText, Field, Layout, Notice, type Viewer } from '../layout'
import { type Ctx, type PageState, page, renderError } from '../page-kit'
import {
  AssignForm,
  assigneeWords,
  CHANNEL_WORDS,
  type ConversationStatus,
  contactLabel,
  formatIso,
  reasonsInWords,
  StatusBadge,
} from './inbox.page'
import { actionNotice } from './worklist.page'

/** One message and the whole thread as the service (and the API) give them. */
export type ConversationDetailView = ConversationDetail
export type { ConversationMessageView }

const AUTHOR_WORDS: Record<ConversationMessageView['author'], string> = {
  patient: 'Patient',
  ai: 'AI assistant',
  staff: 'Staff',
  system: 'Ringback',
}

/** The status changes offered from each status (the current one is never offered). */
const STATUS_ACTIONS: readonly { to: Exclude<ConversationStatus, 'needs-human'>; label: string }[] =
  [
    { to: 'human', label: 'Take over' },
    { to: 'ai', label: 'Hand back to the AI' },
    { to: 'closed', label: 'Close' },
  ]

/** The Book form's fields as sent (strings, re-rendered when refused). */
export type BookValues = { treatmentId?: string; value?: string; scheduledFor?: string }

/** The thread's reply box as sent. */
export type ReplyValues = { body?: string }

const path = (id: string, action = '') =>
  `/inbox/${encodeURIComponent(id)}${action ? `/${action}` : ''}`

function Triage(props: { triage: NonNullable<ConversationMessageView['triage']> }) {
  const t = props.triage
  const flags = t.redFlags.map((f) => RED_FLAG_LABELS[f] ?? f)
  return (
    <p class="hint">
      {`Read as: ${t.intent}`}
      {flags.length > 0 ? <strong>{` · Red flag: ${flags.join(', ')}`}</strong> : null}
      {t.handoff && t.reason && !t.reason.startsWith('red-flag:')
        ? ` · Handed to staff: ${triageReasonInWords(t.reason)}`
        : null}
    </p>
  )
}

function Message(props: { m: ConversationMessageView; timezone: string }) {
  const { m } = props
  return (
    <li class="card">
      <p>
        <strong>{AUTHOR_WORDS[m.author]}</strong>
        {` · ${formatIso(m.createdAt, props.timezone)} · ${m.status}`}
      </p>
      <p class="message-body">{m.body}</p>
      {m.triage ? <Triage triage={m.triage} /> : null}
    </li>
  )
}

export function ConversationPage(props: {
  viewer: Viewer
  timezone: string
  canEdit: boolean
  canBook: boolean
  canCall: boolean
  notice: string | null
  me: string
  conversation: ConversationDetailView
  treatments: readonly { id: string; name: string }[]
  reply?: FormState<ReplyValues> & { error?: string | null }
  book?: FormState<BookValues> & { error?: string | null }
}) {
  const c = props.conversation
  const reasons = reasonsInWords(c.priority.reasons)
  return (
    <Layout title={contactLabel(c)} viewer={props.viewer} active="inbox">
      <p>
        <a href="/inbox">← Inbox</a>
      </p>
      <Notice message={props.notice} />
      <section class="card" aria-labelledby="about">
        <h2 id="about">About this conversation</h2>
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={c.status} />
          </dd>
          <dt>Channel</dt>
          <dd>{CHANNEL_WORDS[c.channel]}</dd>
          <dt>Why it needs attention</dt>
          <dd>{reasons.length ? reasons.join('; ') : '—'}</dd>
          <dt>Assigned</dt>
          <dd>{assigneeWords(c.assignedTo, props.me)}</dd>
        </dl>
        {props.canEdit ? (
          <div class="actions">
            <AssignForm id={c.id} assignedTo={c.assignedTo} me={props.me} back={path(c.id)} />
            {STATUS_ACTIONS.filter((a) => a.to !== c.status).map((a) => (
              <form method="post" action={path(c.id, 'status')} class="inline">
                <input type="hidden" name="status" value={a.to} />
                <button type="submit" class="secondary">
                  {a.label}
                </button>
              </form>
            ))}
            {props.canCall && c.contact.phoneMasked ? (
              <form method="post" action={`/conversations/${encodeURIComponent(c.id)}/call`}>
                <button type="submit">Call back</button>
              </form>
            ) : null}
          </div>
        ) : null}
      </section>
      <section aria-labelledby="messages">
        <h2 id="messages">Messages</h2>
        {c.messages.length === 0 ? (
          <p>No messages yet.</p>
        ) : (
          <ol class="thread">
            {c.messages.map((m) => (
              <Message m={m} timezone={props.timezone} />
            ))}
          </ol>
        )}
      </section>
      {props.canEdit ? (
        <section aria-labelledby="reply">
          <h2 id="reply">Reply</h2>
          <p class="hint">Sending a reply stops the AI: the conversation becomes staff-answered.</p>
          <PostForm action={path(c.id, 'reply')} submit="Send reply" error={props.reply?.error}>
            <div class="field">
              <label for="f-body">Your reply</label>
              <textarea
                id="f-body"
                name="body"
                required
                maxlength={1600}
                aria-invalid={props.reply?.errors?.body ? 'true' : undefined}
                aria-describedby={props.reply?.errors?.body ? 'f-body-error' : undefined}
              >
                {props.reply?.values?.body ?? ''}
              </textarea>
              <ErrorText id="f-body-error" message={props.reply?.errors?.body} />
            </div>
          </PostForm>
        </section>
      ) : null}
      {props.canBook && c.contact.phoneMasked ? (
        <BookSection
          action={`/conversations/${encodeURIComponent(c.id)}/book`}
          treatments={props.treatments}
          form={props.book ?? {}}
        />
      ) : null}
    </Layout>
  )
}

/** The short booking form: treatment, value and time; the appointment page then shows its attribution. */
export function BookSection(props: {
  action: string
  treatments: readonly { id: string; name: string }[]
  form: FormState<BookValues> & { error?: string | null }
}) {
  const f = props.form
  return (
    <section aria-labelledby="book">
      <h2 id="book">Book</h2>
      <PostForm action={props.action} submit="Record booking" error={f.error} class="stack card">
        <div class="field">
          <label for="f-treatmentId">Treatment</label>
          <select id="f-treatmentId" name="treatmentId">
            <option value="">Not listed (clinic default value)</option>
            {props.treatments.map((t) => (
              <option value={t.id} selected={f.values?.treatmentId === t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <Field
          name="value"
          label="Value (£, optional)"
          hint="Leave empty to use the treatment's price."
          inputmode="decimal"
          value={f.values?.value}
          errors={f.errors}
        />
        <Field
          name="scheduledFor"
          label="Appointment time"
          type="datetime-local"
          value={f.values?.scheduledFor}
          errors={f.errors}
        />
      </PostForm>
    </section>
  )
}

// ---------------------------------------------------------------------------------------------
// Handlers

/** Fixed notices a thread action returns with (`?done=`); click-to-call's come from the worklist. */
const THREAD_NOTICES: Record<string, string> = {
  replied: 'Reply queued. The AI has stopped: this conversation is answered by staff now.',
  'status-human': 'You have taken over: the AI will not answer.',
  'status-ai': 'Handed back to the AI assistant.',
  'status-closed': 'Conversation closed. A new message from the patient reopens it.',
}

/** The notice named by `?done=` on the thread, if known (the text never comes from the URL). */
export const threadNotice = (c: Ctx) => THREAD_NOTICES[c.req.query('done') ?? ''] ?? actionNotice(c)

/** The thread a dashboard action returns to, with its notice. */
export const threadPath = (id: string, done?: string) =>
  `${path(id)}${done ? `?done=${encodeURIComponent(done)}` : ''}`

/** This clinic's conversation named in the path, or null (another clinic's is not found). */
function conversationOf(c: Ctx, s: PageState) {
  const id = c.req.param('id') ?? ''
  return id.length <= 64 ? findConversation(c.var.db, s.clinic.id, id) : Promise.resolve(null)
}

/** GET /conversations/:id: the call page links here; the thread lives in the inbox. */
export const conversationRedirect = (c: Ctx) => c.redirect(path(c.req.param('id') ?? ''), 303)

/** POST /conversations/:id/book: books for the conversation's contact, then shows the appointment. */
export const conversationBookPost = page('appointments', async (c, s) => {
  const conversation = await conversationOf(c, s)
  if (!conversation) return renderError(c, 404, 'No such conversation.')
  const booked = await bookFromForm(c, s, conversation.contactHash)
  if ('refused' in booked) return renderError(c, 400, booked.refused)
  return c.redirect(appointmentPath(booked.appointmentId), 303)
})

/** POST /conversations/:id/call: rings the staff phone, then the patient (their number never stored). */
export const conversationCallPost = page('worklist', async (c, s) => {
  const conversation = await conversationOf(c, s)
  if (!conversation) return renderError(c, 404, 'No such conversation.')
  const deps = { db: c.var.db, config: c.var.config }
  const actor = actorOf(s.principal)
  try {
    // The staff phone is the line's forwarding number (no per-member phone yet).
    const target = { kind: 'conversation' as const, conversation }
    const placed = await callBackAudited(c.env, deps, s.clinic, target, undefined, actor)
    const done = placed.status === 'queued' ? 'call-queued' : 'call-sandboxed'
    return c.redirect(threadPath(conversation.id, done), 303)
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err
    return renderError(
      c,
      err.status === 502 ? 400 : err.status,
      err.detail ?? 'No call was placed.',
    )
  }
})
