/**
 * A call's whole story for the API and the call page: its resolution, recording, the caller's
 * other calls and texts (metadata only), their conversation, and the booking it recovered.
 */
import { and, desc, eq, ne } from 'drizzle-orm'
import { loadAppointments, toView } from '../appointments/service'
import type { ClinicRow } from '../clinic/find'
import type { Db } from '../db/client'
import { calls, conversations, outboundMessages } from '../db/schema'
import { toIso, toIsoOrNull } from '../lib/time'
import type { CallRow } from './store'

/** How many of the caller's other calls and texts the story shows. */
const RELATED_LIMIT = 20

export type CallStory = Awaited<ReturnType<typeof loadCallStory>>

/** The caller's related records, each read scoped to the clinic. Withheld callers have none. */
export async function loadCallStory(db: Db, clinic: ClinicRow, call: CallRow) {
  const hash = call.callerHash
  const [otherCalls, texts, conversation, appointment] = await Promise.all([
    hash
      ? db
          .select({
            id: calls.id,
            direction: calls.direction,
            status: calls.status,
            startedAt: calls.startedAt,
            finalCallStatus: calls.finalCallStatus,
          })
          .from(calls)
          .where(
            and(eq(calls.clinicId, clinic.id), eq(calls.callerHash, hash), ne(calls.id, call.id)),
          )
          .orderBy(desc(calls.startedAt), desc(calls.id))
          .limit(RELATED_LIMIT)
      : [],
    hash
      ? db
          .select({
            id: outboundMessages.id,
            kind: outboundMessages.kind,
            channel: outboundMessages.channel,
            status: outboundMessages.status,
            toMasked: outboundMessages.toMasked,
            createdAt: outboundMessages.createdAt,
            sentAt: outboundMessages.sentAt,
          })
          .from(outboundMessages)
          .where(
            and(eq(outboundMessages.clinicId, clinic.id), eq(outboundMessages.recipientHash, hash)),
          )
          .orderBy(desc(outboundMessages.createdAt))
          .limit(RELATED_LIMIT)
      : [],
    hash
      ? db
          .select({ id: conversations.id })
          .from(conversations)
          .where(and(eq(conversations.clinicId, clinic.id), eq(conversations.contactHash, hash)))
          .orderBy(desc(conversations.lastMessageAt))
          .limit(1)
      : [],
    call.recoveredAppointmentId
      ? loadAppointments(db, clinic.id, [call.recoveredAppointmentId])
      : [],
  ])
  const booked = appointment[0] ? toView(appointment[0], clinic) : null
  return {
    resolution:
      call.resolutionOutcome && call.resolvedAt !== null
        ? { outcome: call.resolutionOutcome, at: toIso(call.resolvedAt), by: call.resolvedBy ?? '' }
        : null,
    recording:
      call.recordingKey && call.voicemailSeconds !== null
        ? { durationSeconds: call.voicemailSeconds }
        : null,
    otherCalls: otherCalls.map((o) => ({
      id: o.id,
      direction: o.direction,
      status: o.status,
      startedAt: toIso(o.startedAt),
      finalCallStatus: o.finalCallStatus,
    })),
    texts: texts.map((t) => ({
      ...t,
      createdAt: toIso(t.createdAt),
      sentAt: toIsoOrNull(t.sentAt),
    })),
    conversationId: conversation[0]?.id ?? null,
    attribution: booked
      ? {
          appointmentId: booked.id,
          path: booked.attribution.path,
          valuePence: booked.valuePence,
          explanation: booked.attribution.explanation,
        }
      : null,
  }
}
