/**
 * How urgently a lead wants a person: a score from 0 to 100 with the reasons that make it up,
 * from a pure function of what the lead did and when. The list sorts on it; the page shows the
 * reasons in words (`priorityReasonWords`).
 */

export type LeadSignals = {
  status: 'new' | 'contacted' | 'booked' | 'lost'
  /** The latest form kind or channel: `book-call`, `enquiry`, `scorecard`, `guide`, `chat`, `call`, `sms`, `whatsapp`. */
  lastKind: string
  /** The value of the treatment they asked about, when known. */
  treatmentValuePence: number | null
  lastInteractionAt: number
  /** When staff last answered them; null while never. */
  lastReplyAt: number | null
  hasPhone: boolean
  now: number
}

export type Priority = { score: number; reasons: string[] }

const HOUR = 3_600_000

/** Points for what the latest touch says about intent. */
const INTENT: Record<string, [number, string]> = {
  'book-call': [35, 'asked-for-a-call'],
  call: [30, 'called'],
  sms: [25, 'messaged'],
  whatsapp: [25, 'messaged'],
  chat: [25, 'messaged'],
  enquiry: [25, 'enquired'],
  scorecard: [10, 'used-the-scorecard'],
  guide: [5, 'downloaded-a-guide'],
}

/** The lead's priority now. Booked and lost leads need nobody: 0. */
export function leadPriority(s: LeadSignals): Priority {
  if (s.status === 'booked' || s.status === 'lost') return { score: 0, reasons: [s.status] }
  let score = 0
  const reasons: string[] = []
  const add = (points: number, reason: string) => {
    score += points
    reasons.push(reason)
  }
  const intent = INTENT[s.lastKind]
  if (intent) add(...intent)
  if (s.treatmentValuePence !== null && s.treatmentValuePence >= 100_000) {
    add(20, 'high-value-treatment')
  } else if (s.treatmentValuePence !== null && s.treatmentValuePence >= 30_000) {
    add(10, 'treatment-value')
  }
  const age = Math.max(0, s.now - s.lastInteractionAt)
  if (age < HOUR) add(25, 'in-the-last-hour')
  else if (age < 24 * HOUR) add(15, 'today')
  else if (age < 7 * 24 * HOUR) add(5, 'this-week')
  const unanswered = s.lastReplyAt === null || s.lastReplyAt < s.lastInteractionAt
  if (unanswered && age >= 2 * HOUR) add(15, 'waiting-for-a-reply')
  else if (unanswered) add(10, 'not-answered-yet')
  if (s.hasPhone) add(5, 'can-be-called')
  return { score: Math.min(100, score), reasons }
}

const WORDS: Record<string, string> = {
  booked: 'Booked',
  lost: 'Marked lost',
  'asked-for-a-call': 'Asked for a call',
  called: 'Called the clinic',
  messaged: 'Sent a message',
  enquired: 'Sent an enquiry',
  'used-the-scorecard': 'Used the scorecard',
  'downloaded-a-guide': 'Downloaded a guide',
  'high-value-treatment': 'High-value treatment',
  'treatment-value': 'Valuable treatment',
  'in-the-last-hour': 'In the last hour',
  today: 'Today',
  'this-week': 'This week',
  'waiting-for-a-reply': 'Waiting over 2 hours for a reply',
  'not-answered-yet': 'Not answered yet',
  'can-be-called': 'Has a phone number',
}

/** A reason in words for the dashboard. */
export function priorityReasonWords(reason: string): string {
  return WORDS[reason] ?? reason
}
