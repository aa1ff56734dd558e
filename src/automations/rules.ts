/**
 * The rules every automated message obeys, as plain functions (no I/O), checked before any send:
 * quiet hours in the clinic's local time (daylight saving right), service versus marketing
 * (PECR: marketing needs consent and an opt-out line), STOP / restriction / objection, and the
 * weekly cap on follow-ups. Also the automations' conditions and their description in words.
 * Property-tested in test/automations.property.test.ts.
 */
import { z } from '@hono/zod-openapi'
import { isOpenAt, type OpeningHours } from '../assistant/facts'
import { DAY_MS } from '../lib/time'
import { wallClockAt, zonedTimeToUtc } from '../metrics/local-time'

/** `HH:MM`, 00:00–23:59. */
export const ClockTimeSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A time like 20:00')
  .openapi({ example: '20:00' })

export type QuietHours = { start: string; end: string }

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** Local minute of the day at `at` in `timezone`. */
function localMinute(at: number, timezone: string): number {
  const w = wallClockAt(at, timezone)
  return w.hour * 60 + w.minute
}

/**
 * Whether `at` falls inside the quiet hours, local time: from `start` (included) to `end`
 * (excluded), across midnight when `end` is earlier. Equal start and end: no quiet hours.
 * @example inQuietHours(Date.parse('2026-07-01T20:30:00Z'), {start: '20:00', end: '08:00'}, 'Europe/London') // true (21:30 BST)
 */
export function inQuietHours(at: number, quiet: QuietHours, timezone: string): boolean {
  const start = minutesOf(quiet.start)
  const end = minutesOf(quiet.end)
  if (start === end) return false
  const m = localMinute(at, timezone)
  return start < end ? m >= start && m < end : m >= start || m < end
}

/**
 * The first instant at or after `at` outside the quiet hours: `at` itself when it is outside,
 * else the next local `end` (a spring-forward gap takes the instant the clocks jumped to).
 */
export function nextSendableAt(at: number, quiet: QuietHours, timezone: string): number {
  if (!inQuietHours(at, quiet, timezone)) return at
  const end = minutesOf(quiet.end)
  // The quiet end is today's or tomorrow's local `end`, whichever is the first after `at`.
  for (const dayOffset of [0, 1, 2]) {
    const w = wallClockAt(at + dayOffset * DAY_MS, timezone)
    const candidate = zonedTimeToUtc(
      { year: w.year, month: w.month, day: w.day, hour: Math.floor(end / 60), minute: end % 60 },
      timezone,
    )
    if (candidate > at && !inQuietHours(candidate, quiet, timezone)) return candidate
  }
  // Unreachable for a well-formed window; never send inside one.
  return at + DAY_MS
}

export type Purpose = 'service' | 'marketing'

/** What an automated message is: its kind, and for an automation's template its declared purpose. */
export type AutomatedMessage =
  | { kind: 'reminder' }
  | { kind: 'no-reply-follow-up' }
  | { kind: 'enquiry-follow-up' }
  | { kind: 'automation'; declared: Purpose }

/**
 * Service or marketing (PECR): a reminder of a booked appointment and one follow-up to someone who
 * contacted the clinic and got no answer are service messages; following up an enquiry that did
 * not book is promotion; an automation's template is what the clinic declared, and a declared
 * marketing message never becomes service.
 */
export function purposeOf(m: AutomatedMessage): Purpose {
  switch (m.kind) {
    case 'reminder':
    case 'no-reply-follow-up':
      return 'service'
    case 'enquiry-follow-up':
      return 'marketing'
    case 'automation':
      return m.declared
  }
}

/** The opt-out line every marketing message carries. */
export const OPT_OUT_LINE = 'Reply STOP to opt out.'

/** The words as sent: marketing gets the opt-out line if it does not already say STOP. */
export function withOptOutLine(body: string, purpose: Purpose): string {
  if (purpose !== 'marketing' || /\bSTOP\b/.test(body)) return body
  return `${body.trimEnd()} ${OPT_OUT_LINE}`
}

