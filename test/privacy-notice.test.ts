/**
 * A material change of the privacy notice is emailed to the owners of active clients, once per
 * version (issue 13 item 5); the public page says what changed.
 */
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { announcePrivacyNotice, PRIVACY_NOTICE } from '../src/billing/privacy-notice'
import { platformNotices } from '../src/db/schema'
import { getConfig } from '../src/env'
import type { EmailJob } from '../src/jobs/messages'
import { call, createTestClinic } from './helpers/clinic'
import { captureQueue } from './helpers/queue'
import { db } from './textback-delivery.fixtures'

describe('privacy notice changes', () => {
  it('email active clients’ owners once per version; trials count, clinics without a subscription do not', async () => {
    await db.delete(platformNotices).where(eq(platformNotices.version, PRIVACY_NOTICE.version))
    const active = await createTestClinic({ billingStatus: 'active' })
    const trial = await createTestClinic({ billingStatus: 'trialing' })
    const none = await createTestClinic()
    const owners = [await active.as('owner'), await trial.as('owner'), await none.as('owner')]
    await active.as('receptionist')
    const captured = captureQueue()
    const deps = { env: captured.env, db, config: getConfig(env) }
    await announcePrivacyNotice(deps, Date.now())
    const emails = captured.sent.filter((j): j is EmailJob => j.type === 'email')
    const keys = emails.map((e) => e.idempotencyKey)
    expect(keys).toContain(`privacy-notice:${PRIVACY_NOTICE.version}:${owners[0]!.userId}`)
    expect(keys).toContain(`privacy-notice:${PRIVACY_NOTICE.version}:${owners[1]!.userId}`)
    expect(keys).not.toContain(`privacy-notice:${PRIVACY_NOTICE.version}:${owners[2]!.userId}`)
    expect(emails.every((e) => e.subject === 'Ringback’s privacy notice has changed')).toBe(true)
    // The next run: already announced, nothing more.
    expect(await announcePrivacyNotice(deps, Date.now())).toBe(0)
    const page = await call('/privacy-notice')
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(PRIVACY_NOTICE.version)
  })
})
