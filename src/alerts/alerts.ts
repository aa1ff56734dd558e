/**
 * Staff alerts: a conversation that needs a person, or a missed call during opening hours, is
 * recorded as a pending alert (ids only) and reaches the clinic's chosen staff in ONE digest
 * email per clinic every few minutes, through the queue and the one email interface — so a
 * busy evening is one email listing fifty things, not fifty emails.
 *
 * Exactly once: raising the same thing again while it is pending changes nothing (a partial
 * unique index); the digest's email has an idempotency key from the alerts it carries, and the
 * alerts are marked sent after it is queued — a redelivered digest finds nothing pending, and one
 * that crashed half-way re-queues the same email, which the email outbox de-duplicates.
 */
import { and, asc, eq, inArray, isNull, or, sql } from 'drizzle-orm'
import { isOpenAt, parseOpeningHours } from '../assistant/facts'
import type { ClinicRow } from '../clinic/find'
import { findClinic } from '../clinic/find'
import { createDb, type Db } from '../db/client'
import { staffAlerts, users } from '../db/schema'
import { queueEmail } from '../email/email'
import { type Bindings, getConfig } from '../env'
import type { JobHandler } from '../jobs/consumer'
import { jobQueue, type StaffAlertDigestJob } from '../jobs/messages'
import { idempotencyKey, newId } from '../lib/ids'
import { clinicKeyring } from '../privacy/crypto'

export type AlertKind = (typeof staffAlerts.$inferSelect)['kind']

/** How long alerts gather before their digest goes (seconds). */
export const DIGEST_DELAY_SECONDS = 120

/**
 * Records an alert and schedules the clinic's digest. Idempotent per pending (clinic, kind, ref).
 */
export async function raiseStaffAlert(
  env: Bindings,
  alert: { clinicId: string; kind: AlertKind; ref: string; at: number },
): Promise<void> {
  const db = createDb(env.DB)
  const added = await db
    .insert(staffAlerts)
    .values({
      id: newId('alr', alert.at),
      clinicId: alert.clinicId,
      kind: alert.kind,
      ref: alert.ref,
      createdAt: alert.at,
    })
    .onConflictDoNothing()
    .returning({ id: staffAlerts.id })
  if (added.length === 0) return
  await jobQueue(env).send(
    { type: 'staff-alert-digest', clinicId: alert.clinicId },
    { delaySeconds: DIGEST_DELAY_SECONDS },
  )
}

/** A missed call from a number (not withheld) while the clinic is open: staff hear of it. */
export async function alertMissedCall(
  env: Bindings,
  clinic: Pick<ClinicRow, 'id' | 'openingHours' | 'timezone'>,
  call: { id: string; callerHash: string | null; startedAt: number },
): Promise<boolean> {
  if (!call.callerHash) return false
  if (!isOpenAt(parseOpeningHours(clinic.openingHours), clinic.timezone, call.startedAt)) {
    return false
  }
  await raiseStaffAlert(env, {
    clinicId: clinic.id,
    kind: 'missed-call',
    ref: call.id,
    at: call.startedAt,
  })
  return true
}

/** The members who get alert emails: those who chose to, else owners and admins by default. */
export function alertRecipients(db: Db, clinicId: string) {
  return db
    .select({ id: users.id, emailSealed: users.emailSealed })
    .from(users)
    .where(
      and(
        eq(users.clinicId, clinicId),
        eq(users.status, 'active'),
        or(
          eq(users.alertsEmail, true),
          and(isNull(users.alertsEmail), inArray(users.role, ['owner', 'admin'])),
        ),
      ),
    )
}

/**
 * Queues one email to each member who gets alerts, through the one email interface; `key` gives
 * each recipient's idempotency key. Returns how many were queued.
 */
export async function emailStaff(
  env: Bindings,
  clinicId: string,
  content: { subject: string; text: string },
  key: (userId: string) => string,
): Promise<number> {
  const db = createDb(env.DB)
  const config = getConfig(env)
  const recipients = await alertRecipients(db, clinicId)
  const keyring = await clinicKeyring(db, config, clinicId)
  for (const r of recipients) {
    await queueEmail(
      { db, config, jobs: env.JOBS },
      { clinicId, to: await keyring.open(r.emailSealed), ...content, idempotencyKey: key(r.id) },
    )
  }
  return recipients.length
}

