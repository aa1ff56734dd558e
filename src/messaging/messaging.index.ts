/**
 * Twilio messaging webhooks, mounted at /webhooks/twilio/messaging behind `verifyTwilio`.
 *
 * - `POST /` — an inbound SMS (or WhatsApp, `From: whatsapp:+44…`). Records consent keywords
 *   (STOP/START…), stores the message sealed under a hashed sender, recognises a reply to a
 *   text-back (a recovery touch for attribution), files it in the sender's conversation and,
 *   while the AI has that conversation, queues its reply. Answers an empty `<Response/>` at once.
 * - `POST /status` — delivery status of a message we sent, applied monotonically.
 *
 * Both are idempotent on Twilio's `I-Twilio-Idempotency-Token` and a natural key. The marks are
 * written after the work (src/twilio/webhook.ts): a delivery that failed half-way is redone when
 * Twilio retries it, and every write here is safe to redo.
 */
import { and, desc, eq, gte, inArray, isNull, or, sql } from 'drizzle-orm'
import { Hono } from 'hono'
import { queueAttribution } from '../attribution/notify'
import { audit } from '../audit/audit'
import { readLine } from '../calls/lines'
import { emptyTwiml, twimlResponse } from '../calls/twiml'
import { queueAiReply } from '../conversations/ai-reply'
import { type Joined, joinStatements } from '../conversations/store'
import { ownedBy } from '../db/clinic-row'
import { calls, inboundMessages, optOuts, outboundMessages } from '../db/schema'
import { leadTouchStatements } from '../leads/leads.service'
import { idempotencyKey, newId } from '../lib/ids'
import { badRequest } from '../lib/problem'
import { DAY_MS } from '../lib/time'
import { normalisePhone, parseCaller, stripChannelPrefix } from '../phone/phone'
import { clinicKeyring, contactHash } from '../privacy/crypto'
import { isTwilioSid } from '../twilio/sid'
import { deliveryKeys, markDelivered, seenDeliveries, type TwilioEnv } from '../twilio/webhook'
import { consentKeyword } from './keywords'
import { fromTwilioStatus, nextOutboundStatus, type OutboundStatus } from './status'

/** A message within this long of a text-back we sent the same person counts as a reply to it. */
export const TEXT_BACK_REPLY_WINDOW_MS = 14 * DAY_MS

/**
 * Outbox statuses of a text-back that really left (Twilio accepted it). One kept in the sandbox
 * outbox, still queued, or failed reached nobody, so a message after it is no reply to it.
 */
const TEXT_BACK_SENT: OutboundStatus[] = ['sent', 'delivered']

/** The empty TwiML answer: nothing is sent back to the sender. */
function twiml(): Response {
  return twimlResponse(emptyTwiml())
}

export const messagingWebhooks = new Hono<TwilioEnv>()

