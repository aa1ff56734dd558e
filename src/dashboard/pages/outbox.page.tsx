/** The outbox: messages sent or kept in sandbox mode (src/outbox), each read audited. */
import { audit } from '../../audit/audit'
import { actorOf } from '../../lib/context'
import { paginate } from '../../lib/pagination'
import { listOutbox } from '../../outbox/outbox.service'
import { DataTable, Pager } from '../components'
import { formatLocal } from '../format'
import { Layout, type Viewer } from '../layout'
import { cursorOf, PAGE_SIZE, page, viewOf } from '../page-kit'

export function OutboxPage(props: {
  viewer: Viewer
  timezone: string
  sandbox: boolean
  rows: {
    id: string
    channel: string
    kind: string
    toMasked: string
    body: string
    status: string
    createdAt: number
  }[]
  next: string | null
}) {
  return (
    <Layout title="Outbox" viewer={props.viewer} active="outbox">
      <p>
        {props.sandbox
          ? 'Sandbox mode: nothing leaves Ringback. Below is what would have been sent.'
          : 'Messages and emails sent, newest first.'}
      </p>
      <DataTable
        rows={props.rows}
        empty="The outbox is empty."
        columns={[
          { label: 'When', cell: (m) => formatLocal(m.createdAt, props.timezone) },
          { label: 'Channel', cell: (m) => `${m.channel} (${m.kind})` },
          { label: 'To', cell: (m) => m.toMasked },
          { label: 'Message', cellClass: 'message-body', cell: (m) => m.body },
          { label: 'Status', cell: (m) => m.status },
        ]}
      />
      <Pager
        first="/outbox"
        next={props.next ? `/outbox?cursor=${encodeURIComponent(props.next)}` : null}
        label="Older messages"
      />
    </Layout>
  )
}

/** GET /outbox */
export const outboxGet = page('outbox', async (c, s) => {
  const rows = await listOutbox(
    c.var.db,
    c.var.config,
    s.clinic.id,
    PAGE_SIZE,
    cursorOf(c.req.query('cursor')),
  )
  const { items, nextCursor } = paginate(rows, PAGE_SIZE, (m) => ({ t: m.createdAt, id: m.id }))
  const opened = items.map((m) => ({
    ...m,
    body: m.body ?? '[no longer readable: the key was destroyed]',
  }))
  // Message bodies are personal data: reading them is audited (counts only, no content). The
  // append finishes after the response (waitUntil) so the page does not wait on the DO.
  c.executionCtx.waitUntil(
    audit(c.env, s.clinic.id, {
      actor: actorOf(s.principal),
      action: 'outbox.read',
      target: `clinic:${s.clinic.id}`,
      details: { messages: opened.length },
    }),
  )
  const sandbox = c.var.config.twilio.sandbox || c.var.config.resend.apiKey === null
  return c.html(
    <OutboxPage {...viewOf(c, s, 'outbox')} sandbox={sandbox} rows={opened} next={nextCursor} />,
  )
})