export type SendFacts = {
  purpose: Purpose
  /** From contactBlock: STOP, restriction or objection; null when the contact may be messaged. */
  block: string | null
  /** The clinic's payment is overdue past the grace period: automated messages pause. */
  paused?: boolean
  /** The person chose marketing messages (a form's consent). */
  marketingConsent: boolean
  /** Automated follow-ups to this contact in the last 7 days (reminders do not count). */
  followUpsThisWeek: number
  /** The clinic's cap per contact per week; null: not a follow-up (reminders). */
  weeklyCap: number | null
  now: number
  quiet: QuietHours
  timezone: string
}

export type SendDecision =
  | { action: 'send' }
  | { action: 'wait'; until: number }
  | { action: 'skip'; reason: string }

/**
 * Whether an automated message goes now, waits for the quiet hours to end, or never goes.
 * Blocks and consent first (they never change by waiting), then the cap, then the clock.
 */
export function decideAutomatedSend(f: SendFacts): SendDecision {
  if (f.block) return { action: 'skip', reason: f.block }
  if (f.paused) return { action: 'skip', reason: 'billing-paused' }
  if (f.purpose === 'marketing' && !f.marketingConsent) {
    return { action: 'skip', reason: 'no-marketing-consent' }
  }
  if (f.weeklyCap !== null && f.followUpsThisWeek >= f.weeklyCap) {
    return { action: 'skip', reason: 'weekly-cap' }
  }
  const at = nextSendableAt(f.now, f.quiet, f.timezone)
  return at > f.now ? { action: 'wait', until: at } : { action: 'send' }
}

export const WEEK_MS = 7 * DAY_MS

// ---------------------------------------------------------------------------------------------
// Automations: triggers, conditions and actions.

export const TRIGGERS = [
  'missed-call',
  'lead-created',
  'conversation-needs-human',
  'appointment-booked',
  'no-reply',
] as const
export type Trigger = (typeof TRIGGERS)[number]

export const CHANNELS = ['call', 'sms', 'whatsapp', 'web', 'form'] as const

export const ConditionSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('channel'), in: z.array(z.enum(CHANNELS)).min(1) }),
    z.object({ type: z.literal('treatment'), contains: z.string().trim().min(1).max(80) }),
    z.object({ type: z.literal('lead-score'), atLeast: z.number().int().min(0).max(100) }),
    z.object({ type: z.literal('opening-hours'), open: z.boolean() }),
    z.object({ type: z.literal('time-between'), from: ClockTimeSchema, to: ClockTimeSchema }),
    z.object({ type: z.literal('first-time-caller'), value: z.boolean() }),
  ])
  .openapi('AutomationCondition', {
    description:
      '`channel` (the event came by call, sms, whatsapp, web chat or a form), `treatment` (what they asked about contains the words), `lead-score` (their lead priority is at least), `opening-hours` (the event happened while the clinic was open, or closed), `time-between` (local time of the event, across midnight when `to` is earlier), `first-time-caller` (no earlier call from the number).',
  })
export type Condition = z.infer<typeof ConditionSchema>

export const ActionSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('send-template'),
      template: z.string().trim().min(1).max(306),
      purpose: z.enum(['service', 'marketing']).default('service'),
    }),
    z.object({ type: z.literal('notify-staff') }),
    z.object({ type: z.literal('assign'), userId: z.string().min(1).max(64) }),
    z.object({
      type: z.literal('set-lead-status'),
      status: z.enum(['new', 'contacted', 'booked', 'lost']),
    }),
  ])
  .openapi('AutomationAction', {
    description:
      '`send-template` (an SMS to the person, `{clinic}` replaced by the clinic name; quiet hours, STOP and consent apply; marketing needs marketing consent and gets an opt-out line), `notify-staff` (in the staff alert digest), `assign` (the conversation, else the lead, to a member), `set-lead-status`.',
  })
export type Action = z.infer<typeof ActionSchema>

/** What is known about a trigger event when its automation runs. */
export type EventFacts = {
  channel: (typeof CHANNELS)[number] | null
  treatment: string | null
  leadScore: number | null
  at: number
  timezone: string
  openingHours: OpeningHours | null
  firstTimeCaller: boolean | null
}

