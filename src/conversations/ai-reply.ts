/**
 * The AI receptionist's turn, run by the queue for each patient message while a conversation is
 * `ai`. Delivery is at-least-once and unordered, so:
 * 1. a reply already stored for this message is only (re)sent, never generated again;
 * 2. the checks run before the model and again just before storing: still `ai`, the contact may
 *    be messaged, this is still the newest patient message, no staff reply since;
 * 3. the clinic's Durable Object hands out the turn (src/conversations/turns.ts), so two
 *    deliveries never both ask the model, and a job for an older message does nothing.
 * Red flags and every other safety rule run inside `decideReply` before any model call. A model
 * that is down is retried through the queue (honouring retry-after); a spent budget is not
 * retried; when retries run out the conversation becomes `needs-human` and staff are told.
 */

import { and, desc, eq, sql } from 'drizzle-orm'
import { raiseStaffAlert } from '../alerts/alerts'
import {
  decideReply,
  ModelBudgetError,
  ModelUnavailableError,
  type ReplyDecision,
} from '../assistant/assistant'
import { loadClinicFacts } from '../assistant/facts'
import { emitTrigger } from '../automations/engine'
import { billingPaused } from '../billing/billing.service'
import { reportUsage } from '../billing/usage'
import { findClinic } from '../clinic/find'
import { createDb, type Db } from '../db/client'
import { ownedBy } from '../db/clinic-row'
import { aiUsage, conversationMessages, conversations } from '../db/schema'
import type { Bindings, Config } from '../env'
import { type JobHandler, PermanentJobError, RetryLaterError } from '../jobs/consumer'
import { withJobIo } from '../jobs/deps'
import { type AiReplyJob, jobQueue } from '../jobs/messages'
import { ProblemError } from '../lib/problem'
import { clinicKeyring } from '../privacy/crypto'
import { contactBlock } from '../privacy/subjects'
import { type SendDeps, sendConversationMessage } from './send'
import {
  type ConversationRow,
  findConversation,
  latestTurn,
  outboundStatements,
  priorityAfter,
  WHATSAPP_WINDOW_MS,
} from './store'

/** How much of the thread the assistant reads (oldest dropped first). */
const HISTORY_LIMIT = 20

export type AiReplyDeps = SendDeps & { modelFetch?: typeof fetch }

export type AiReplyOutcome =
  | 'replied'
  | 'handed-over'
  | 'stale'
  | 'not-ai'
  | 'blocked'
  | 'staff-replied'
  | 'already-answered'
  | 'gone'

const clinicDo = (env: Bindings, clinicId: string) => env.CLINIC.getByName(clinicId)

/** Runs one `ai-reply` job. Throws RetryLaterError / PermanentJobError for the consumer. */
export const answerPatient = withJobIo<AiReplyJob, AiReplyOutcome, AiReplyDeps>(
  async (job, ctx) => {
    const { db, config, now, env, deps } = ctx

    // 1. Already answered in D1 (an earlier attempt stored the reply): finish its send only.
    const existing = await findReply(db, job)
    if (existing) {
      await sendReply(job, existing, env, deps)
      await clinicDo(env, job.clinicId).finishConversationTurn(job.conversationId, job.messageId)
      return 'already-answered'
    }

    // 2. The checks, before any model call.
    const gate = await mayAnswer(db, job, now())
    if (gate === 'paused') {
      // Payment overdue past the grace period: no automated reply, so a person must answer.
      await handOverUnanswered(job, env, now(), 'billing-paused')
      return 'handed-over'
    }
    if (gate !== 'ok') return gate

    // 3. The turn, from the clinic's Durable Object.
    const stub = clinicDo(env, job.clinicId)
    const claim = await stub.claimConversationTurn(job.conversationId, job.messageId, job.at, now())
    if (claim === 'stale') return 'stale'
    if (claim === 'answered') return 'already-answered'
    if (claim === 'busy') throw new RetryLaterError('another attempt holds this turn', 5)

    let decision: ReplyDecision
    let conversation: ConversationRow
    try {
      const found = await findConversation(db, job.clinicId, job.conversationId)
      if (!found) return 'gone'
      conversation = found
      decision = await decideReply(
        {
          facts: await loadClinicFacts(db, job.clinicId),
          history: await history(db, config, conversation),
          needsDisclosure: !conversation.aiDisclosed,
          channel: conversation.channel,
        },
        { config, ...(deps.modelFetch ? { fetch: deps.modelFetch } : {}) },
      )
    } catch (err) {
      await stub.releaseConversationTurn(job.conversationId, job.messageId)
      if (err instanceof ModelUnavailableError) {
        throw new RetryLaterError('model unavailable', err.retryAfterSeconds)
      }
      if (err instanceof ModelBudgetError) throw new PermanentJobError('model-budget-spent')
      // The clinic is gone (loadClinicFacts' 404): nothing to answer, ever.
      if (err instanceof ProblemError && err.status === 404) return 'gone'
      throw err
    }

    // 4. Checked again just before storing: a staff take-over or a STOP may have come meanwhile.
    const again = await mayAnswer(db, job, now())
    if (again !== 'ok') {
      await stub.releaseConversationTurn(job.conversationId, job.messageId)
      if (again === 'paused') {
        await handOverUnanswered(job, env, now(), 'billing-paused')
        return 'handed-over'
      }
      return again
    }
    const replyId = await storeDecision(db, config, conversation, job, decision, now())
    await stub.finishConversationTurn(job.conversationId, job.messageId)
    // One AI reply for Stripe Billing Meters (keyed by the patient message it answers).
    if (replyId) {
      await reportUsage(env, {
        clinicId: job.clinicId,
        meter: 'ai',
        identifier: `ai:${job.messageId}`,
        value: 1,
      })
    }
    if (decision.triage.handoff) {
      await needsHuman(env, db, conversation, job.messageId, now())
    }
    if (replyId) {
      await sendReply(job, replyId, env, deps)
    }
    return decision.triage.handoff ? 'handed-over' : 'replied'
  },
)