messagingWebhooks.post('/', async (c) => {
  const p = c.var.twilioParams
  const messageSid = p.get('MessageSid') ?? p.get('SmsSid') ?? ''
  const rawFrom = p.get('From') ?? ''
  const rawTo = p.get('To') ?? ''
  if (!isTwilioSid(messageSid) || !rawFrom || !rawTo) {
    throw badRequest('MessageSid, From and To are required.')
  }
  const { db, config } = c.var

  const to = stripChannelPrefix(rawTo)
  const toE164 = normalisePhone(to.address)?.e164 ?? to.address
  const line = await readLine(db, toE164)
  // Not one of our numbers: nothing to record, and nothing to tell the sender.
  if (!line) return twiml()
  const clinicId = line.clinic.id

  const from = stripChannelPrefix(rawFrom)
  const sender = parseCaller(from.address, line.clinic.country)
  // A short code or alphanumeric sender cannot be hashed as a person or replied to.
  if (sender.kind !== 'number') return twiml()

  const keys = deliveryKeys(
    c.req.header('i-twilio-idempotency-token'),
    idempotencyKey('sms-in', clinicId, messageSid),
    'twilio-idem:',
  )
  if ((await seenDeliveries(db, keys)).length > 0) return twiml()

  const receivedAt = Date.now()
  const body = p.get('Body') ?? ''
  const senderHash = await contactHash(config, clinicId, sender.e164)
  const consent = consentKeyword(body)

  // A reply to our text-back is a recovery touch; a consent command is not a conversation.
  let inReplyToCallId: string | null = null
  if (!consent) {
    const [textBack] = await db
      .select({ callId: outboundMessages.callId })
      .from(outboundMessages)
      .where(
        ownedBy(
          outboundMessages,
          clinicId,
          eq(outboundMessages.recipientHash, senderHash),
          eq(outboundMessages.kind, 'text-back'),
          inArray(outboundMessages.status, TEXT_BACK_SENT),
          gte(outboundMessages.sentAt, receivedAt - TEXT_BACK_REPLY_WINDOW_MS),
        ),
      )
      .orderBy(desc(outboundMessages.sentAt))
      .limit(1)
    inReplyToCallId = textBack?.callId ?? null
  }

  const keyring = await clinicKeyring(db, config, clinicId)
  const newMessageId = newId('msg', receivedAt)
  // The message and its consent change in one batch (one transaction): either both are stored or
  // neither. The consent change is guarded on THIS attempt's message row, so a redone delivery
  // whose message an earlier attempt already stored does not apply its keyword a second time
  // (which could undo a later START/STOP from the same person).
  const insertMessage = db
    .insert(inboundMessages)
    .values({
      id: newMessageId,
      clinicId,
      messageSid,
      channel: from.channel,
      senderHash,
      bodySealed: body ? await keyring.seal(body) : null,
      receivedAt,
      inReplyToCallId,
    })
    .onConflictDoNothing()
  const readBack = db
    .select({
      id: inboundMessages.id,
      receivedAt: inboundMessages.receivedAt,
      inReplyToCallId: inboundMessages.inReplyToCallId,
    })
    .from(inboundMessages)
    .where(and(eq(inboundMessages.clinicId, clinicId), eq(inboundMessages.messageSid, messageSid)))
    .limit(1)
  // Every message, consent keywords included, joins the sender's conversation (visible to staff),
  // in the same batch.
  const join = await joinStatements(db, keyring, {
    consent: consent?.action ?? null,
    clinicId,
    channel: from.channel,
    contactHash: senderHash,
    contactE164: sender.e164,
    trackingNumberId: line.trackingNumberId,
    messageSid,
    body,
    at: receivedAt,
  })
  // The sender's lead (if a form made one) is touched by the message, in the same batch.
  const touch = leadTouchStatements(db, {
    clinicId,
    contactHash: senderHash,
    kind: from.channel,
    ref: messageSid,
    at: receivedAt,
  })
  const [, stored, ...rest] = consent
    ? await db.batch([
        insertMessage,
        readBack,
        db
          .insert(optOuts)
          // opt_outs' columns in table order: clinic_id, contact_hash, opted_out, keyword, updated_at.
          .select(
            sql`SELECT ${clinicId}, ${senderHash}, ${consent.action === 'opt-out' ? 1 : 0}, ${consent.keyword}, ${receivedAt}
              WHERE EXISTS (SELECT 1 FROM ${inboundMessages} WHERE ${inboundMessages.id} = ${newMessageId})`,
          )
          .onConflictDoUpdate({
            target: [optOuts.clinicId, optOuts.contactHash],
            set: {
              optedOut: sql`excluded.opted_out`,
              keyword: sql`excluded.keyword`,
              updatedAt: sql`excluded.updated_at`,
            },
          }),
        ...touch,
        ...join,
      ])
    : await db.batch([insertMessage, readBack, ...touch, ...join])
  const message = stored[0]
  // The join's read-back is the batch's last result.
  const joined = (rest.at(-1) as Joined[] | undefined)?.[0]
  if (!message || !joined) throw new Error('inbound message not stored')
  const messageId = message.id

  if (consent) {
    // A consent record for the audit trail: the message id and keyword, never the number.
    await audit(c.env, clinicId, {
      actor: 'twilio:messaging',
      action: consent.action === 'opt-out' ? 'messaging.opt-out' : 'messaging.opt-in',
      target: messageId,
      details: { channel: from.channel, keyword: consent.keyword },
      at: message.receivedAt,
    })
    await markDelivered(db, clinicId, keys)
    return twiml()
  }

  if (message.inReplyToCallId) {
    // Stored above with inReplyToCallId, so re-settling the clinic can always recover the touch.
    await queueAttribution(
      c.env,
      clinicId,
      { kind: 'text-back-reply', messageId, callerHash: senderHash, at: message.receivedAt },
      { afterResponse: c.var.afterResponse },
    )
  }

  // While the AI has the conversation, its turn is queued (before the delivery mark: a crash
  // here redoes the delivery, and the job's turn check makes a second queueing harmless).
  if (joined.status === 'ai') {
    await queueAiReply(c.env, {
      clinicId,
      conversationId: joined.conversationId,
      messageId: joined.messageId,
      at: joined.at,
    })
  }
  await markDelivered(db, clinicId, keys)
  return twiml()
})

