import { audit } from '../audit/audit'
import type { AuditEntry } from '../audit/chain'
import type { Db } from '../db/client'
import { findClinicRow } from '../db/clinic-row'
import { privacyRequests } from '../db/schema'
import { actorOf } from '../lib/context'
import { createRouter } from '../lib/create-app'
import { withDurableRetry } from '../lib/durable'
import { decodeCursor, paginate } from '../lib/pagination'
import { notFound } from '../lib/problem'
import { toIso, toIsoOrNull } from '../lib/time'
import { clinicKeyring } from './crypto'
import {
  createRequestRoute,
  exportRequestRoute,
  getRequestRoute,
  listAuditRoute,
  listPurgesRoute,
  listRequestsRoute,
  verifyAuditRoute,
} from './privacy.routes'
import { listPrivacyRequests, listPurgeRuns } from './privacy.service'
import { createPrivacyRequest, openRequestDetails, type PrivacyRequestRow } from './requests'
import { exportSubject } from './subjects'

function requestView(row: PrivacyRequestRow) {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    dueAt: toIso(row.dueAt),
    createdAt: toIso(row.createdAt),
    completedAt: toIsoOrNull(row.completedAt),
    result: row.resultJson ? (JSON.parse(row.resultJson) as Record<string, number>) : null,
  }
}

function auditView(e: AuditEntry) {
  return {
    id: e.id,
    at: toIso(e.at),
    actor: e.actor,
    action: e.action,
    target: e.target,
    hash: e.hash,
    prevHash: e.prevHash,
  }
}

export const privacyRouter = createRouter()
  .openapi(createRequestRoute, async (c) => {
    const p = c.var.principal
    const row = await createPrivacyRequest(
      c.env,
      c.var.db,
      c.var.config,
      p.clinicId,
      actorOf(p),
      c.req.valid('json'),
      Date.now(),
    )
    return c.json(requestView(row), 201)
  })
  .openapi(listRequestsRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query')
    const after = decodeCursor(cursor)
    const clinicId = c.var.principal.clinicId
    const rows = await listPrivacyRequests(c.var.db, clinicId, limit, after)
    const page = paginate(rows, limit, (r) => ({ t: r.createdAt, id: r.id }))
    return c.json({ items: page.items.map(requestView), nextCursor: page.nextCursor }, 200)
  })
  .openapi(getRequestRoute, async (c) => {
    const row = await findRequest(c.var.db, c.var.principal.clinicId, c.req.valid('param').id)
    return c.json(requestView(row), 200)
  })
  .openapi(exportRequestRoute, async (c) => {
    const p = c.var.principal
    const row = await findRequest(c.var.db, p.clinicId, c.req.valid('param').id)
    const keyring = await clinicKeyring(c.var.db, c.var.config, p.clinicId)
    const details = await openRequestDetails(keyring, row)
    const data = await exportSubject(c.var.db, keyring, p.clinicId, {
      phoneHash: row.subjectHash,
      emailHash: row.emailLookup,
    })
    // A read of personal data: audited like any other.
    await audit(c.env, p.clinicId, {
      actor: actorOf(p),
      action: 'privacy.export',
      target: `privacy-request:${row.id}`,
    })
    return c.json(
      {
        format: 'ringback.subject-export.v1',
        generatedAt: toIso(Date.now()),
        request: requestView(row),
        subject: details ? { phone: details.phone, email: details.email } : null,
        ...data,
      },
      200,
    )
  })
  .openapi(listPurgesRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query')
    const after = decodeCursor(cursor)
    const rows = await listPurgeRuns(c.var.db, c.var.principal.clinicId, limit, after)
    const page = paginate(rows, limit, (r) => ({ t: r.ranAt, id: r.id }))
    return c.json(
      {
        items: page.items.map((r) => ({
          job: r.job,
          ranAt: toIso(r.ranAt),
          cutoff: toIso(r.cutoff),
          deleted: JSON.parse(r.deletedJson) as Record<string, number>,
          status: r.status,
        })),
        nextCursor: page.nextCursor,
      },
      200,
    )
  })
  .openapi(listAuditRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query')
    const after = decodeCursor(cursor)
    const clinicId = c.var.principal.clinicId
    const entries = await withDurableRetry(() =>
      c.env.CLINIC.getByName(clinicId).listAudit(limit + 1, after ? after.t : null),
    )
    const page = paginate(entries, limit, (e) => ({ t: e.seq, id: e.id }))
    return c.json({ items: page.items.map(auditView), nextCursor: page.nextCursor }, 200)
  })
  .openapi(verifyAuditRoute, async (c) => {
    const clinicId = c.var.principal.clinicId
    const result = await withDurableRetry(() => c.env.CLINIC.getByName(clinicId).verifyAudit())
    return c.json(result, 200)
  })

async function findRequest(db: Db, clinicId: string, id: string): Promise<PrivacyRequestRow> {
  const row = await findClinicRow(db, privacyRequests, clinicId, id)
  if (!row) throw notFound()
  return row
}
