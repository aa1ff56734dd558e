/**
 * The D1 schema (Drizzle). Every tenant table carries `clinic_id`, and every query filters on it.
 * Times are integer milliseconds since the epoch (UTC). No column holds a caller's raw phone
 * number, an email address or a message body in clear: callers are `caller_hash` (keyed,
 * clinic-scoped HMAC), and contact details are `*_sealed` (AES-256-GCM, see src/privacy/crypto.ts).
 *
 * Migrations: edit this file, then `npm run db:generate -- --name <what>`; wrangler applies them.
 */
import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

// Column groups every table repeats (helpers only: the generated SQL is the same as written out).
const createdAt = () => integer('created_at').notNull().default(sql`(unixepoch('subsec') * 1000)`)
/** A text primary key `id` (prefixed ids from src/lib/ids.ts). */
const id = () => text('id').primaryKey()
/** The tenant column. */
const clinicId = () => text('clinic_id').notNull()
/** The tenant column on a table whose rows go with their clinic. */
const ownedByClinic = () => clinicId().references(() => clinics.id, { onDelete: 'cascade' })

export const clinics = sqliteTable('clinics', {
  id: id(),
  name: text('name').notNull(),
  timezone: text('timezone').notNull().default('Europe/London'),
  /** ISO 3166 alpha-2; the default region for parsing national-format numbers. */
  country: text('country').notNull().default('GB'),
  ringTimeoutSeconds: integer('ring_timeout_seconds').notNull().default(20),
  attributionWindowDays: integer('attribution_window_days').notNull().default(14),
  defaultAppointmentValuePence: integer('default_appointment_value_pence').notNull().default(15000),
  textBackEnabled: integer('text_back_enabled', { mode: 'boolean' }).notNull().default(true),
  textBackTemplate: text('text_back_template'),
  holdOutPercent: integer('hold_out_percent').notNull().default(0),
  callScreening: integer('call_screening', { mode: 'boolean' }).notNull().default(false),
  retentionCallDays: integer('retention_call_days').notNull().default(90),
  retentionRecordingDays: integer('retention_recording_days').notNull().default(365),
  retentionEnquiryDays: integer('retention_enquiry_days').notNull().default(730),
  /**
   * The clinic's own facts, the only ground the AI receptionist may speak from (with treatments):
   * address, opening hours (JSON `{mon: [["09:00","17:30"]], …}` in the clinic's time zone; an
   * absent day is closed) and the link where patients book.
   */
  address: text('address'),
  openingHours: text('opening_hours'),
  bookingUrl: text('booking_url'),
  /** Where conversions go (docs/LEADS.md): Google Ads customer id and conversion action, Meta pixel. */
  googleAdsCustomerId: text('google_ads_customer_id'),
  googleConversionAction: text('google_conversion_action'),
  metaPixelId: text('meta_pixel_id'),
  /**
   * Reminders and follow-ups (docs/AUTOMATIONS.md): off until the clinic switches reminders on;
   * offsets are JSON minutes before the appointment (null: the defaults); templates null: the
   * default wording. Quiet hours are local `HH:MM`; nothing automated goes out inside them.
   */
  remindersEnabled: integer('reminders_enabled', { mode: 'boolean' }).notNull().default(false),
  reminderOffsets: text('reminder_offsets'),
  reminderTemplate: text('reminder_template'),
  followUpNoReplyHours: integer('follow_up_no_reply_hours').notNull().default(4),
  followUpTemplate: text('follow_up_template'),
  followUpEnquiryHours: integer('follow_up_enquiry_hours').notNull().default(48),
  followUpWeeklyCap: integer('follow_up_weekly_cap').notNull().default(2),
  quietStart: text('quiet_start').notNull().default('20:00'),
  quietEnd: text('quiet_end').notNull().default('08:00'),
  /**
   * Billing (docs/BILLING.md), kept from Stripe's current subscription by its webhook: the plan,
   * the status, the period end, when payment became overdue, and the contract end that starts
   * the 6-month deletion clock.
   */
  plan: text('plan'),
  billingStatus: text('billing_status'),
  contractEndsAt: integer('contract_ends_at'),
  stripeCustomerId: text('stripe_customer_id'),
  /** The platform operator's own tenant: its owners and admins see the Operator page. */
  isOperator: integer('is_operator', { mode: 'boolean' }).notNull().default(false),
  stripeSubscriptionId: text('stripe_subscription_id'),
  currentPeriodEnd: integer('current_period_end'),
  pastDueSince: integer('past_due_since'),
  createdAt: createdAt(),
  updatedAt: integer('updated_at'),
})

