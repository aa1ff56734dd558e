/**
 * The AI receptionist's one entry point, `decideReply`: red flags by rules first (fixed reply, no
 * model), then the sandbox (no key) or Anthropic's Messages API; every reply checked before use.
 */
import Anthropic, { APIConnectionError, APIError } from '@anthropic-ai/sdk'
import type { Config } from '../env'
import { logError, logWarn } from '../lib/logger'
import { ModelReplySchema, REPLY_TOOL, systemPrompt, transcript } from './prompt'
import {
  CLINICAL_HOLDING_REPLY,
  checkReply,
  classifyIntent,
  detectRedFlags,
  disclosureLine,
  HOLDING_REPLY,
  type Intent,
  RED_FLAG_REPLY,
} from './safety'
import { sandboxReply } from './sandbox'
import type { AssistantTurn, HistoryMessage, ReplyDecision } from './types'

export type { ClinicFacts } from './facts'
export type { Intent } from './safety'
export type {
  AssistantChannel,
  AssistantTurn,
  HistoryMessage,
  ReplyDecision,
  Triage,
} from './types'

/** The model could not answer now (429, 529, 5xx, network): retry later, honouring `retryAfterSeconds`. */
export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError'
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
  }
}

/** The account's budget or credit is spent: retrying will not help, a human must answer. */
export class ModelBudgetError extends Error {
  override name = 'ModelBudgetError'
}

export type AssistantDeps = {
  config: Pick<Config, 'anthropic'>
  /** The fetch the SDK uses (tests inject a fake Anthropic); defaults to the global one. */
  fetch?: typeof fetch
}

/** The model's answer tokens: one short SMS-sized reply and the routing fields. */
const MAX_OUTPUT_TOKENS = 400
/** One attempt's limit; the queue retries (the SDK's own retries are off). */
const MODEL_TIMEOUT_MS = 25_000

/**
 * The patient's latest turn: their messages after the last message from anyone else, joined.
 * Earlier turns were answered (or handed over) already.
 */
export function latestPatientTurn(history: HistoryMessage[]): string {
  const turn: string[] = []
  for (let i = history.length - 1; i >= 0 && history[i]?.author === 'patient'; i--) {
    turn.unshift(history[i]?.body ?? '')
  }
  return turn.join('\n').trim()
}

/**
 * Decides the reply to a conversation's latest patient turn. Red flags (by rules) → the fixed
 * RED_FLAG_REPLY and a hand-over, with no model call; no key → the sandbox; else the model.
 * Every reply passes `checkReply`, or the patient gets a holding reply and a human takes over.
 * Throws ModelUnavailableError (retry) or ModelBudgetError (do not retry).
 */
export async function decideReply(
  turn: AssistantTurn,
  deps: AssistantDeps,
): Promise<ReplyDecision> {
  const latest = latestPatientTurn(turn.history)
  if (latest === '') {
    return {
      body: null,
      triage: { intent: 'other', redFlags: [], handoff: false, reason: null },
      usage: null,
    }
  }
  const redFlags = detectRedFlags(latest)
  if (redFlags.length > 0) {
    // RED_FLAG_REPLY discloses itself, so it goes alone, word for word, even as a first message.
    return {
      body: RED_FLAG_REPLY,
      triage: { intent: 'clinical', redFlags, handoff: true, reason: `red-flag:${redFlags[0]}` },
      usage: null,
    }
  }
  const decision =
    deps.config.anthropic.apiKey === null
      ? { ...checked(sandboxReply(latest, turn.facts), turn), usage: null }
      : await modelReply(turn, deps.config.anthropic.apiKey, deps)
  return withDisclosure(decision, turn)
}

/** Prepends the disclosure line to the conversation's first AI message. */
function withDisclosure(decision: ReplyDecision, turn: AssistantTurn): ReplyDecision {
  if (!turn.needsDisclosure || decision.body === null) return decision
  return { ...decision, body: `${disclosureLine(turn.facts.clinicName)}\n${decision.body}` }
}

/** The safe holding reply for a hand-over (the clinical one for clinical questions). */
function holdingReply(intent: Intent): string {
  return intent === 'clinical' ? CLINICAL_HOLDING_REPLY : HOLDING_REPLY
}

/** Runs `checkReply` on a proposed reply; a failing one becomes the holding reply and a hand-over. */
function checked(
  proposed: Omit<ReplyDecision, 'usage'>,
  turn: AssistantTurn,
): Omit<ReplyDecision, 'usage'> {
  if (proposed.body === null) return proposed
  const check = checkReply(proposed.body, turn.facts)
  if (check.ok) return proposed
  return {
    body: holdingReply(proposed.triage.intent),
    triage: {
      ...proposed.triage,
      handoff: true,
      reason: proposed.triage.reason ?? `unsafe-reply:${check.reason}`,
    },
  }
}

