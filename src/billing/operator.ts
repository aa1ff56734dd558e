/**
 * The operator's view (docs/BILLING.md): every clinic's plan, status, monthly recurring revenue,
 * this month's usage and last activity — for the members of the operator's own tenant only
 * (`clinics.is_operator`). The one place that reads across clinics, and it reads no personal
 * data: names of clinics, counts, money and times.
 */
import { desc, eq, gte, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { aiUsage, calls, clinics, outboundMessages, trackingNumbers } from '../db/schema'
import { isPlanKey, PLANS } from './plans'

export type OperatorRow = {
  id: string
  name: string
  plan: string | null
  status: string
  locations: number
  mrrPence: number
  smsSegments: number
  aiReplies: number
  lastCallAt: number | null
  createdAt: number
}

/** Paying statuses: a trial and an ended subscription bring no revenue. */
const PAYING = new Set(['active', 'past_due'])

export async function operatorOverview(
  db: Db,
  now: number,
  limit = 500,
): Promise<{ rows: OperatorRow[]; mrrPence: number }> {
  const month = new Date(now).toISOString().slice(0, 7)
  const monthStart = Date.parse(`${month}-01T00:00:00Z`)
  const locations = db
    .select({ clinicId: trackingNumbers.clinicId, n: sql<number>`COUNT(*)`.as('n') })
    .from(trackingNumbers)
    .groupBy(trackingNumbers.clinicId)
    .as('locations')
  const sms = db
    .select({
      clinicId: outboundMessages.clinicId,
      segments: sql<number>`SUM(${outboundMessages.segments})`.as('segments'),
    })
    .from(outboundMessages)
    .where(gte(outboundMessages.createdAt, monthStart))
    .groupBy(outboundMessages.clinicId)
    .as('sms')
  const last = db
    .select({ clinicId: calls.clinicId, at: sql<number>`MAX(${calls.startedAt})`.as('at') })
    .from(calls)
    .groupBy(calls.clinicId)
    .as('last')
  const rows = await db
    .select({
      id: clinics.id,
      name: clinics.name,
      plan: clinics.plan,
      status: clinics.billingStatus,
      createdAt: clinics.createdAt,
      locations: sql<number>`COALESCE(${locations.n}, 0)`,
      smsSegments: sql<number>`COALESCE(${sms.segments}, 0)`,
      aiReplies: sql<number>`COALESCE(${aiUsage.replies}, 0)`,
      lastCallAt: last.at,
    })
    .from(clinics)
    .leftJoin(locations, eq(locations.clinicId, clinics.id))
    .leftJoin(sms, eq(sms.clinicId, clinics.id))
    .leftJoin(last, eq(last.clinicId, clinics.id))
    .leftJoin(aiUsage, sql`${aiUsage.clinicId} = ${clinics.id} AND ${aiUsage.month} = ${month}`)
    .orderBy(desc(clinics.createdAt))
    .limit(limit)
  const out = rows.map((r): OperatorRow => {
    const status = r.status ?? 'none'
    const mrrPence =
      isPlanKey(r.plan) && PAYING.has(status)
        ? PLANS[r.plan].pricePencePerLocation * Math.max(1, Number(r.locations))
        : 0
    return {
      id: r.id,
      name: r.name,
      plan: r.plan,
      status,
      locations: Number(r.locations),
      mrrPence,
      smsSegments: Number(r.smsSegments),
      aiReplies: Number(r.aiReplies),
      lastCallAt: r.lastCallAt === null ? null : Number(r.lastCallAt),
      createdAt: r.createdAt,
    }
  })
  return { rows: out, mrrPence: out.reduce((sum, r) => sum + r.mrrPence, 0) }
}