export const users = sqliteTable(
  'users',
  {
    id: id(),
    clinicId: ownedByClinic(),
    /** HMAC of the lower-cased email under a platform key: lets login find the user without storing the email in clear. */
    emailLookup: text('email_lookup').notNull(),
    emailSealed: text('email_sealed').notNull(),
    /** `scrypt$N$r$p$saltB64$hashB64`; null until an invited user sets a password. */
    passwordHash: text('password_hash'),
    role: text('role', { enum: ['owner', 'admin', 'receptionist', 'analyst'] }).notNull(),
    status: text('status', { enum: ['active', 'invited', 'disabled'] })
      .notNull()
      .default('active'),
    createdAt: createdAt(),
    lastLoginAt: integer('last_login_at'),
    /**
     * Staff alert emails (src/alerts): true/false as the member chose; null = their role's
     * default (owners and admins on, others off).
     */
    alertsEmail: integer('alerts_email', { mode: 'boolean' }),
  },
  (t) => [
    uniqueIndex('users_email_lookup_uq').on(t.emailLookup),
    index('users_clinic_idx').on(t.clinicId),
  ],
)

export const sessions = sqliteTable(
  'sessions',
  {
    /** SHA-256 of the cookie token: a leaked table cannot be replayed as cookies. */
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    clinicId: clinicId(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at').notNull(),
    lastSeenAt: integer('last_seen_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
)

/** Failed-login counters per account (by email lookup hash) for throttling and lockout. */
export const loginThrottle = sqliteTable(
  'login_throttle',
  {
    key: text('key').primaryKey(),
    failures: integer('failures').notNull().default(0),
    windowStartedAt: integer('window_started_at').notNull(),
    lockedUntil: integer('locked_until'),
  },
  // The housekeeping purge finds spent counters by age.
  (t) => [index('login_throttle_window_idx').on(t.windowStartedAt)],
)

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: id(),
    clinicId: ownedByClinic(),
    name: text('name').notNull(),
    /** SHA-256 of the whole key; the key itself is shown once. */
    keyHash: text('key_hash').notNull(),
    /** The first characters, to recognise a key in the dashboard. */
    prefix: text('prefix').notNull(),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
    /**
     * What the key may do: comma-separated scopes from src/auth/policy.ts. Keys made before
     * scopes existed get the contract's default set.
     */
    scopes: text('scopes')
      .notNull()
      .default('calls:read,appointments:read,appointments:write,metrics:read'),
  },
  (t) => [
    uniqueIndex('api_keys_hash_uq').on(t.keyHash),
    index('api_keys_clinic_idx').on(t.clinicId),
  ],
)

/** One-time tokens: team invites and password resets (hashed like sessions). */
export const authTokens = sqliteTable('auth_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  kind: text('kind', { enum: ['invite', 'password-reset'] }).notNull(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  clinicId: clinicId(),
  createdAt: createdAt(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
})

/**
 * Per-clinic data keys, wrapped (AES-GCM) by the platform key-encryption key DATA_ENCRYPTION_KEY.
 * Deleting a clinic's rows here crypto-shreds every ciphertext sealed under them.
 */
export const clinicKeys = sqliteTable(
  'clinic_keys',
  {
    clinicId: clinicId(),
    version: integer('version').notNull(),
    wrappedKey: text('wrapped_key').notNull(),
    /** Fingerprint of the key-encryption key that wrapped it (for rotation). */
    kekId: text('kek_id').notNull(),
    createdAt: createdAt(),
    retiredAt: integer('retired_at'),
  },
  (t) => [primaryKey({ columns: [t.clinicId, t.version] })],
)

export const trackingNumbers = sqliteTable(
  'tracking_numbers',
  {
    id: id(),
    clinicId: ownedByClinic(),
    /** The clinic's own Twilio number (business data, not personal): E.164. */
    phoneNumber: text('phone_number').notNull(),
    /** The clinic's front-desk line the call is forwarded to: E.164. */
    forwardTo: text('forward_to').notNull(),
    label: text('label'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('tracking_numbers_phone_uq').on(t.phoneNumber),
    index('tracking_numbers_clinic_idx').on(t.clinicId),
  ],
)

export const treatments = sqliteTable(
  'treatments',
  {
    id: id(),
    clinicId: ownedByClinic(),
    name: text('name').notNull(),
    valuePence: integer('value_pence').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('treatments_clinic_idx').on(t.clinicId)],
)

/**
 * Calls. The status is derived from facts that only ever get set (never unset), so duplicated or
 * reordered Twilio callbacks converge on the same row (see src/calls/state.ts).
 */
export const calls = sqliteTable(
  'calls',
  {
    id: id(),
    clinicId: clinicId(),
    callSid: text('call_sid').notNull(),
    trackingNumberId: text('tracking_number_id'),
    direction: text('direction', { enum: ['inbound', 'outbound'] }).notNull(),
    /** Keyed hash of the caller (inbound) or the called patient (outbound); null when withheld. */
    callerHash: text('caller_hash'),
    callerKind: text('caller_kind', { enum: ['mobile', 'other', 'withheld'] }).notNull(),
    /** When it first rang: the first webhook we saw for it. */
    startedAt: integer('started_at').notNull(),
    /** Derived from the facts below; `ringing` until an outcome is known. */
    status: text('status', { enum: ['ringing', 'answered', 'missed', 'voicemail'] })
      .notNull()
      .default('ringing'),
    dialOutcome: text('dial_outcome', { enum: ['answered', 'missed'] }),
    finalCallStatus: text('final_call_status'),
    screeningAccepted: integer('screening_accepted', { mode: 'boolean' }).notNull().default(false),
    /** Whether call screening was on when the call came in: then only an accepted whisper counts as answered. */
    screeningRequired: integer('screening_required', { mode: 'boolean' }).notNull().default(false),
    voicemailSeconds: integer('voicemail_seconds'),
    recordingKey: text('recording_key'),
    durationSeconds: integer('duration_seconds'),
    endedAt: integer('ended_at'),
    /** For missed calls: the first outbound call to the caller afterwards. */
    calledBackAt: integer('called_back_at'),
    callbackCallId: text('callback_call_id'),
    textBackStatus: text('text_back_status', {
      enum: ['none', 'queued', 'sent', 'failed', 'suppressed', 'held-out'],
    })
      .notNull()
      .default('none'),
    /** Why no text-back was sent (landline, withheld, opted-out, restricted, rate-limited, disabled, hold-out). */
    textBackReason: text('text_back_reason'),
    textedBackAt: integer('texted_back_at'),
    recoveredAppointmentId: text('recovered_appointment_id'),
    /** Handled by hand (POST /calls/:id/resolve): leaves the waiting list; the status stays. */
    resolutionOutcome: text('resolution_outcome', {
      enum: ['called-back', 'booked', 'not-needed'],
    }),
    resolvedAt: integer('resolved_at'),
    resolvedBy: text('resolved_by'),
    updatedAt: integer('updated_at'),
  },
  (t) => [
    uniqueIndex('calls_clinic_sid_uq').on(t.clinicId, t.callSid),
    index('calls_clinic_started_idx').on(t.clinicId, t.startedAt),
    index('calls_clinic_caller_idx').on(t.clinicId, t.callerHash, t.startedAt),
    index('calls_started_idx').on(t.startedAt),
    // Twilio CallSids are globally unique; the recording and screening callbacks carry no `To`,
    // so they find their call (and its clinic) by sid alone.
    index('calls_sid_idx').on(t.callSid),
  ],
)

/** Delivery de-duplication for webhooks: Twilio's idempotency token and our natural keys. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    key: text('key').primaryKey(),
    clinicId: text('clinic_id'),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('webhook_deliveries_received_idx').on(t.receivedAt)],
)

/**
 * A completed voicemail recording whose call we have not seen yet (its callback overtook the call's
 * first webhook). Only Twilio sids and a duration: no numbers. Merged into the call, then deleted,
 * by the call's first webhook; rows left unmerged are deleted after a day (src/calls/pending.ts).
 */
export const pendingRecordings = sqliteTable(
  'pending_recordings',
  {
    recordingSid: text('recording_sid').primaryKey(),
    callSid: text('call_sid').notNull(),
    seconds: integer('seconds').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    index('pending_recordings_call_idx').on(t.callSid),
    index('pending_recordings_received_idx').on(t.receivedAt),
  ],
)

/**
 * Every message we send or would send (sandbox mode keeps it here instead). The recipient and
 * the body are sealed; `to_masked` keeps only the last three digits for display.
 */
export const outboundMessages = sqliteTable(
  'outbound_messages',
  {
    id: id(),
    clinicId: clinicId(),
    /** Idempotency: one row per intent, e.g. `text-back:<callId>`. */
    dedupeKey: text('dedupe_key').notNull(),
    kind: text('kind', {
      enum: ['text-back', 'reply', 'reminder', 'follow-up', 'automation', 'email'],
    }).notNull(),
    channel: text('channel', { enum: ['sms', 'whatsapp', 'email'] }).notNull(),
    callId: text('call_id'),
    recipientHash: text('recipient_hash'),
    /** Sealed recipient, only where a later send needs it (text-backs carry theirs in the queue message). */
    toSealed: text('to_sealed'),
    /** SMS segments the body takes (usage, billing); 0 for email. */
    segments: integer('segments').notNull().default(1),
    toMasked: text('to_masked').notNull(),
    bodySealed: text('body_sealed').notNull(),
    status: text('status', {
      enum: ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'sandboxed'],
    })
      .notNull()
      .default('queued'),
    providerSid: text('provider_sid'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: integer('sent_at'),
    updatedAt: integer('updated_at'),
  },
  (t) => [
    uniqueIndex('outbound_dedupe_uq').on(t.clinicId, t.dedupeKey),
    index('outbound_clinic_created_idx').on(t.clinicId, t.createdAt),
    index('outbound_recipient_idx').on(t.clinicId, t.recipientHash, t.createdAt),
    index('outbound_provider_sid_idx').on(t.providerSid),
  ],
)

/** Messaging consent per clinic and contact: STOP opts out, START opts back in. */
export const optOuts = sqliteTable(
  'opt_outs',
  {
    clinicId: clinicId(),
    contactHash: text('contact_hash').notNull(),
    optedOut: integer('opted_out', { mode: 'boolean' }).notNull(),
    /** The keyword that set it (STOP, START, …) and when: a consent record. */
    keyword: text('keyword').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clinicId, t.contactHash] })],
)

