/**
 * Leads (src/leads, the same service as the API): the list, priority first, with masked contacts;
 * one lead opened (details decrypted, an audited read) with its enquiries, photos, timeline,
 * consent and where it came from; its status changed from here.
 */
import type { Child } from 'hono/jsx'
import { listTreatments } from '../../clinic/setup'
import {
  getLead,
  LEAD_STATUSES,
  type LeadDetail,
  type LeadStatus,
  type LeadSummary,
  leadPhoneHash,
  listLeads,
  readLeadPhoto,
  replyToLeadByEmail,
  updateLead,
} from '../../leads/leads.service'
import { priorityReasonWords } from '../../leads/priority'
import { ProblemError } from '../../lib/problem'
import { canEdit } from '../access'
import { bookFromForm } from '../booking'
import { DataTable, Facts, Pager } from '../components'
import { formatLocal } from '../format'
import { FilterForm, PostForm } from '../forms'
import { Badge, Layout, Notice, Select, type Viewer } from '../layout'
import { formOf, PAGE_SIZE, page, renderError, viewOf } from '../page-kit'
import { BookSection } from './conversation.page'
import { CHANNEL_WORDS } from './inbox.page'

const STATUS_WORDS: Record<LeadStatus, string> = {
  new: 'New',
  contacted: 'Contacted',
  booked: 'Booked',
  lost: 'Lost',
}
const STATUS_OPTIONS: [string, string][] = LEAD_STATUSES.map((s) => [s, STATUS_WORDS[s]])
const SOURCE_WORDS: Record<string, string> = {
  enquiry: 'Enquiry form',
  guide: 'Guide download',
  scorecard: 'Scorecard',
  'book-call': 'Book-a-call form',
  chat: 'Web chat',
}

const contactOf = (l: LeadSummary) =>
  [l.contact.nameInitials, l.contact.phoneMasked, l.contact.emailMasked].filter(Boolean).join(' · ')

const cameFrom = (l: LeadSummary) =>
  [
    SOURCE_WORDS[l.source.kind] ?? l.source.kind,
    l.attribution?.utmSource,
    l.attribution?.utmCampaign,
  ]
    .filter(Boolean)
    .join(' · ')

function LeadsPage(props: {
  viewer: Viewer
  timezone: string
  notice: string | null
  status: string | undefined
  rows: LeadSummary[]
  next: string | null
}) {
  return (
    <Layout title="Leads" viewer={props.viewer} active="leads">
      <Notice message={props.notice} />
      <p>People who came through the clinic’s website forms, most urgent first.</p>
      <FilterForm
        action="/leads"
        label="Filter leads"
        filters={[
          {
            name: 'status',
            label: 'Status',
            value: props.status,
            options: [['', 'Open and closed'], ...STATUS_OPTIONS],
          },
        ]}
      />
      <DataTable
        rows={props.rows}
        label="Leads"
        empty="No leads yet. Add a form on the Forms page and put it on the clinic’s website."
        columns={[
          { label: 'Priority', class: 'num', cell: (l) => String(l.priority.score) },
          {
            label: 'Lead',
            cell: (l) => (
              <a href={`/leads/${encodeURIComponent(l.id)}`}>{contactOf(l) || 'Lead'}</a>
            ),
          },
          { label: 'Why', cell: (l) => l.priority.reasons.map(priorityReasonWords).join(', ') },
          { label: 'Status', cell: (l) => <Badge kind="neutral">{STATUS_WORDS[l.status]}</Badge> },
          { label: 'Came from', cell: cameFrom },
          {
            label: 'Last heard',
            cell: (l) => formatLocal(Date.parse(l.lastInteractionAt), props.timezone),
          },
        ]}
      />
      <Pager
        first="/leads"
        next={
          props.next
            ? `/leads?${new URLSearchParams({ ...(props.status ? { status: props.status } : {}), cursor: props.next })}`
            : null
        }
        label="Older leads"
      />
    </Layout>
  )
}

/** GET /leads */
export const leadsListPage = page('leads', async (c, s) => {
  const raw = c.req.query('status')
  const status = LEAD_STATUSES.find((x) => x === raw)
  const { items, nextCursor } = await listLeads(
    c.var.db,
    s.clinic.id,
    { status },
    { limit: PAGE_SIZE, cursor: c.req.query('cursor') },
    Date.now(),
  ).catch((err) => {
    // A tampered cursor: start again from the top rather than fail.
    if (err instanceof ProblemError) return { items: [], nextCursor: null }
    throw err
  })
  return c.html(
    <LeadsPage {...viewOf(c, s, 'leads')} status={status} rows={items} next={nextCursor} />,
  )
})