/** Whether a member gets alerts (their choice, else their role's default). */
export function alertsOn(member: { alertsEmail: boolean | null; role: string }): boolean {
  return member.alertsEmail ?? (member.role === 'owner' || member.role === 'admin')
}

/** The digest's words: counts and links only, never a number or a message. */
export function digestText(
  clinicName: string,
  alerts: readonly { kind: AlertKind; ref: string }[],
  baseUrl: string,
) {
  const humans = alerts.filter((a) => a.kind === 'needs-human')
  const missed = alerts.filter((a) => a.kind === 'missed-call')
  // An automation's notice (ref: the page it is about) not already listed above.
  const listed = new Set([
    ...humans.map((a) => `inbox/${a.ref}`),
    ...missed.map((a) => `calls/${a.ref}`),
  ])
  const notices = alerts.filter((a) => a.kind === 'automation' && !listed.has(a.ref))
  const lines: string[] = []
  if (humans.length > 0) {
    lines.push(
      `${humans.length} conversation${humans.length === 1 ? ' needs' : 's need'} a person:`,
      ...humans.map((a) => `  ${baseUrl}/inbox/${encodeURIComponent(a.ref)}`),
      '',
    )
  }
  if (missed.length > 0) {
    lines.push(
      `${missed.length} missed call${missed.length === 1 ? '' : 's'} to call back:`,
      ...missed.map((a) => `  ${baseUrl}/calls/${encodeURIComponent(a.ref)}`),
      '',
    )
  }
  if (notices.length > 0) {
    lines.push(
      `${notices.length} from your automations:`,
      ...notices.map((a) => `  ${baseUrl}/${a.ref}`),
      '',
    )
  }
  const parts = [
    humans.length > 0 ? `${humans.length} to answer` : null,
    missed.length > 0 ? `${missed.length} missed` : null,
    notices.length > 0 ? `${notices.length} from automations` : null,
  ].filter(Boolean)
  return {
    subject: `${clinicName}: ${parts.join(', ')}`,
    text: `${lines.join('\n')}Open the inbox: ${baseUrl}/inbox\nChange who gets these emails on the Team page.\n`,
  }
}

/** Sends the clinic's pending alerts as one email to each chosen member. */
export async function sendAlertDigest(env: Bindings, clinicId: string, now: number = Date.now()) {
  const db = createDb(env.DB)
  const pending = await db
    .select({ id: staffAlerts.id, kind: staffAlerts.kind, ref: staffAlerts.ref })
    .from(staffAlerts)
    .where(and(eq(staffAlerts.clinicId, clinicId), isNull(staffAlerts.sentAt)))
    .orderBy(asc(staffAlerts.createdAt), asc(staffAlerts.id))
    .limit(200)
  if (pending.length === 0) return { alerts: 0, emails: 0 }
  const clinic = await findClinic(db, clinicId)
  if (!clinic) return { alerts: 0, emails: 0 }
  // The batch is named by its first alert: the same pending set always makes the same email.
  const batch = pending[0]!.id
  const emails = await emailStaff(
    env,
    clinicId,
    digestText(clinic.name, pending, getConfig(env).publicBaseUrl),
    (userId) => idempotencyKey('staff-alerts', clinicId, batch, userId),
  )
  await db
    .update(staffAlerts)
    .set({ sentAt: now })
    .where(
      and(
        eq(staffAlerts.clinicId, clinicId),
        inArray(
          staffAlerts.id,
          pending.map((p) => p.id),
        ),
        sql`${staffAlerts.sentAt} IS NULL`,
      ),
    )
  return { alerts: pending.length, emails }
}

/** The queue handler for `staff-alert-digest` jobs. */
export const staffAlertDigestHandler: JobHandler<StaffAlertDigestJob> = {
  async run(job, env) {
    await sendAlertDigest(env, job.clinicId)
  },
  // The alerts stay pending: the next alert's digest (or a retry) carries them.
  async deadLetter() {},
}