/** Inbound messages' metadata (the body is sealed). Conversations build on this. */
export const inboundMessages = sqliteTable(
  'inbound_messages',
  {
    id: id(),
    clinicId: clinicId(),
    messageSid: text('message_sid').notNull(),
    channel: text('channel', { enum: ['sms', 'whatsapp'] }).notNull(),
    senderHash: text('sender_hash').notNull(),
    bodySealed: text('body_sealed'),
    receivedAt: integer('received_at').notNull(),
    /** Set when this is a reply to a text-back we sent: a recovery touch. */
    inReplyToCallId: text('in_reply_to_call_id'),
  },
  (t) => [
    uniqueIndex('inbound_clinic_sid_uq').on(t.clinicId, t.messageSid),
    index('inbound_clinic_sender_idx').on(t.clinicId, t.senderHash, t.receivedAt),
    index('inbound_received_idx').on(t.receivedAt),
  ],
)

export const appointments = sqliteTable(
  'appointments',
  {
    id: id(),
    clinicId: clinicId(),
    callerHash: text('caller_hash'),
    externalId: text('external_id'),
    /** t_A: when the booking was made. */
    createdAt: integer('created_at').notNull(),
    scheduledFor: integer('scheduled_for'),
    treatmentId: text('treatment_id'),
    /** Explicit value from the practice system; otherwise the treatment's, else the clinic default. */
    valuePence: integer('value_pence'),
    attributionStatus: text('attribution_status', { enum: ['recovered', 'unattributed'] })
      .notNull()
      .default('unattributed'),
    attributedCallId: text('attributed_call_id'),
    attributionPath: text('attribution_path', {
      enum: ['callback', 'text-back', 'return-call', 'direct'],
    }),
    ruleVersion: integer('rule_version'),
    settledAt: integer('settled_at'),
    receivedAt: integer('received_at').notNull(),
    /** When the practice cancelled it (its reminders are cancelled; attribution is unchanged). */
    cancelledAt: integer('cancelled_at'),
  },
  (t) => [
    uniqueIndex('appointments_clinic_external_uq').on(t.clinicId, t.externalId),
    index('appointments_clinic_created_idx').on(t.clinicId, t.createdAt),
    index('appointments_clinic_caller_idx').on(t.clinicId, t.callerHash),
  ],
)

