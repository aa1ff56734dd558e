/** The outbox: messages sent or kept in sandbox mode (src/outbox), each read audited. */
import { audit } from '../../audit/audit'
import { actorOf } from '../../lib/context'
import { listOutbox } from '../../outbox/outbox.service'
import { formatLocal } from '../format'
import { Layout, type Viewer } from '../layout'
import { page } from '../page-kit'

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
}) {
  return (
    <Layout title="Outbox" viewer={props.viewer} active="outbox">
      <p>
        {props.sandbox
          ? 'Sandbox mode: nothing leaves Ringback. Below is what would have been sent.'
          : 'Messages and emails sent recently, newest first.'}
      </p>
      {props.rows.length === 0 ? (
        <p>The outbox is empty.</p>
      ) : (
        <div class="table-wrap">
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Channel</th>
                <th scope="col">To</th>
                <th scope="col">Message</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((m) => (
                <tr>
                  <td data-label="When">{formatLocal(m.createdAt, props.timezone)}</td>
                  <td data-label="Channel">{`${m.channel} (${m.kind})`}</td>
                  <td data-label="To">{m.toMasked}</td>
                  <td data-label="Message" class="message-body">
                    {m.body}
                  </td>
                  <td data-label="Status">{m.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  )
}

/** GET /outbox */
export const outboxGet = page('outbox', async (c, s) => {
  const rows = await listOutbox(c.var.db, c.var.config, s.clinic.id, 50, null)
  const opened = rows.slice(0, 50).map((m) => ({
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
    <OutboxPage viewer={s.viewer} timezone={s.clinic.timezone} sandbox={sandbox} rows={opened} />,
  )
})
