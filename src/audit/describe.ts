/**
 * Audit entries, purge receipts and data-subject requests in words for the pages a manager reads:
 * who did it, what they did and to which subject, instead of raw ids and field names. Pure: the
 * page loads the names (staff, keys, calls, requests) and passes them in with a time formatter.
 */

/** What the describer may name; anything missing is described without its id. */
export type AuditNames = {
  /** Staff member id → how to show them (their email). */
  staff: ReadonlyMap<string, string>
  /** API key id → the key's name. */
  apiKeys: ReadonlyMap<string, string>
  /** Call id → when it started and its caller's hash. */
  calls: ReadonlyMap<string, { startedAt: number; callerHash: string | null }>
  /** Data-subject request id → its type and the subject's hash. */
  requests: ReadonlyMap<string, RequestSubject & { type: string }>
  /** An instant in the clinic's time, such as `3 Dec, 09:14`. */
  when: (ms: number) => string
}

export type AuditEntryWords = { who: string; what: string; which: string | null }

type EntryLike = { actor: string; action: string; target: string | null; details: string | null }

/** A subject shown without their number: the start of their keyed hash, as on the calls page. */
export function subjectWords(hash: string | null): string {
  return hash ? `caller …${hash.slice(0, 6)}` : 'a caller with a withheld number'
}

/** How a data-subject request names its subject: by phone hash, by email lookup, or both. */
export type RequestSubject = { subjectHash: string | null; emailLookup: string | null }

/** The subject of a request in words (a phone number's hash first; an email alone says so). */
export function requestSubjectWords(r: RequestSubject): string {
  if (r.subjectHash) return subjectWords(r.subjectHash)
  return r.emailLookup ? 'a subject known by email' : 'an unnamed subject'
}

/** `prefix:id` → `[prefix, id]`; a bare id (a call's) has no prefix. */
function split(ref: string): [string, string] {
  const at = ref.indexOf(':')
  return at < 0 ? ['', ref] : [ref.slice(0, at), ref.slice(at + 1)]
}

/** The call an entry's target names (`call_…` or `call:call_…`), or null. */
export function callIdOf(ref: string | null): string | null {
  if (!ref) return null
  const id = ref.startsWith('call:') ? ref.slice('call:'.length) : ref
  return id.startsWith('call_') ? id : null
}

/** Who acted: a staff member, an API key, Twilio or the system. */
export function actorWords(actor: string, names: AuditNames): string {
  const [kind, id] = split(actor)
  switch (kind) {
    case 'user':
      return names.staff.get(id) ?? 'A former staff member'
    case 'api-key': {
      const name = names.apiKeys.get(id)
      return name ? `API key ‘${name}’` : 'A revoked API key'
    }
    case 'twilio':
      return 'The caller, by text message'
    case 'system':
      return 'System'
    default:
      return 'Someone unknown'
  }
}

/** Which record an entry is about, in words, or null when the action says it all. */
export function targetWords(target: string | null, names: AuditNames): string | null {
  if (!target) return null
  const [kind, id] = split(target)
  switch (kind) {
    case '':
    case 'call': {
      const call = names.calls.get(id)
      if (call) return `call of ${names.when(call.startedAt)} (${subjectWords(call.callerHash)})`
      return callIdOf(target) ? 'a call no longer kept' : null
    }
    case 'user':
    case 'api-key':
      return actorWords(target, names)
    case 'privacy-request': {
      const request = names.requests.get(id)
      return request
        ? `${request.type} request for ${requestSubjectWords(request)}`
        : 'an earlier data-subject request'
    }
    default:
      // The clinic itself, a number, a treatment, the outbox: the action already names it.
      return null
  }
}