function adClickOf(a: NonNullable<LeadSummary['attribution']>): string {
  if (a.gclid) return 'Google (gclid)'
  if (a.gbraid || a.wbraid) return 'Google (app/iOS)'
  return a.fbclid ? 'Meta (fbclid)' : '—'
}

function consentOf(lead: LeadSummary): string {
  const c = lead.consent
  if (!c) return '—'
  const yes = (given: boolean) => (given ? 'yes' : 'no')
  return `Marketing: ${yes(c.marketing.given)}; ads measurement: ${yes(c.ads.given)} (version ${c.ads.version})`
}

function Section(props: { title: string; children: Child }) {
  const id = `h-${props.title.toLowerCase().replace(/\W+/g, '-')}`
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </section>
  )
}

function LeadPage(props: {
  viewer: Viewer
  timezone: string
  canEdit: boolean
  notice: string | null
  lead: LeadDetail
  /** The price list when this member may book and the lead has a phone to book under. */
  treatments: readonly { id: string; name: string }[] | null
}) {
  const { lead, timezone: tz } = props
  const when = (iso: string) => formatLocal(Date.parse(iso), tz)
  const a = lead.attribution ?? {}
  return (
    <Layout title={lead.contact.name ?? 'Lead'} viewer={props.viewer} active="leads">
      <Notice message={props.notice} />
      <p>
        <Badge kind="neutral">{STATUS_WORDS[lead.status]}</Badge>{' '}
        {`Priority ${lead.priority.score}: ${lead.priority.reasons.map(priorityReasonWords).join(', ') || 'nothing pressing'}`}
      </p>
      <Section title="Contact">
        <Facts
          items={[
            ['Name', lead.contact.name ?? '—'],
            [
              'Phone',
              lead.contact.phone ? (
                <a href={`tel:${lead.contact.phone}`}>{lead.contact.phone}</a>
              ) : (
                '—'
              ),
            ],
            [
              'Email',
              lead.contact.email ? (
                <a href={`mailto:${lead.contact.email}`}>{lead.contact.email}</a>
              ) : (
                '—'
              ),
            ],
          ]}
        />
        {props.canEdit ? (
          <PostForm
            action={`/leads/${encodeURIComponent(lead.id)}/status`}
            submit="Save status"
            class="inline"
          >
            <Select name="status" label="Status" value={lead.status} options={STATUS_OPTIONS} />
          </PostForm>
        ) : null}
      </Section>
      <ReplySection lead={lead} canEdit={props.canEdit} when={when} />
      {props.treatments ? (
        <BookSection
          action={`/leads/${encodeURIComponent(lead.id)}/book`}
          treatments={props.treatments}
          form={{}}
        />
      ) : null}
      <Section title="Enquiries">
        {lead.enquiries.length === 0 ? <p>No form submissions.</p> : null}
        {lead.enquiries.map((e) => (
          <article class="enquiry">
            <h3>{`${SOURCE_WORDS[e.kind] ?? e.kind}, ${when(e.createdAt)}`}</h3>
            {e.treatment ? <p>{`Treatment: ${e.treatment}`}</p> : null}
            {e.preferredTime ? <p>{`Preferred time: ${e.preferredTime}`}</p> : null}
            {e.message ? <p class="message-body">{e.message}</p> : null}
          </article>
        ))}
        {lead.photos.length ? (
          <ul class="photos">
            {lead.photos.map((p, i) => (
              <li>
                <a
                  href={`/leads/${encodeURIComponent(lead.id)}/photos/${encodeURIComponent(p.id)}`}
                >
                  <img
                    src={`/leads/${encodeURIComponent(lead.id)}/photos/${encodeURIComponent(p.id)}`}
                    alt={`Sent with the enquiry (${i + 1} of ${lead.photos.length})`}
                    width={160}
                    height={160}
                    loading="lazy"
                  />
                </a>
              </li>
            ))}
          </ul>
        ) : null}
      </Section>
      <Section title="Where they came from">
        <Facts
          items={[
            ['Source', cameFrom(lead)],
            [
              'Campaign',
              [a.utmSource, a.utmMedium, a.utmCampaign].filter(Boolean).join(' / ') || '—',
            ],
            ['Ad click', adClickOf(a)],
            ['Landing page', a.landingPage ?? '—'],
            ['Consent', consentOf(lead)],
          ]}
        />
      </Section>
      <Section title="Timeline">
        <ol class="timeline">
          {lead.timeline.map((t) => (
            <li>{`${when(t.at)}: ${TIMELINE_WORDS[t.kind] ?? t.kind}`}</li>
          ))}
        </ol>
      </Section>
    </Layout>
  )
}