/** Sends the turn's stored reply (the same path as a `conversation-send` job). */
function sendReply(job: AiReplyJob, messageId: string, env: Bindings, deps: AiReplyDeps) {
  const { clinicId, conversationId } = job
  return sendConversationMessage(
    { type: 'conversation-send', clinicId, conversationId, messageId },
    env,
    deps,
  )
}

async function findReply(db: Db, job: AiReplyJob): Promise<string | null> {
  const [row] = await db
    .select({ id: conversationMessages.id })
    .from(conversationMessages)
    .where(
      and(
        eq(conversationMessages.clinicId, job.clinicId),
        eq(conversationMessages.dedupeKey, `ai:${job.messageId}`),
      ),
    )
    .limit(1)
  return row?.id ?? null
}

/** The rules that must hold for an automated reply now (DESIGN.md, conversations). */
async function mayAnswer(
  db: Db,
  job: AiReplyJob,
  now: number,
): Promise<'ok' | 'gone' | 'not-ai' | 'blocked' | 'stale' | 'staff-replied' | 'paused'> {
  const conversation = await findConversation(db, job.clinicId, job.conversationId)
  if (!conversation) return 'gone'
  if (conversation.status !== 'ai') return 'not-ai'
  const clinic = await findClinic(db, job.clinicId)
  if (clinic && billingPaused(clinic, now)) return 'paused'
  if (await contactBlock(db, job.clinicId, conversation.contactHash)) return 'blocked'
  if (
    conversation.channel === 'whatsapp' &&
    now - (conversation.lastInboundAt ?? 0) > WHATSAPP_WINDOW_MS
  ) {
    return 'blocked'
  }
  const turn = await latestTurn(db, job.clinicId, job.conversationId)
  if (!turn || turn.messageId !== job.messageId) return 'stale'
  return turn.staffReplied ? 'staff-replied' : 'ok'
}

/** The thread as the assistant reads it: the last HISTORY_LIMIT messages, oldest first. */
async function history(db: Db, config: Config, c: ConversationRow) {
  const m = conversationMessages
  const newest = await db
    .select({ author: m.author, bodySealed: m.bodySealed })
    .from(m)
    .where(ownedBy(m, c.clinicId, eq(m.conversationId, c.id)))
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(HISTORY_LIMIT)
  const keyring = await clinicKeyring(db, config, c.clinicId)
  const recent = newest.reverse()
  return Promise.all(
    recent.map(async (r) => ({
      author: r.author,
      body: await keyring.open(r.bodySealed).catch(() => ''),
    })),
  )
}

/**
 * Stores the turn's outcome in one batch: the triage on the patient's message, the reply and its
 * outbox row (deduplicated on the patient message), the conversation's status and priority, and
 * the month's token use. Returns the reply's id (null when there is nothing to send).
 */