/** The first condition that does not hold (its type), or null when all hold. */
export function failedCondition(conditions: readonly Condition[], f: EventFacts): string | null {
  for (const c of conditions) {
    if (!holds(c, f)) return c.type
  }
  return null
}

function holds(c: Condition, f: EventFacts): boolean {
  switch (c.type) {
    case 'channel':
      return f.channel !== null && c.in.includes(f.channel)
    case 'treatment':
      return f.treatment?.toLowerCase().includes(c.contains.toLowerCase()) === true
    case 'lead-score':
      return f.leadScore !== null && f.leadScore >= c.atLeast
    case 'opening-hours':
      return isOpenAt(f.openingHours, f.timezone, f.at) === c.open
    case 'time-between':
      // The window is "quiet hours" in reverse: from (included) to (excluded), across midnight.
      return inQuietHours(f.at, { start: c.from, end: c.to }, f.timezone)
    case 'first-time-caller':
      return f.firstTimeCaller === c.value
  }
}

const TRIGGER_WORDS: Record<Trigger, string> = {
  'missed-call': 'a missed call comes in',
  'lead-created': 'a new lead arrives',
  'conversation-needs-human': 'a conversation needs a person',
  'appointment-booked': 'an appointment is booked',
  'no-reply': 'a texted-back caller has not replied',
}

const CHANNEL_WORDS: Record<(typeof CHANNELS)[number], string> = {
  call: 'a call',
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  web: 'web chat',
  form: 'a website form',
}

function conditionWords(c: Condition): string {
  switch (c.type) {
    case 'channel':
      return `it came by ${c.in.map((x) => CHANNEL_WORDS[x]).join(' or ')}`
    case 'treatment':
      return `they asked about “${c.contains}”`
    case 'lead-score':
      return `their lead score is ${c.atLeast} or more`
    case 'opening-hours':
      return c.open ? 'during opening hours' : 'outside opening hours'
    case 'time-between':
      return `between ${c.from} and ${c.to}`
    case 'first-time-caller':
      return c.value ? 'from a first-time caller' : 'from someone who has called before'
  }
}

function actionWords(a: Action): string {
  switch (a.type) {
    case 'send-template':
      return `text them${a.purpose === 'marketing' ? ' (marketing: only with consent, with an opt-out line)' : ''}: “${a.template}”`
    case 'notify-staff':
      return 'notify reception'
    case 'assign':
      return 'assign it to a team member'
    case 'set-lead-status':
      return `mark the lead ${a.status}`
  }
}

const DURATION = (minutes: number) =>
  minutes % 1440 === 0
    ? `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`
    : minutes % 60 === 0
      ? `${minutes / 60} hour${minutes === 60 ? '' : 's'}`
      : `${minutes} minute${minutes === 1 ? '' : 's'}`

/**
 * The automation in one sentence, for the dashboard's preview.
 * @example describeAutomation({trigger: 'missed-call', delayMinutes: 5, conditions: [{type: 'opening-hours', open: true}], actions: [{type: 'notify-staff'}]})
 * // 'When a missed call comes in during opening hours, wait 5 minutes, then notify reception.'
 */
export function describeAutomation(a: {
  trigger: Trigger
  delayMinutes: number
  conditions: readonly Condition[]
  actions: readonly Action[]
}): string {
  const hours = a.conditions.filter((c) => c.type === 'opening-hours' || c.type === 'time-between')
  const others = a.conditions.filter((c) => c.type !== 'opening-hours' && c.type !== 'time-between')
  const when = [TRIGGER_WORDS[a.trigger], ...hours.map(conditionWords)].join(' ')
  const iff = others.length ? `, if ${others.map(conditionWords).join(' and ')}` : ''
  const wait = a.delayMinutes > 0 ? `, wait ${DURATION(a.delayMinutes)}` : ''
  const then = a.actions.length ? a.actions.map(actionWords).join(', then ') : 'do nothing'
  return `When ${when}${iff}${wait}, then ${then}.`
}