/**
 * Anonymous daily aggregates per clinic and local date. They outlive the purge of the calls they
 * count; `callbackSecondsJson` keeps the day's callback delays (numbers only) for medians.
 */
export const dailyMetrics = sqliteTable(
  'daily_metrics',
  {
    clinicId: clinicId(),
    date: text('date').notNull(),
    inboundCalls: integer('inbound_calls').notNull().default(0),
    missedCalls: integer('missed_calls').notNull().default(0),
    answeredCalls: integer('answered_calls').notNull().default(0),
    voicemails: integer('voicemails').notNull().default(0),
    callbacks: integer('callbacks').notNull().default(0),
    textBacks: integer('text_backs').notNull().default(0),
    callbackSecondsJson: text('callback_seconds_json').notNull().default('[]'),
    recoveredAppointments: integer('recovered_appointments').notNull().default(0),
    recoveredRevenuePence: integer('recovered_revenue_pence').notNull().default(0),
    heldOutMissedCalls: integer('held_out_missed_calls').notNull().default(0),
    heldOutRecovered: integer('held_out_recovered').notNull().default(0),
    textBackMissedCalls: integer('text_back_missed_calls').notNull().default(0),
    textBackRecovered: integer('text_back_recovered').notNull().default(0),
    updatedAt: integer('updated_at'),
  },
  (t) => [primaryKey({ columns: [t.clinicId, t.date] })],
)

/** Data-subject restriction/objection flags, by subject hash: suppress text-backs, AI, marketing. */
export const subjectRestrictions = sqliteTable(
  'subject_restrictions',
  {
    clinicId: clinicId(),
    subjectHash: text('subject_hash').notNull(),
    restricted: integer('restricted', { mode: 'boolean' }).notNull().default(false),
    objected: integer('objected', { mode: 'boolean' }).notNull().default(false),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clinicId, t.subjectHash] })],
)

