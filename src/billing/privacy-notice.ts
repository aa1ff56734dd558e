/**
 * Telling clients when Ringback's privacy notice changes materially: the notice's version and
 * what changed live here; the daily platform job emails the owners of every active client (a
 * trial, an active or an overdue subscription) once per material version, through the one email
 * queue (an idempotency key per version and owner), and records that the version went out.
 */
import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../db/client'
import { clinics, platformNotices, users } from '../db/schema'
import { queueEmail } from '../email/email'
import type { Bindings, Config } from '../env'
import { clinicKeyring } from '../privacy/crypto'

/** The privacy notice in force. Bump `version` (and say what changed) when it changes; a material change emails clients. */
export const PRIVACY_NOTICE = {
  version: '2026-12-05',
  material: true,
  url: '/privacy-notice',
  changes: [
    'Website forms and web chat: what visitors send, how long it is kept (24 months) and why.',
    'Conversions: bookings from ads reported to Google and Meta, only with the person’s consent, hashed.',
    'Reminders and follow-ups: service messages, and marketing only with consent and an opt-out.',
  ],
} as const

/** The email's words. */
export function privacyNoticeEmail(baseUrl: string) {
  return {
    subject: 'Ringback’s privacy notice has changed',
    text: [
      'We have updated Ringback’s privacy notice. What changed:',
      '',
      ...PRIVACY_NOTICE.changes.map((c) => `- ${c}`),
      '',
      `Read it in full: ${baseUrl}${PRIVACY_NOTICE.url}`,
      '',
    ].join('\n'),
  }
}

const ACTIVE = ['trialing', 'active', 'past_due']

/**
 * Emails the owners of active clients about the current notice if it is material and has not
 * gone out yet. Returns how many emails were queued (0 when there is nothing to do). Safe to
 * repeat: each email's idempotency key is per version and owner.
 */
export async function announcePrivacyNotice(
  deps: { env: Bindings; db: Db; config: Config },
  now: number,
): Promise<number> {
  const { env, db, config } = deps
  if (!PRIVACY_NOTICE.material) return 0
  const [done] = await db
    .select({ version: platformNotices.version })
    .from(platformNotices)
    .where(eq(platformNotices.version, PRIVACY_NOTICE.version))
  if (done) return 0
  const owners = await db
    .select({ id: users.id, clinicId: users.clinicId, emailSealed: users.emailSealed })
    .from(users)
    .innerJoin(clinics, eq(clinics.id, users.clinicId))
    .where(
      and(
        eq(users.role, 'owner'),
        eq(users.status, 'active'),
        inArray(clinics.billingStatus, ACTIVE),
      ),
    )
  const content = privacyNoticeEmail(config.publicBaseUrl)
  for (const o of owners) {
    const keyring = await clinicKeyring(db, config, o.clinicId)
    await queueEmail(
      { db, config, jobs: env.JOBS },
      {
        clinicId: o.clinicId,
        to: await keyring.open(o.emailSealed),
        ...content,
        idempotencyKey: `privacy-notice:${PRIVACY_NOTICE.version}:${o.id}`,
      },
    )
  }
  await db
    .insert(platformNotices)
    .values({ version: PRIVACY_NOTICE.version, sentAt: now, recipients: owners.length })
    .onConflictDoNothing()
  return owners.length
}