function detailsOf(json: string | null): Record<string, unknown> {
  if (!json) return {}
  try {
    const parsed: unknown = JSON.parse(json)
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** The settings a change touched, in words (`retentionCallDays` → `how long calls are kept`). */
const SETTING_WORDS: Record<string, string> = {
  name: 'the clinic’s name',
  timezone: 'the time zone',
  country: 'the country',
  attributionWindowDays: 'the attribution window',
  defaultAppointmentValuePence: 'the default appointment value',
  textBackEnabled: 'whether text-back is on',
  textBackTemplate: 'the text-back message',
  holdOutPercent: 'the hold-out',
  callScreening: 'call screening',
  ringTimeoutSeconds: 'how long calls ring',
  retentionCallDays: 'how long calls are kept',
  retentionRecordingDays: 'how long recordings are kept',
  retentionEnquiryDays: 'how long enquiries are kept',
  forwardTo: 'where it forwards to',
  label: 'its label',
  valuePence: 'its value',
}

function fieldsWords(fields: unknown): string {
  if (typeof fields !== 'string' || fields === '') return ''
  const words = fields.split(',').map((f) => SETTING_WORDS[f] ?? f.replace(/([A-Z])/g, ' $1'))
  return `: ${words.join(', ')}`
}

const count = (n: unknown, one: string, many = `${one}s`) => {
  const v = Number(n) || 0
  return `${v} ${v === 1 ? one : many}`
}

/** What each action did, when its details add nothing. */
const ACTION_WORDS: Record<string, string> = {
  'auth.signup': 'Created the clinic’s account',
  'auth.login': 'Signed in',
  'auth.login.failed': 'Failed to sign in',
  'auth.lockout': 'Was locked out after repeated failed sign-ins',
  'auth.logout': 'Signed out',
  'auth.password-reset.request': 'Asked for a password reset',
  'auth.password-reset': 'Changed their password with a reset link',
  'user.invite.accept': 'Accepted their invitation',
  'user.disable': 'Disabled a team member’s account',
  'api-key.create': 'Created an API key',
  'api-key.revoke': 'Revoked an API key',
  'number.add': 'Added a tracking number',
  'number.remove': 'Removed a tracking number',
  'treatment.add': 'Added a treatment',
  'treatment.remove': 'Removed a treatment',
  'call.recording.read': 'Viewed the voicemail of a call',
  'call.callback.placed': 'Rang a caller back from the dashboard',
  'form.create': 'Created a form',
  'lead.read': 'Opened a lead’s details',
  'lead.photo.read': 'Viewed a photo sent with an enquiry',
  'lead.reply': 'Answered a lead by email',
  'automation.create': 'Created an automation',
  'automation.delete': 'Deleted an automation',
  'conversation.call.placed': 'Rang a patient from their conversation',
  'call.voicemail.read': 'Viewed the voicemail of a call',
  'recording.read': 'Viewed the voicemail of a call',
  'messaging.opt-out': 'Opted out of text messages (STOP)',
  'messaging.opt-in': 'Opted back in to text messages (START)',
  'privacy.access': 'Gathered a subject’s data for an access request',
  'privacy.export': 'Exported a subject’s data',
  'privacy.erasure': 'Erased a subject’s data',
  'privacy.rectification': 'Corrected a subject’s phone number',
  'privacy.restriction': 'Restricted the processing of a subject’s data',
  'privacy.objection': 'Recorded a subject’s objection: no more automated messages',
}

/** What the actions whose details matter did. */
const ACTIONS_WITH_DETAILS: Record<string, (d: Record<string, unknown>) => string> = {
  'user.invite': (d) => `Invited a team member${typeof d.role === 'string' ? ` as ${d.role}` : ''}`,
  'user.role.change': (d) => `Changed a team member’s role from ${d.from} to ${d.to}`,
  'clinic.settings.change': (d) => `Changed the clinic’s settings${fieldsWords(d.fields)}`,
  'number.change': (d) => `Changed a tracking number${fieldsWords(d.fields)}`,
  'treatment.change': (d) => `Changed a treatment${fieldsWords(d.fields)}`,
  'form.change': (d) => `Changed a form${fieldsWords(d.fields)}`,
  'automation.change': (d) => `Changed an automation${fieldsWords(d.fields)}`,
  'lead.change': (d) => `Changed a lead${fieldsWords(d.fields)}`,
  'call.callback.logged': (d) =>
    `Recorded a call-back${Number(d.calledBackCalls) > 1 ? ` (answering ${d.calledBackCalls} missed calls)` : ''}`,
  'outbox.read': (d) => `Read the outbox (${count(d.messages ?? d.count, 'message')})`,
  'appointments.import': (d) =>
    `Imported appointments (${count(d.imported, 'new one')}, ${count(d.duplicates, 'duplicate')}, ${count(d.errors, 'error')})`,
  'privacy.request.received': (d) => `Recorded ${article(d.type)} request`,
  'call.resolved': (d) =>
    `Marked a missed call as dealt with${typeof d.outcome === 'string' ? ` (${d.outcome})` : ''}`,
  'conversation.read': (d) => `Read a conversation (${count(d.messages, 'message')})`,
  'conversation.status': (d) => `Moved a conversation from ${d.from} to ${d.to}`,
  'user.alerts.change': (d) => `Turned a member’s staff alert emails ${d.alerts ? 'on' : 'off'}`,
  'audit.retention': (d) => `Removed ${count(d.removed, 'old audit entry', 'old audit entries')}`,
}

function article(type: unknown): string {
  const t = typeof type === 'string' ? type : 'data-subject'
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`
}

/** `conversation.take-over` → `Conversation take over` for an action this module does not know. */
function fallbackWords(action: string): string {
  const words = action.replace(/[._-]+/g, ' ').trim()
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Did something'
}

/** One audit entry in words: who, what, and which record or subject. */
export function describeAuditEntry(entry: EntryLike, names: AuditNames): AuditEntryWords {
  const withDetails = ACTIONS_WITH_DETAILS[entry.action]
  const sameAsActor = entry.target === entry.actor
  return {
    who: actorWords(entry.actor, names),
    what: withDetails
      ? withDetails(detailsOf(entry.details))
      : (ACTION_WORDS[entry.action] ?? fallbackWords(entry.action)),
    which: sameAsActor ? null : targetWords(entry.target, names),
  }
}

/** What each purge job removes, in words. */
const PURGE_JOBS: Record<string, string> = {
  calls: 'Calls past their retention period',
  recordings: 'Call recordings past their retention period',
  conversations: 'Conversations with no interaction for the retention period',
  enquiries: 'Enquiries past their retention period',
  leads: 'Leads past their retention period',
  'marketing-attribution': 'Marketing attribution older than two years',
  audit: 'Audit entries past their retention period',
  'terminated-clinic': 'All data of a closed clinic',
  'webhook-deliveries': 'Old records of webhook deliveries',
  'login-throttle': 'Old records of failed sign-ins',
  all: 'Every retention job (summary)',
}

/** What a purge receipt counts, in words. */
const DELETED_WORDS: Record<string, [string, string]> = {
  calls: ['call', 'calls'],
  recordings: ['recording', 'recordings'],
  textBacks: ['text-back', 'text-backs'],
  textBackReplies: ['reply to a text-back', 'replies to text-backs'],
  inboundMessages: ['message received', 'messages received'],
  outboundMessages: ['message sent', 'messages sent'],
  webhookDeliveries: ['webhook record', 'webhook records'],
  workingSetRows: ['attribution working copy', 'attribution working copies'],
  appointmentLinks: ['appointment’s link to a caller', 'appointments’ links to callers'],
  auditEntries: ['audit entry', 'audit entries'],
  blobs: ['stored file', 'stored files'],
  dataKeys: ['encryption key', 'encryption keys'],
  durableObjectStorage: ['clinic store', 'clinic stores'],
  clinic: ['clinic account', 'clinic accounts'],
  conversationMessages: ['conversation message', 'conversation messages'],
  conversations: ['conversation', 'conversations'],
  photos: ['photo', 'photos'],
  enquiries: ['enquiry', 'enquiries'],
  leadEvents: ['lead timeline entry', 'lead timeline entries'],
  leads: ['lead', 'leads'],
  conversions: ['conversion upload record', 'conversion upload records'],
  enquiryAttribution: ['enquiry’s ad attribution', 'enquiries’ ad attribution'],
  leadAttribution: ['lead’s ad attribution', 'leads’ ad attribution'],
}

/** A purge receipt in words: which job, and what it deleted (`12 calls, 3 recordings`). */
export function describePurge(run: { job: string; deletedJson: string }): {
  what: string
  deleted: string
} {
  const counts = detailsOf(run.deletedJson)
  const parts = Object.entries(counts).map(([kind, n]) => {
    const v = Number(n) || 0
    const [one, many] = DELETED_WORDS[kind] ?? [
      fallbackWords(kind).toLowerCase(),
      fallbackWords(kind).toLowerCase(),
    ]
    return `${v} ${v === 1 ? one : many}`
  })
  return {
    what: PURGE_JOBS[run.job] ?? fallbackWords(run.job),
    deleted: parts.length ? parts.join(', ') : 'nothing was due',
  }
}

/** The request types in words. */
const REQUEST_WORDS: Record<string, string> = {
  access: 'Access: a copy of their data',
  erasure: 'Erasure: delete their data',
  rectification: 'Rectification: correct their number',
  restriction: 'Restriction: stop processing',
  objection: 'Objection: no automated messages',
}

/** A data-subject request in words: what was asked, for whom, and who recorded it. */
export function describePrivacyRequest(
  request: RequestSubject & { type: string; requestedBy: string | null },
  names: AuditNames,
): { what: string; subject: string; recordedBy: string } {
  return {
    what: REQUEST_WORDS[request.type] ?? fallbackWords(request.type),
    subject: requestSubjectWords(request),
    recordedBy: request.requestedBy ? actorWords(request.requestedBy, names) : 'Unknown',
  }
}