/** Where to answer them: their conversations in the inbox, or an email when they left one. */
function ReplySection(props: {
  lead: LeadDetail
  canEdit: boolean
  when: (iso: string) => string
}) {
  const { lead } = props
  return (
    <Section title="Reply">
      {lead.conversations.length ? (
        <ul>
          {lead.conversations.map((c) => (
            <li>
              <a href={`/inbox/${encodeURIComponent(c.id)}`}>
                {`Reply in the inbox: ${CHANNEL_WORDS[c.channel as keyof typeof CHANNEL_WORDS] ?? c.channel}`}
              </a>
              {` (last message ${props.when(c.lastMessageAt)})`}
            </li>
          ))}
        </ul>
      ) : (
        <p>No conversation yet: answer by email or call them.</p>
      )}
      {props.canEdit && lead.contact.email ? (
        <PostForm
          action={`/leads/${encodeURIComponent(lead.id)}/reply`}
          submit="Send email"
          class="stack"
        >
          <div class="field">
            <label for="f-reply">Reply by email</label>
            <textarea id="f-reply" name="body" required maxlength={5000} rows={4} />
          </div>
        </PostForm>
      ) : null}
    </Section>
  )
}

const TIMELINE_WORDS: Record<string, string> = {
  ...SOURCE_WORDS,
  call: 'Called the clinic',
  sms: 'Sent a text',
  whatsapp: 'Sent a WhatsApp message',
  reply: 'The clinic answered',
  chat: 'Chatted on the website',
  appointment: 'Booked an appointment',
  status: 'Status changed',
}

/** GET /leads/:id (an audited read, through the service) */
export const leadPage = page('leads', async (c, s) => {
  const v = viewOf(c, s, 'leads')
  const { db, config } = c.var
  const lead = await getLead(db, c.env, config, s.principal, c.req.param('id') ?? '', Date.now())
  // Booking needs the person's phone: it is what links the appointment to their calls and lead.
  const canBook = canEdit(s.principal.role, 'appointments') && lead.contact.phone !== null
  const list = canBook ? await listTreatments(db, s.clinic.id, { limit: 500 }) : null
  return c.html(<LeadPage {...v} lead={lead} treatments={list?.items ?? null} />)
})

/** POST /leads/:id/reply: an email to the lead, through the one email queue. */
export const leadReplyPost = page('leads', async (c, s) => {
  const id = c.req.param('id') ?? ''
  const body = String((await formOf(c)).body ?? '').trim()
  if (!body || body.length > 5000)
    return renderError(c, 400, 'Write a reply of up to 5,000 characters.')
  const { db, config } = c.var
  try {
    await replyToLeadByEmail(
      { db, env: c.env, config },
      s.principal,
      { leadId: id, body, clinicName: s.clinic.name },
      Date.now(),
    )
  } catch (err) {
    if (err instanceof ProblemError) return renderError(c, err.status, err.detail ?? 'Not sent.')
    throw err
  }
  return c.redirect(`/leads/${encodeURIComponent(id)}?notice=lead-replied`, 303)
})

/** POST /leads/:id/book: an appointment under the lead's phone; the lead becomes booked. */
export const leadBookPost = page('appointments', async (c, s) => {
  const phoneHash = await leadPhoneHash(c.var.db, s.clinic.id, c.req.param('id') ?? '')
  if (!phoneHash) return renderError(c, 404, 'No such lead with a phone number.')
  const booked = await bookFromForm(c, s, phoneHash)
  if ('refused' in booked) return renderError(c, 400, booked.refused)
  return c.redirect(`/appointments/${encodeURIComponent(booked.appointmentId)}`, 303)
})

/** GET /leads/:id/photos/:photoId (audited) */
export const leadPhoto = page('leads', async (c, s) => {
  const photo = await readLeadPhoto(
    c.var.db,
    c.env,
    s.principal,
    c.req.param('id') ?? '',
    c.req.param('photoId') ?? '',
  )
  return new Response(photo.body, {
    headers: { 'content-type': photo.contentType, 'cache-control': 'private, no-store' },
  })
})

/** POST /leads/:id/status */
export const leadStatusPost = page('leads', async (c, s) => {
  const id = c.req.param('id') ?? ''
  const chosen = (await formOf(c)).status
  const status = LEAD_STATUSES.find((x) => x === chosen)
  if (!status) return c.redirect(`/leads/${encodeURIComponent(id)}`, 303)
  await updateLead(c.var.db, c.env, s.principal, id, { status }, Date.now())
  return c.redirect(`/leads/${encodeURIComponent(id)}?notice=lead-updated`, 303)
})