async function storeDecision(
  db: Db,
  config: Config,
  c: ConversationRow,
  job: AiReplyJob,
  d: ReplyDecision,
  now: number,
): Promise<string | null> {
  const keyring = await clinicKeyring(db, config, c.clinicId)
  const reasons = [
    ...d.triage.redFlags.map((f) => `red-flag:${f}`),
    ...(d.triage.handoff ? [`needs-human:${d.triage.reason ?? 'handoff'}`] : []),
    `intent:${d.triage.intent}`,
  ]
  const status = d.triage.handoff ? 'needs-human' : c.status
  const priority = priorityAfter(c, status, reasons, now)
  const reply = d.body
    ? await outboundStatements(db, keyring, {
        conversation: c,
        author: 'ai',
        body: d.body,
        dedupeKey: `ai:${job.messageId}`,
        triage: d.triage,
        at: now,
      })
    : null
  const month = new Date(now).toISOString().slice(0, 7)
  await db.batch([
    db
      .update(conversationMessages)
      .set({ triage: JSON.stringify(d.triage) })
      .where(
        and(
          eq(conversationMessages.clinicId, c.clinicId),
          eq(conversationMessages.id, job.messageId),
        ),
      ),
    ...(reply?.statements ?? []),
    db
      .update(conversations)
      .set({
        // Only an `ai` conversation moves: a take-over that raced this write wins.
        status: sql`CASE WHEN ${conversations.status} = 'ai' THEN ${status} ELSE ${conversations.status} END`,
        priorityScore: priority.score,
        priorityReasons: JSON.stringify(priority.reasons),
        ...(reply ? { aiDisclosed: true, lastMessageAt: now } : {}),
        updatedAt: now,
      })
      .where(and(eq(conversations.clinicId, c.clinicId), eq(conversations.id, c.id))),
    db
      .insert(aiUsage)
      .values({
        clinicId: c.clinicId,
        month,
        replies: reply ? 1 : 0,
        inputTokens: d.usage?.inputTokens ?? 0,
        outputTokens: d.usage?.outputTokens ?? 0,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [aiUsage.clinicId, aiUsage.month],
        set: {
          replies: sql`${aiUsage.replies} + excluded.replies`,
          inputTokens: sql`${aiUsage.inputTokens} + excluded.input_tokens`,
          outputTokens: sql`${aiUsage.outputTokens} + excluded.output_tokens`,
          updatedAt: now,
        },
      }),
  ])
  return reply ? ((await findReply(db, job)) ?? null) : null
}

/**
 * When retries run out (or the budget is spent): the patient's message must not go unanswered
 * without a person knowing, so the conversation needs a human and staff are told.
 */
export async function handOverUnanswered(
  job: AiReplyJob,
  env: Bindings,
  now: number = Date.now(),
  reason: 'model-unavailable' | 'billing-paused' = 'model-unavailable',
) {
  const db = createDb(env.DB)
  const c = await findConversation(db, job.clinicId, job.conversationId)
  if (!c || c.status === 'closed' || c.status === 'human') return
  const priority = priorityAfter(c, 'needs-human', [`needs-human:${reason}`], now)
  await db
    .update(conversations)
    .set({
      status: 'needs-human',
      priorityScore: priority.score,
      priorityReasons: JSON.stringify(priority.reasons),
      updatedAt: now,
    })
    .where(and(eq(conversations.clinicId, c.clinicId), eq(conversations.id, c.id)))
  await needsHuman(env, db, c, job.messageId, now)
}

/** A conversation now waits on a person: staff are alerted and `conversation-needs-human` automations run. */
async function needsHuman(
  env: Bindings,
  db: Db,
  c: ConversationRow,
  messageId: string,
  at: number,
) {
  await raiseStaffAlert(env, { clinicId: c.clinicId, kind: 'needs-human', ref: c.id, at })
  await emitTrigger(env, db, {
    clinicId: c.clinicId,
    trigger: 'conversation-needs-human',
    // One run per hand-over, keyed by the patient message it happened on.
    key: messageId,
    at,
    contactHash: c.contactHash,
    subject: { conversationId: c.id, channel: c.channel },
  })
}

/** Queues the AI's turn for a patient message. */
export async function queueAiReply(env: Bindings, job: Omit<AiReplyJob, 'type'>): Promise<void> {
  await jobQueue(env).send({ type: 'ai-reply', ...job })
}

/** The queue handler for `ai-reply` jobs. */
export function createAiReplyHandler(deps: AiReplyDeps = {}): JobHandler<AiReplyJob> {
  return {
    run: (job, env) => answerPatient(job, env, deps),
    deadLetter: (job, env) => handOverUnanswered(job, env, (deps.now ?? Date.now)()),
  }
}
