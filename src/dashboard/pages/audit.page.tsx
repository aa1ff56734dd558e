/** The audit log, newest first, with the hash chain verified by the clinic’s object. */
import type { AuditEntry } from '../../audit/chain'
import { type AuditNames, describeAuditEntry } from '../../audit/describe'
import { withDurableRetry } from '../../lib/durable'
import { loadAuditNames } from '../audit-names'
import { DataTable, Pager } from '../components'
import { formatLocal } from '../format'
import { Layout, type Viewer } from '../layout'
import { page, viewOf } from '../page-kit'

export function AuditPage(props: {
  viewer: Viewer
  timezone: string
  entries: AuditEntry[]
  names: AuditNames
  verification: { valid: boolean; checked: number; firstBrokenId: string | null }
  nextBefore: number | null
}) {
  const v = props.verification
  return (
    <Layout title="Audit log" viewer={props.viewer} active="audit">
      {v.valid ? (
        <div class="alert alert-ok" role="status">
          {`Verified: all ${v.checked} entries form an unbroken hash chain.`}
        </div>
      ) : (
        <div class="alert alert-error" role="alert">
          {`Tampering detected: the chain breaks at entry ${v.firstBrokenId ?? '?'} (checked ${v.checked}).`}
        </div>
      )}
      <DataTable
        rows={props.entries.map((e) => ({ ...e, words: describeAuditEntry(e, props.names) }))}
        empty="No entries yet."
        columns={[
          { label: 'When', cell: (e) => formatLocal(e.at, props.timezone) },
          { label: 'Who', cell: (e) => e.words.who },
          { label: 'What', cell: (e) => e.words.what },
          { label: 'About', cell: (e) => e.words.which ?? '—' },
          {
            label: 'Hash',
            cell: (e) => (
              <>
                <code title={e.hash}>{e.hash.slice(0, 12)}</code>
              </>
            ),
          },
        ]}
      />
      <Pager
        first="/audit"
        next={props.nextBefore ? `/audit?before=${props.nextBefore}` : null}
        label="Older entries"
      />
    </Layout>
  )
}

/** GET /audit */
export const auditGet = page('audit', async (c, s) => {
  const before = Number(c.req.query('before'))
  const beforeSeq = Number.isInteger(before) && before > 0 ? before : null
  const stub = c.env.CLINIC.getByName(s.clinic.id)
  const [entries, verification] = await Promise.all([
    withDurableRetry(() => stub.listAudit(51, beforeSeq)),
    withDurableRetry(() => stub.verifyAudit()),
  ])
  const page = entries.slice(0, 50)
  const names = await loadAuditNames(
    c,
    s,
    page.flatMap((e) => [e.actor, e.target]),
  )
  const nextBefore = entries.length > 50 ? (page[page.length - 1]?.seq ?? null) : null
  const view = { entries: page, names, verification, nextBefore }
  return c.html(<AuditPage {...viewOf(c, s, 'audit')} {...view} />)
})