messagingWebhooks.post('/status', async (c) => {
  const p = c.var.twilioParams
  const messageSid = p.get('MessageSid') ?? p.get('SmsSid') ?? ''
  const rawStatus = p.get('MessageStatus') ?? p.get('SmsStatus') ?? ''
  if (!isTwilioSid(messageSid) || !rawStatus) {
    throw badRequest('MessageSid and MessageStatus are required.')
  }
  const incoming = fromTwilioStatus(rawStatus)
  // A status we do not track (e.g. `receiving`): acknowledged, nothing to change.
  if (!incoming) return twiml()
  const { db } = c.var

  // The outbox id in the callback URL finds a row whose send crashed before its sid was saved.
  const outboxId = c.req.query('ob')
  const bySid = outboxId
    ? and(
        eq(outboundMessages.id, outboxId),
        or(eq(outboundMessages.providerSid, messageSid), isNull(outboundMessages.providerSid)),
      )
    : eq(outboundMessages.providerSid, messageSid)
  const load = async () => {
    const [found] = await db
      .select({
        id: outboundMessages.id,
        clinicId: outboundMessages.clinicId,
        status: outboundMessages.status,
        providerSid: outboundMessages.providerSid,
        kind: outboundMessages.kind,
        callId: outboundMessages.callId,
      })
      .from(outboundMessages)
      .where(bySid)
      .limit(1)
    return found
  }
  let row = await load()
  if (!row) return twiml()

  const keys = deliveryKeys(
    c.req.header('i-twilio-idempotency-token'),
    idempotencyKey('sms-status', messageSid, rawStatus.toLowerCase()),
    'twilio-idem:',
  )
  if ((await seenDeliveries(db, keys)).length > 0) return twiml()
  const clinicId = row.clinicId

  const errorCode = p.get('ErrorCode')
  const lastError = errorCode && /^\d{1,10}$/.test(errorCode) ? `twilio-${errorCode}` : null
  // Compare-and-set on the status read: two callbacks racing each re-read and re-decide, so the
  // row still only moves forward.
  for (let attempt = 0; row && attempt < 3; attempt++, row = await load()) {
    const now = Date.now()
    const next = nextOutboundStatus(row.status as OutboundStatus, incoming)
    const statusChanged = next !== row.status
    const needsSid = row.providerSid === null
    if (!statusChanged && !needsSid) break
    // The send crashed after Twilio took it: this callback is the first news of it reaching Twilio.
    const recoveredSend = needsSid && (row.status === 'sending' || row.status === 'queued')

    const updated = await db
      .update(outboundMessages)
      .set({
        status: next,
        providerSid: messageSid,
        ...(statusChanged && lastError ? { lastError } : {}),
        ...(recoveredSend ? { sentAt: now } : {}),
        updatedAt: now,
      })
      .where(
        and(
          eq(outboundMessages.clinicId, row.clinicId),
          eq(outboundMessages.id, row.id),
          eq(outboundMessages.status, row.status),
          bySid,
        ),
      )
      .returning({ id: outboundMessages.id })
    if (updated.length === 0) continue

    if (row.kind === 'text-back' && row.callId) {
      const byCall = and(eq(calls.clinicId, row.clinicId), eq(calls.id, row.callId))
      if (recoveredSend && next !== 'failed' && next !== 'undelivered') {
        await db
          .update(calls)
          .set({
            textBackStatus: 'sent',
            textBackReason: null,
            textedBackAt: sql`COALESCE(${calls.textedBackAt}, ${now})`,
            updatedAt: now,
          })
          .where(byCall)
      }
      // A text-back that never reached the phone is not a text-back: show it failed on the call.
      if (statusChanged && (next === 'failed' || next === 'undelivered')) {
        await db.update(calls).set({ textBackStatus: 'failed', updatedAt: now }).where(byCall)
      }
    }
    break
  }
  // Marked after the change (the write above is a compare-and-set, safe to redo).
  await markDelivered(db, clinicId, keys)
  return twiml()
})