export const privacyRequests = sqliteTable(
  'privacy_requests',
  {
    id: id(),
    clinicId: clinicId(),
    type: text('type', {
      enum: ['access', 'erasure', 'rectification', 'restriction', 'objection'],
    }).notNull(),
    status: text('status', { enum: ['received', 'in-progress', 'completed', 'rejected'] })
      .notNull()
      .default('received'),
    subjectHash: text('subject_hash'),
    emailLookup: text('email_lookup'),
    /** The subject's identifiers and any rectification changes, sealed. */
    detailsSealed: text('details_sealed'),
    requestedBy: text('requested_by'),
    createdAt: createdAt(),
    dueAt: integer('due_at').notNull(),
    completedAt: integer('completed_at'),
    resultJson: text('result_json'),
  },
  (t) => [index('privacy_requests_clinic_idx').on(t.clinicId, t.createdAt)],
)

/** Receipts of retention purges: job, cut-off and counts per kind, never personal data. */
export const purgeRuns = sqliteTable(
  'purge_runs',
  {
    id: id(),
    clinicId: text('clinic_id'),
    job: text('job').notNull(),
    ranAt: integer('ran_at').notNull(),
    cutoff: integer('cutoff').notNull(),
    deletedJson: text('deleted_json').notNull(),
    status: text('status', { enum: ['running', 'completed'] }).notNull(),
  },
  (t) => [
    index('purge_runs_clinic_idx').on(t.clinicId, t.ranAt),
    // The receipts' own retention (src/privacy/purge.ts) deletes by age across all clinics.
    index('purge_runs_ran_idx').on(t.ranAt),
  ],
)

/**
 * Queue jobs that exhausted their retries (or failed permanently), one row per clinic, job type
 * and safe reference (a call id, a run key, a hash of an email's key): what a human must look at.
 * No personal data. `clinic_id` is null for platform jobs (there is no operator tenant yet).
 */
export const jobFailures = sqliteTable(
  'job_failures',
  {
    /** Derived from (clinic, type, ref), so a redelivered dead letter updates the same row. */
    id: id(),
    clinicId: text('clinic_id'),
    jobType: text('job_type').notNull(),
    ref: text('ref').notNull(),
    firstFailedAt: integer('first_failed_at').notNull(),
    lastFailedAt: integer('last_failed_at').notNull(),
    count: integer('count').notNull().default(1),
    /** The queue message last counted: a redelivery of the same dead letter counts once. */
    lastMessageId: text('last_message_id'),
    /** When an alert email was queued for this failure (at most one per clinic per hour). */
    alertedAt: integer('alerted_at'),
    resolvedAt: integer('resolved_at'),
  },
  (t) => [
    index('job_failures_clinic_idx').on(t.clinicId, t.lastFailedAt),
    index('job_failures_last_idx').on(t.lastFailedAt),
  ],
)

/**
 * One conversation per clinic, contact and channel. The contact's number (or WhatsApp address)
 * is kept only sealed, to reply; `contact_hash` is the same keyed hash as `calls.caller_hash`,
 * so a caller's calls and conversation meet on it. Purged 24 months after `last_message_at`.
 */
