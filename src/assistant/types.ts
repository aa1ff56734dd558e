/** The assistant's contract types (re-exported by ./assistant.ts, where callers import them). */
import type { ClinicFacts } from './facts'
import type { Intent } from './safety'

/** Where the conversation happens; the prompt words replies for it. */
export type AssistantChannel = 'sms' | 'whatsapp' | 'web'

/** One message of the conversation as the assistant sees it (bodies already unsealed). */
export type HistoryMessage = { author: 'patient' | 'ai' | 'staff' | 'system'; body: string }

/** What the assistant is asked to answer: the clinic's facts and the conversation so far. */
export type AssistantTurn = {
  facts: ClinicFacts
  /** Oldest first; the patient's messages after the last non-patient message are the turn. */
  history: HistoryMessage[]
  /** True until the conversation's first AI message has gone out. */
  needsDisclosure: boolean
  channel: AssistantChannel
}

/** How a patient's turn was read: stored on the messages, shown to staff. */
export type Triage = {
  intent: Intent
  /** Red-flag ids (src/assistant/safety.ts RED_FLAG_IDS), empty when none. */
  redFlags: string[]
  /** True: a member of the team must take over (the conversation becomes `needs-human`). */
  handoff: boolean
  /** Why it was handed over (`red-flag:<id>`, `clinical`, `unsafe-reply:<check>`…); no personal data. */
  reason: string | null
}

/** The assistant's answer: the reply to send (null: nothing to send), its triage and token use. */
export type ReplyDecision = {
  body: string | null
  triage: Triage
  /** Tokens the model used; null when no model was called (rules, sandbox). */
  usage: { inputTokens: number; outputTokens: number } | null
}