/** Intents that always go to a human, whatever the model says. */
const ALWAYS_HANDED_OVER: ReadonlySet<Intent> = new Set(['clinical', 'complaint', 'cancel'])

async function modelReply(
  turn: AssistantTurn,
  apiKey: string,
  deps: AssistantDeps,
): Promise<ReplyDecision> {
  const client = new Anthropic({
    apiKey,
    baseURL: deps.config.anthropic.baseUrl,
    maxRetries: 0,
    timeout: MODEL_TIMEOUT_MS,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  })
  let response: Anthropic.Message
  try {
    response = await client.messages.create({
      model: deps.config.anthropic.model,
      max_tokens: MAX_OUTPUT_TOKENS,
      system: systemPrompt(turn.facts, turn.channel),
      messages: [{ role: 'user', content: transcript(turn.history) }],
      tools: [REPLY_TOOL],
      tool_choice: { type: 'tool', name: REPLY_TOOL.name },
    })
  } catch (err) {
    return refusedOrThrow(err, turn)
  }
  const usage = {
    inputTokens: response.usage?.input_tokens ?? 0,
    outputTokens: response.usage?.output_tokens ?? 0,
  }
  const call = response.content.find((b) => b.type === 'tool_use' && b.name === REPLY_TOOL.name)
  const parsed = ModelReplySchema.safeParse(call && 'input' in call ? call.input : undefined)
  if (!parsed.success) {
    logWarn('model output invalid', { stopReason: response.stop_reason ?? null })
    const intent = classifyIntent(latestPatientTurn(turn.history))
    return {
      body: holdingReply(intent),
      triage: { intent, redFlags: [], handoff: true, reason: 'invalid-model-output' },
      usage,
    }
  }
  const { intent, reply, handoffReason } = parsed.data
  const handoff = parsed.data.handoff || ALWAYS_HANDED_OVER.has(intent)
  const proposed = {
    body: reply.trim() === '' ? holdingReply(intent) : reply.trim(),
    triage: { intent, redFlags: [], handoff, reason: handoff ? (handoffReason ?? intent) : null },
  }
  return { ...checked(proposed, turn), usage }
}

/** A spent budget: billing errors, 402, spend-limit codes, and the 400 "credit balance is too low". */
function isBudgetError(err: APIError): boolean {
  if (err.type === 'billing_error' || err.status === 402) return true
  if (err.errorCode !== null && /spend_limit|billing/.test(err.errorCode)) return true
  return err.status === 400 && /credit balance|budget|spend limit/i.test(err.apiMessage ?? '')
}

/** Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date), within 1 s–1 h. */
function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN)
  const raw = headers?.get('retry-after') ?? null
  let seconds = Number.isFinite(ms) ? ms / 1000 : Number(raw ?? Number.NaN)
  if (!Number.isFinite(seconds) && raw !== null) seconds = (Date.parse(raw) - Date.now()) / 1000
  if (!Number.isFinite(seconds)) return undefined
  return Math.min(3600, Math.max(1, Math.ceil(seconds)))
}

/**
 * Maps a failed model call: retryable failures and spent budgets throw for the queue to handle;
 * a request the API refuses for good (bad key, bad request) hands the conversation to a human.
 */
function refusedOrThrow(err: unknown, turn: AssistantTurn): ReplyDecision {
  if (!(err instanceof APIError)) {
    // Not an answer from the API (a bug, a runtime limit): retried like an outage, but logged.
    logError('model call failed', err)
    throw new ModelUnavailableError('Model call failed')
  }
  if (err instanceof APIConnectionError || err.status === undefined) {
    throw new ModelUnavailableError('Model unreachable')
  }
  const status = err.status
  if (isBudgetError(err)) throw new ModelBudgetError(`Model budget spent (status ${status})`)
  if (status === 408 || status === 409 || status === 429 || status >= 500) {
    throw new ModelUnavailableError(
      `Model unavailable (status ${status})`,
      retryAfterSeconds(err.headers),
    )
  }
  logWarn('model request refused', { status, errorType: err.type ?? null })
  const intent = classifyIntent(latestPatientTurn(turn.history))
  return {
    body: holdingReply(intent),
    triage: { intent, redFlags: [], handoff: true, reason: `model-refused:${status}` },
    usage: null,
  }
}
