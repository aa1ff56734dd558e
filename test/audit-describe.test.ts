/**
 * Audit entries, purge receipts and data-subject requests in words (src/audit/describe.ts), and the
 * audit and privacy pages that show them: who, what and which subject, never raw ids or field names.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  type AuditNames,
  describeAuditEntry,
  describePrivacyRequest,
  describePurge,
} from '../src/audit/describe'
import { createDb } from '../src/db/client'
import { purgeRuns } from '../src/db/schema'
import { newId } from '../src/lib/ids'
import { api, call, createTestClinic } from './helpers/clinic'

const db = createDb(env.DB)

const names: AuditNames = {
  staff: new Map([['usr_1', 'sam@clinic.test']]),
  apiKeys: new Map([['key_1', 'Practice system']]),
  calls: new Map([
    ['call_1', { startedAt: Date.UTC(2026, 11, 3, 9, 14), callerHash: 'abc123def' }],
  ]),
  requests: new Map([['dsr_1', { type: 'erasure', subjectHash: 'fed987abc', emailLookup: null }]]),
  when: (ms) => new Date(ms).toISOString().slice(0, 16),
}

const entry = (
  actor: string,
  action: string,
  target: string | null,
  details: object | null = null,
) => ({
  actor,
  action,
  target,
  details: details ? JSON.stringify(details) : null,
})

describe('describeAuditEntry', () => {
  it('names the staff member, the API key, or the system', () => {
    expect(describeAuditEntry(entry('user:usr_1', 'auth.login', 'user:usr_1'), names)).toEqual({
      who: 'sam@clinic.test',
      what: 'Signed in',
      which: null,
    })
    expect(
      describeAuditEntry(
        entry('api-key:key_1', 'appointments.import', 'appointments', {
          imported: 3,
          duplicates: 1,
          errors: 0,
        }),
        names,
      ),
    ).toEqual({
      who: 'API key ‘Practice system’',
      what: 'Imported appointments (3 new ones, 1 duplicate, 0 errors)',
      which: null,
    })
    expect(
      describeAuditEntry(
        entry('system:retention', 'audit.retention', 'audit-log', { removed: 1 }),
        names,
      ).who,
    ).toBe('System')
    expect(describeAuditEntry(entry('user:usr_gone', 'auth.logout', null), names).who).toBe(
      'A former staff member',
    )
    expect(describeAuditEntry(entry('api-key:key_old', 'auth.logout', null), names).who).toBe(
      'A revoked API key',
    )
  })

  it('says which call and subject, by time and hash label, never by id', () => {
    const w = describeAuditEntry(entry('user:usr_1', 'call.recording.read', 'call_1'), names)
    expect(w.what).toBe('Viewed the voicemail of a call')
    expect(w.which).toBe('call of 2026-12-03T09:14 (caller …abc123)')
    const exported = describeAuditEntry(
      entry('user:usr_1', 'privacy.export', 'privacy-request:dsr_1'),
      names,
    )
    expect(exported.what).toBe('Exported a subject’s data')
    expect(exported.which).toBe('erasure request for caller …fed987')
    const gone = describeAuditEntry(entry('user:usr_1', 'call.recording.read', 'call_999'), names)
    expect(gone.which).toBe('a call no longer kept')
  })

  it('turns changed settings into words, not column names', () => {
    const w = describeAuditEntry(
      entry('user:usr_1', 'clinic.settings.change', 'clinic:cln_1', {
        fields: 'holdOutPercent,retentionCallDays',
      }),
      names,
    )
    expect(w.what).toBe('Changed the clinic’s settings: the hold-out, how long calls are kept')
    expect(w.which).toBeNull()
  })

  it('describes an action it does not know in words rather than failing', () => {
    expect(
      describeAuditEntry(entry('user:usr_1', 'conversation.take-over', null), names).what,
    ).toBe('Conversation take over')
  })

  it('says what the front desk did to calls, conversations and alert settings', () => {
    const what = (action: string, details: object) =>
      describeAuditEntry(entry('user:usr_1', action, null, details), names).what
    expect(what('call.resolved', { outcome: 'booked' })).toBe(
      'Marked a missed call as dealt with (booked)',
    )
    expect(what('conversation.read', { messages: 3 })).toBe('Read a conversation (3 messages)')
    expect(what('conversation.status', { from: 'ai', to: 'human' })).toBe(
      'Moved a conversation from ai to human',
    )
    expect(what('user.alerts.change', { alerts: false })).toBe(
      'Turned a member’s staff alert emails off',
    )
    expect(what('call.callback.placed', {})).toBe('Rang a caller back from the dashboard')
  })
})

describe('describePurge and describePrivacyRequest', () => {
  it('a purge receipt says what it removed', () => {
    expect(
      describePurge({ job: 'calls', deletedJson: '{"calls":12,"recordings":1,"textBacks":0}' }),
    ).toEqual({
      what: 'Calls past their retention period',
      deleted: '12 calls, 1 recording, 0 text-backs',
    })
    expect(describePurge({ job: 'leads', deletedJson: '{}' }).deleted).toBe('nothing was due')
    expect(describePurge({ job: 'x', deletedJson: 'not json' }).deleted).toBe('nothing was due')
  })

  it('a request says what was asked, for whom and who recorded it', () => {
    expect(
      describePrivacyRequest(
        {
          type: 'erasure',
          subjectHash: 'fed987abc',
          emailLookup: null,
          requestedBy: 'api-key:key_1',
        },
        names,
      ),
    ).toEqual({
      what: 'Erasure: delete their data',
      subject: 'caller …fed987',
      recordedBy: 'API key ‘Practice system’',
    })
    expect(
      describePrivacyRequest(
        { type: 'access', subjectHash: null, emailLookup: 'h', requestedBy: 'user:usr_1' },
        names,
      ).subject,
    ).toBe('a subject known by email')
  })
})

describe('the pages read in words', () => {
  it('the audit log names the staff member and the key they created, with no raw ids', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const created = await api(
      'POST',
      '/api/v1/api-keys',
      { name: 'Practice system' },
      owner.headers,
    )
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }
    const html = await (await call('/audit', { headers: owner.headers })).text()
    expect(html).toContain('Created an API key')
    expect(html).toContain('API key ‘Practice system’')
    expect(html).toContain(owner.email)
    expect(html).not.toContain(`api-key:${id}`)
    expect(html).not.toContain(`user:${owner.userId}`)
    expect(html).not.toContain('api-key.create')
  })

  it('names the call an entry is about by its time and caller label, not its id', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const at = '2026-12-03T09:14:00Z'
    const res = await api(
      'POST',
      '/api/v1/calls/callbacks',
      { phone: '07700 900123', at },
      owner.headers,
    )
    expect(res.status).toBe(201)
    const { id } = (await res.json()) as { id: string }
    const html = await (await call('/audit', { headers: owner.headers })).text()
    expect(html).toContain('Recorded a call-back')
    expect(html).toMatch(/call of 3 Dec, 09:14 \(caller …[0-9a-f]{6}\)/)
    expect(html).not.toContain(id)
    expect(html).not.toContain('900123')
  })

  it('the privacy page shows requests and purge receipts in words', async () => {
    const clinic = await createTestClinic()
    const owner = await clinic.as('owner')
    const res = await api(
      'POST',
      '/api/v1/privacy/requests',
      { type: 'erasure', subject: { phone: '07700 900123' } },
      owner.headers,
    )
    expect(res.status).toBe(201)
    await db.insert(purgeRuns).values({
      id: newId('prg'),
      clinicId: clinic.clinicId,
      job: 'calls',
      ranAt: Date.now(),
      cutoff: Date.now() - 90 * 86_400_000,
      deletedJson: JSON.stringify({ calls: 2, recordings: 1 }),
      status: 'completed',
    })
    const html = await (await call('/privacy', { headers: owner.headers })).text()
    expect(html).toContain('Erasure: delete their data')
    expect(html).toMatch(/caller …[0-9a-f]{6}/)
    expect(html).toContain(owner.email)
    expect(html).toContain('Calls past their retention period')
    expect(html).toContain('2 calls, 1 recording')
    expect(html).not.toContain('900123')
    expect(html).not.toContain('{&quot;calls')
  })
})
