import { and, asc, eq } from 'drizzle-orm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { answerPatient } from '../src/conversations/ai-reply'
import { replyAsStaff, setConversationStatus } from '../src/conversations/conversations.service'
import { conversationMessages } from '../src/db/schema'
import type { AiReplyJob } from '../src/jobs/messages'
import { createTestClinic } from './helpers/clinic'
import { patientWrites } from './helpers/conversations'
import { captureQueue } from './helpers/queue'
import { db } from './textback-delivery.fixtures'

type Event =
  | { kind: 'patient' }
  | { kind: 'staff' }
  | { kind: 'status'; status: 'ai' | 'human' | 'closed' }
  | { kind: 'deliver'; pick: number }

const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'patient' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'staff' } as const) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('ai', 'human', 'closed')
      .map((status) => ({ kind: 'status', status }) as const),
  },
  { weight: 4, arbitrary: fc.nat(50).map((pick) => ({ kind: 'deliver', pick }) as const) },
)

describe('conversation turns under any interleaving', () => {
  it('at most one AI reply per patient turn, and none while a person has the conversation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 12 }), async (events) => {
        const clinic = await createTestClinic()
        const staff = await clinic.as('receptionist')
        const queue = captureQueue()
        let clock = Date.UTC(2026, 10, 23, 10, 0)
        // Jobs ever queued (kept: a delivered job may be delivered again).
        const jobs: AiReplyJob[] = []
        let conversationId: string | null = null
        // The model: who has the conversation, and the newest patient message.
        let status: 'ai' | 'human' | 'closed' | 'needs-human' = 'ai'
        let latest: string | null = null
        let staffSinceLatest = false
        for (const e of events) {
          clock += 1000
          if (e.kind === 'patient') {
            const job = await patientWrites(clinic, `Message at ${clock}`, clock)
            conversationId = job.conversationId
            jobs.push(job)
            latest = job.messageId
            staffSinceLatest = false
            if (status === 'closed') status = 'ai'
          } else if (!conversationId) {
          } else if (e.kind === 'staff') {
            await replyAsStaff(
              queue.env,
              {
                clinicId: clinic.clinicId,
                conversationId,
                userId: staff.userId,
                body: 'Staff here',
              },
              clock,
            )
            status = 'human'
            staffSinceLatest = true
          } else if (e.kind === 'status') {
            await setConversationStatus(
              queue.env,
              { clinicId: clinic.clinicId, conversationId, status: e.status, userId: staff.userId },
              clock,
            )
            status = e.status
          } else {
            for (const j of queue.pending.splice(0)) if (j.type === 'ai-reply') jobs.push(j)
            const job = jobs[e.pick % Math.max(1, jobs.length)]
            if (!job) continue
            const outcome = await answerPatient(job, queue.env, { now: () => clock })
            if (outcome === 'replied' || outcome === 'handed-over') {
              // It answered: then it was the AI's conversation, the newest message, no staff since.
              expect(status).toBe('ai')
              expect(job.messageId).toBe(latest)
              expect(staffSinceLatest).toBe(false)
              if (outcome === 'handed-over') status = 'needs-human'
            }
          }
        }
        if (!conversationId) return
        const rows = await db
          .select()
          .from(conversationMessages)
          .where(
            and(
              eq(conversationMessages.clinicId, clinic.clinicId),
              eq(conversationMessages.conversationId, conversationId),
            ),
          )
          .orderBy(asc(conversationMessages.createdAt), asc(conversationMessages.id))
        // Between two patient messages, at most one AI message.
        let aiInTurn = 0
        for (const r of rows) {
          if (r.author === 'patient') aiInTurn = 0
          if (r.author === 'ai') expect(++aiInTurn).toBe(1)
        }
        // And never two AI messages for one patient message.
        const keys = rows.filter((r) => r.author === 'ai').map((r) => r.dedupeKey)
        expect(new Set(keys).size).toBe(keys.length)
      }),
      { numRuns: 25 },
    )
  })
})