export const conversations = sqliteTable(
  'conversations',
  {
    id: id(),
    clinicId: clinicId(),
    channel: text('channel', { enum: ['sms', 'whatsapp', 'web'] }).notNull(),
    contactHash: text('contact_hash').notNull(),
    /** Sealed E.164 number (sms, whatsapp); null for web chat. */
    contactSealed: text('contact_sealed'),
    /** Sealed display name when the patient gave one. */
    displayNameSealed: text('display_name_sealed'),
    /** The name's initials (web chat), what the inbox list shows instead of the name. */
    nameInitials: text('name_initials'),
    /** Last three digits only, for display (`•••• ••• 123`). */
    phoneMasked: text('phone_masked'),
    /** The tracking number the patient wrote to: replies go out from it. */
    trackingNumberId: text('tracking_number_id'),
    status: text('status', { enum: ['ai', 'needs-human', 'human', 'closed'] })
      .notNull()
      .default('ai'),
    priorityScore: integer('priority_score').notNull().default(0),
    /** JSON array of reasons (e.g. `red-flag:knocked-out-tooth`, `needs-human:model-unavailable`). */
    priorityReasons: text('priority_reasons').notNull().default('[]'),
    assignedTo: text('assigned_to'),
    lastMessageAt: integer('last_message_at').notNull(),
    /** The patient's last message: opens WhatsApp's 24-hour window. */
    lastInboundAt: integer('last_inbound_at'),
    /** Staff have read up to here; unread = patient messages after it. */
    readUpTo: integer('read_up_to').notNull().default(0),
    unreadCount: integer('unread_count').notNull().default(0),
    /** Whether the assistant's disclosure has been sent. */
    aiDisclosed: integer('ai_disclosed', { mode: 'boolean' }).notNull().default(false),
    /**
     * WhatsApp only: when the patient opted in to the clinic messaging them first on WhatsApp
     * (START sent on WhatsApp). Text-backs go by WhatsApp only to such contacts; STOP ends it.
     */
    whatsappOptInAt: integer('whatsapp_opt_in_at'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at'),
  },
  (t) => [
    uniqueIndex('conversations_contact_uq').on(t.clinicId, t.contactHash, t.channel),
    index('conversations_inbox_idx').on(t.clinicId, t.status, t.lastMessageAt),
    index('conversations_last_idx').on(t.lastMessageAt),
  ],
)

/** Every message of a conversation, both ways; bodies sealed. */
export const conversationMessages = sqliteTable(
  'conversation_messages',
  {
    id: id(),
    clinicId: clinicId(),
    conversationId: text('conversation_id').notNull(),
    direction: text('direction', { enum: ['inbound', 'outbound'] }).notNull(),
    author: text('author', { enum: ['patient', 'ai', 'staff', 'system'] }).notNull(),
    /** Staff member who wrote it (author `staff`). */
    userId: text('user_id'),
    bodySealed: text('body_sealed').notNull(),
    status: text('status', {
      enum: [
        'received',
        'queued',
        'sending',
        'sent',
        'delivered',
        'undelivered',
        'failed',
        'sandboxed',
        'suppressed',
      ],
    }).notNull(),
    /** Idempotency: the inbound MessageSid, or `ai:<patient message id>`, `staff:<key>`. */
    dedupeKey: text('dedupe_key').notNull(),
    /** The outbox row of an outbound message (src/outbox), when one was made. */
    outboxId: text('outbox_id'),
    providerSid: text('provider_sid'),
    /** JSON `{intent, redFlags, handoff, reason}` for patient and AI messages. */
    triage: text('triage'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('conversation_messages_dedupe_uq').on(t.clinicId, t.dedupeKey),
    index('conversation_messages_thread_idx').on(t.conversationId, t.createdAt),
    index('conversation_messages_provider_sid_idx').on(t.providerSid),
  ],
)

/** Model token use per clinic and month (UTC `YYYY-MM`), for cost and billing. */
export const aiUsage = sqliteTable(
  'ai_usage',
  {
    clinicId: clinicId(),
    month: text('month').notNull(),
    replies: integer('replies').notNull().default(0),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    updatedAt: integer('updated_at'),
  },
  (t) => [primaryKey({ columns: [t.clinicId, t.month] })],
)

/**
 * Things staff must hear about (a conversation needing a person, a missed call in opening hours),
 * batched into one email per clinic and few minutes (src/alerts/alerts.ts). Ids only: the email
 * links to the inbox or the call, it never carries a number or a message.
 */
export const staffAlerts = sqliteTable(
  'staff_alerts',
  {
    id: id(),
    clinicId: clinicId(),
    kind: text('kind', { enum: ['needs-human', 'missed-call', 'automation'] }).notNull(),
    /** The conversation or call id (an automation's: its run id). */
    ref: text('ref').notNull(),
    createdAt: integer('created_at').notNull(),
    /** When the digest that carried it was queued; null while pending. */
    sentAt: integer('sent_at'),
  },
  (t) => [
    // One pending alert per thing: raising it again before the digest goes changes nothing.
    uniqueIndex('staff_alerts_pending_uq')
      .on(t.clinicId, t.kind, t.ref)
      .where(sql`sent_at IS NULL`),
    index('staff_alerts_clinic_idx').on(t.clinicId, t.sentAt, t.createdAt),
  ],
)

// --- Forms, enquiries and leads (docs/LEADS.md) ----------------------------------------------

/** A form a clinic embeds on its site (or links to): what it asks and where it may be posted from. */
export const forms = sqliteTable(
  'forms',
  {
    id: id(),
    clinicId: ownedByClinic(),
    kind: text('kind', { enum: ['enquiry', 'guide', 'scorecard', 'book-call', 'chat'] }).notNull(),
    name: text('name').notNull(),
    /** JSON array of origins (`https://www.clinic.co.uk`) whose pages may post to it. */
    allowedOrigins: text('allowed_origins').notNull().default('[]'),
    /** `guide` forms: the link a submitter receives by email. */
    guideUrl: text('guide_url'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at'),
  },
  (t) => [index('forms_clinic_idx').on(t.clinicId, t.createdAt)],
)

/**
 * One lead per clinic and person: found by the keyed hash of their phone (the same hash as
 * `calls.caller_hash`, so their calls and messages meet it) or of their email. Contact details
 * sealed; only masks and initials in clear. Purged 24 months after `last_interaction_at`.
 */
export const leads = sqliteTable(
  'leads',
  {
    id: id(),
    clinicId: clinicId(),
    phoneHash: text('phone_hash'),
    emailHash: text('email_hash'),
    nameSealed: text('name_sealed'),
    phoneSealed: text('phone_sealed'),
    emailSealed: text('email_sealed'),
    nameInitials: text('name_initials'),
    phoneMasked: text('phone_masked'),
    emailMasked: text('email_masked'),
    status: text('status', { enum: ['new', 'contacted', 'booked', 'lost'] })
      .notNull()
      .default('new'),
    assignedTo: text('assigned_to'),
    /** How they first came: a form (kind, id) or a channel (call, sms, whatsapp, web). */
    sourceKind: text('source_kind').notNull(),
    sourceFormId: text('source_form_id'),
    sourceChannel: text('source_channel'),
    /** JSON: the first touch's marketing attribution (UTMs, click ids, landing page, referrer). */
    attribution: text('attribution'),
    /** JSON: the latest consent choices with their wording, version and time. */
    consent: text('consent'),
    /** What they asked about, for the priority (a treatment name). */
    treatment: text('treatment'),
    /** The latest form kind or channel that touched them. */
    lastKind: text('last_kind').notNull(),
    lastInteractionAt: integer('last_interaction_at').notNull(),
    /** When staff last answered them (a reply or a call back); null while unanswered. */
    lastReplyAt: integer('last_reply_at'),
    appointmentId: text('appointment_id'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at'),
  },
  (t) => [
    uniqueIndex('leads_phone_uq').on(t.clinicId, t.phoneHash),
    uniqueIndex('leads_email_uq').on(t.clinicId, t.emailHash),
    index('leads_list_idx').on(t.clinicId, t.lastInteractionAt),
    index('leads_last_idx').on(t.lastInteractionAt),
  ],
)

/** One form submission: what was asked (sealed), the scorecard's answers, consent, attribution. */
export const enquiries = sqliteTable(
  'enquiries',
  {
    id: id(),
    clinicId: clinicId(),
    formId: text('form_id').notNull(),
    leadId: text('lead_id').notNull(),
    kind: text('kind', { enum: ['enquiry', 'guide', 'scorecard', 'book-call', 'chat'] }).notNull(),
    messageSealed: text('message_sealed'),
    treatment: text('treatment'),
    preferredTimeSealed: text('preferred_time_sealed'),
    /** JSON: scorecard answers and result (numbers about the clinic, no personal data). */
    scorecard: text('scorecard'),
    consent: text('consent').notNull(),
    /** JSON marketing attribution; cleared 2 years after the submission. */
    attribution: text('attribution'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('enquiries_lead_idx').on(t.clinicId, t.leadId, t.createdAt),
    index('enquiries_created_idx').on(t.createdAt),
  ],
)

/** A photo sent with an enquiry: its bytes in R2 (location stripped), only its metadata here. */
export const leadPhotos = sqliteTable(
  'lead_photos',
  {
    id: id(),
    clinicId: clinicId(),
    leadId: text('lead_id').notNull(),
    enquiryId: text('enquiry_id').notNull(),
    r2Key: text('r2_key').notNull(),
    contentType: text('content_type').notNull(),
    bytes: integer('bytes').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('lead_photos_lead_idx').on(t.clinicId, t.leadId)],
)

/** A lead's timeline: each form, call, message, reply, booking and status change, by id only. */
export const leadEvents = sqliteTable(
  'lead_events',
  {
    id: id(),
    clinicId: clinicId(),
    leadId: text('lead_id').notNull(),
    kind: text('kind').notNull(),
    /** The enquiry, call, conversation or appointment id; null for a status change. */
    ref: text('ref'),
    /** JSON details without personal data (e.g. `{from, to}` of a status change). */
    details: text('details'),
    at: integer('at').notNull(),
  },
  (t) => [
    uniqueIndex('lead_events_ref_uq').on(t.clinicId, t.leadId, t.kind, t.ref),
    index('lead_events_lead_idx').on(t.clinicId, t.leadId, t.at),
  ],
)

/**
 * A booking reported to an ad platform: one per appointment and platform. The id is the event id
 * both platforms de-duplicate on, so a resend is harmless. No identifier is stored: the person's
 * email and phone are normalised and hashed at send time from the lead's sealed copies.
 */
export const conversions = sqliteTable(
  'conversions',
  {
    id: id(),
    clinicId: clinicId(),
    leadId: text('lead_id').notNull(),
    appointmentId: text('appointment_id').notNull(),
    platform: text('platform', { enum: ['google', 'meta'] }).notNull(),
    status: text('status', {
      enum: ['queued', 'sent', 'failed', 'not-sendable', 'sandboxed'],
    }).notNull(),
    /** Why it failed or cannot be sent (`older-than-7-days`, `no-destination`, an HTTP status). */
    reason: text('reason'),
    valuePence: integer('value_pence').notNull(),
    /** When the booking was made: the event's time on the platform. */
    eventAt: integer('event_at').notNull(),
    sentAt: integer('sent_at'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('conversions_booking_uq').on(t.clinicId, t.appointmentId, t.platform),
    index('conversions_list_idx').on(t.clinicId, t.createdAt),
  ],
)

/**
 * Automated messages waiting for their time (docs/AUTOMATIONS.md): appointment reminders,
 * follow-ups and automations' messages. One row per intent (`dedupe_key`), so scheduling twice
 * changes nothing; the clinic's Durable Object holds the ids and times and wakes them. The
 * recipient is kept sealed only until the row settles.
 */
export const scheduledMessages = sqliteTable(
  'scheduled_messages',
  {
    id: id(),
    clinicId: clinicId(),
    kind: text('kind', {
      enum: ['reminder', 'no-reply-check', 'enquiry-follow-up', 'automation'],
    }).notNull(),
    /** `reminder:<appointment>:<offset>`, `no-reply:<call>`, `enquiry:<lead>`, `run:<run>:<n>`. */
    dedupeKey: text('dedupe_key').notNull(),
    /** The appointment, call, lead or automation run it is about. */
    ref: text('ref').notNull(),
    recipientHash: text('recipient_hash').notNull(),
    toSealed: text('to_sealed'),
    /** An automation's own words (sealed) and purpose; null for reminders and follow-ups. */
    bodySealed: text('body_sealed'),
    purpose: text('purpose', { enum: ['service', 'marketing'] }).notNull(),
    dueAt: integer('due_at').notNull(),
    status: text('status', {
      enum: ['pending', 'sending', 'sent', 'sandboxed', 'cancelled', 'skipped', 'failed'],
    })
      .notNull()
      .default('pending'),
    /** Why it was skipped, cancelled or moved (a rule's name, never personal data). */
    reason: text('reason'),
    outboxId: text('outbox_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at'),
  },
  (t) => [
    uniqueIndex('scheduled_messages_dedupe_uq').on(t.clinicId, t.dedupeKey),
    index('scheduled_messages_due_idx').on(t.clinicId, t.status, t.dueAt),
    index('scheduled_messages_ref_idx').on(t.clinicId, t.ref),
  ],
)

/** A clinic's automation: when *trigger*, after *delay*, if *conditions*, do *actions*. */
export const automations = sqliteTable(
  'automations',
  {
    id: id(),
    clinicId: clinicId(),
    name: text('name').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    trigger: text('trigger', {
      enum: [
        'missed-call',
        'lead-created',
        'conversation-needs-human',
        'appointment-booked',
        'no-reply',
      ],
    }).notNull(),
    delayMinutes: integer('delay_minutes').notNull().default(0),
    /** JSON array of conditions (src/automations/rules.ts). */
    conditions: text('conditions').notNull().default('[]'),
    /** JSON array of actions. */
    actions: text('actions').notNull().default('[]'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at'),
  },
  (t) => [index('automations_trigger_idx').on(t.clinicId, t.trigger)],
)

/** One run of an automation for one trigger event (at most one: `event_key`), with its outcome. */
export const automationRuns = sqliteTable(
  'automation_runs',
  {
    id: id(),
    clinicId: clinicId(),
    automationId: text('automation_id').notNull(),
    /** The trigger event (`missed-call:<call id>`, …): a second delivery makes no second run. */
    eventKey: text('event_key').notNull(),
    /** JSON: the ids the event concerns (call, lead, conversation, appointment) and its channel. */
    subject: text('subject').notNull(),
    contactHash: text('contact_hash'),
    dueAt: integer('due_at').notNull(),
    status: text('status', { enum: ['scheduled', 'running', 'done', 'skipped', 'failed'] })
      .notNull()
      .default('scheduled'),
    /** JSON: the reason it was skipped, or what each action did. */
    outcome: text('outcome'),
    ranAt: integer('ran_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('automation_runs_event_uq').on(t.automationId, t.eventKey),
    index('automation_runs_list_idx').on(t.clinicId, t.automationId, t.createdAt),
  ],
)

/** Stripe webhook events already applied, by id: a redelivery changes nothing. */
export const stripeEvents = sqliteTable('stripe_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  receivedAt: integer('received_at').notNull(),
})

/**
 * Addresses Resend reported as bounced or complained (no more email from that clinic), or that
 * unsubscribed (no more optional email: marketing, the digest), by the clinic's keyed email hash.
 */
export const emailSuppressions = sqliteTable(
  'email_suppressions',
  {
    clinicId: clinicId(),
    emailHash: text('email_hash').notNull(),
    reason: text('reason', { enum: ['bounced', 'complained', 'unsubscribed'] }).notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clinicId, t.emailHash] })],
)

/** Privacy-notice versions already announced to clients (src/billing/privacy-notice.ts). */
export const platformNotices = sqliteTable('platform_notices', {
  version: text('version').primaryKey(),
  sentAt: integer('sent_at').notNull(),
  recipients: integer('recipients').notNull(),
})
