/**
 * The weekly "last week" email to a clinic's owners, each Monday at 08:00 in the clinic's time
 * zone (daylight saving right): missed calls, how many were recovered, the revenue recovered, the
 * hold-out uplift when measured, and the callers still waiting — plain and short, with a link to
 * the overview. Figures come from the one metrics service; the email goes through the one email
 * queue with an idempotency key per clinic and week, so a redone job sends nothing twice.
 *
 * Timed by the clinic's Durable Object (the wake book, id `dig_<clinic>_<monday>`), registered for
 * the next Monday after each digest and by the daily per-clinic job (an idempotent put), so a
 * clinic that misses one registration still gets its digest.
 */
import { eq } from 'drizzle-orm'
import { wake } from '../automations/scheduled'
import { countWaitingCallers } from '../calls/calls.service'
import { findClinic } from '../clinic/find'
import type { Db } from '../db/client'
import { users } from '../db/schema'
import { queueEmail } from '../email/email'
import type { Bindings, Config } from '../env'
import { formatPence } from '../lib/money'
import { addDays, localDateOf, startOfLocalDay, zonedTimeToUtc } from '../metrics/local-time'
import { figuresBetween, loadDays } from '../metrics/metrics.service'
import { clinicKeyring } from '../privacy/crypto'

export const DIGEST_PREFIX = 'dig_'

/** The next Monday 08:00 local strictly after `now`, as an instant, with its local date. */
export function nextDigestAt(now: number, timezone: string): { at: number; date: string } {
  for (let d = 0; d <= 8; d++) {
    const date = addDays(localDateOf(now, timezone), d)
    const [year, month, day] = date.split('-').map(Number) as [number, number, number]
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay()
    if (weekday !== 1) continue
    const at = zonedTimeToUtc({ year, month, day, hour: 8 }, timezone)
    if (at > now) return { at, date }
  }
  throw new Error('no Monday within eight days')
}

export const digestWakeId = (clinicId: string, monday: string) =>
  `${DIGEST_PREFIX}${clinicId}_${monday.replaceAll('-', '')}`

function parseWakeId(id: string): { clinicId: string; monday: string } | null {
  const m = /^dig_(.+)_(\d{4})(\d{2})(\d{2})$/.exec(id)
  return m ? { clinicId: m[1]!, monday: `${m[2]}-${m[3]}-${m[4]}` } : null
}

/** Registers the clinic's next digest with its object (idempotent). */
export async function scheduleNextDigest(
  env: Bindings,
  clinicId: string,
  timezone: string,
  now: number,
) {
  const next = nextDigestAt(now, timezone)
  await wake(env, clinicId, [{ id: digestWakeId(clinicId, next.date), dueAt: next.at }])
  return next
}

export type DigestFigures = {
  missedCalls: number
  recovered: number
  recoveredRevenuePence: number
  upliftPercentagePoints: number | null
  waiting: number
}

/** The email's words: counts and money only, never a caller. */
export function digestEmail(
  clinicName: string,
  week: { from: string; to: string },
  f: DigestFigures,
  overviewUrl: string,
) {
  const lines = [
    `Last week at ${clinicName} (${week.from} to ${week.to}):`,
    '',
    `- Missed calls: ${f.missedCalls}`,
    `- Recovered: ${f.recovered} booking${f.recovered === 1 ? '' : 's'}, worth ${formatPence(f.recoveredRevenuePence)}`,
    ...(f.upliftPercentagePoints === null
      ? []
      : [
          `- Text-backs added ${f.upliftPercentagePoints} percentage points to recovery (hold-out test)`,
        ]),
    `- Callers still waiting for a call back: ${f.waiting}`,
    '',
    `See the overview: ${overviewUrl}`,
  ]
  return {
    subject: `${clinicName}: you recovered ${formatPence(f.recoveredRevenuePence)} last week`,
    text: `${lines.join('\n')}\n`,
  }
}

/**
 * Sends one clinic's digest for the week before `monday` (a `dig_` wake id) and registers the
 * next. Returns how many owners it went to (0 when the clinic is gone).
 */
export async function sendWeeklyDigest(
  deps: { env: Bindings; db: Db; config: Config },
  wakeId: string,
  now: number,
): Promise<number> {
  const { env, db, config } = deps
  const parsed = parseWakeId(wakeId)
  if (!parsed) return 0
  const clinic = await findClinic(db, parsed.clinicId)
  if (!clinic) return 0
  const week = { from: addDays(parsed.monday, -7), to: addDays(parsed.monday, -1) }
  const stored = await loadDays(env, db, clinic.id, week.from, week.to, now)
  const figures = figuresBetween(stored.days, week.from, week.to)
  const content = digestEmail(
    clinic.name,
    week,
    {
      missedCalls: figures.missedCalls,
      recovered: figures.recoveredAppointments,
      recoveredRevenuePence: figures.recoveredRevenuePence,
      upliftPercentagePoints: figures.holdOut.upliftPercentagePoints,
      waiting: await countWaitingCallers(db, clinic.id),
    },
    `${config.publicBaseUrl}/`,
  )
  const owners = await db
    .select({
      id: users.id,
      emailSealed: users.emailSealed,
      status: users.status,
      role: users.role,
    })
    .from(users)
    .where(eq(users.clinicId, clinic.id))
  const keyring = await clinicKeyring(db, config, clinic.id)
  let sent = 0
  for (const o of owners.filter((u) => u.role === 'owner' && u.status === 'active')) {
    await queueEmail(
      { db, config, jobs: env.JOBS },
      {
        clinicId: clinic.id,
        to: await keyring.open(o.emailSealed),
        ...content,
        idempotencyKey: `weekly-digest:${clinic.id}:${parsed.monday}:${o.id}`,
        unsubscribable: true,
      },
    )
    sent++
  }
  // The next one: the Monday after this one (a late run never schedules the same week twice).
  await scheduleNextDigest(
    env,
    clinic.id,
    clinic.timezone,
    Math.max(now, startOfLocalDay(parsed.monday, clinic.timezone) + 9 * 3_600_000),
  )
  return sent
}

/** Whether a wake id is a digest's. */
export const isDigestWake = (id: string) => id.startsWith(DIGEST_PREFIX)
