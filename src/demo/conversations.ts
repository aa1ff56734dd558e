/**
 * The demo clinic's inbox: a few conversations made through the real engine (the webhook's join,
 * the AI's turn with the sandbox assistant, a staff reply), so `npm run dev` opens on an inbox
 * that shows each state — answered by the AI, a red flag waiting on a person, taken over by staff.
 */
import { answerPatient } from '../conversations/ai-reply'
import { replyAsStaff } from '../conversations/conversations.service'
import { joinConversation } from '../conversations/store'
import type { Db } from '../db/client'
import { type Bindings, getConfig } from '../env'
import { contactHash } from '../privacy/crypto'

const MINUTE = 60_000

const DEMO_CONVERSATIONS = [
  {
    from: '+447700900201',
    body: 'Hi, do you have any Invisalign consultations next week?',
    minutesAgo: 95,
  },
  {
    from: '+447700900202',
    body: 'My face has swollen up since my extraction yesterday and I have a fever',
    minutesAgo: 40,
  },
  {
    from: '+447700900203',
    body: 'Can I move my hygienist appointment to Friday afternoon?',
    minutesAgo: 15,
    staffReply: 'Hi, this is reception — Friday 2:30pm is free. Shall I move you to then?',
  },
] as const

export async function seedDemoConversations(
  env: Bindings,
  db: Db,
  clinic: { id: string; trackingNumberId: string; ownerId: string },
  now: number,
): Promise<number> {
  const config = getConfig(env)
  for (const [i, c] of DEMO_CONVERSATIONS.entries()) {
    const at = now - c.minutesAgo * MINUTE
    const joined = await joinConversation(db, config, {
      clinicId: clinic.id,
      channel: 'sms',
      contactHash: await contactHash(config, clinic.id, c.from),
      contactE164: c.from,
      trackingNumberId: clinic.trackingNumberId,
      messageSid: `SMdemo${String(i).padStart(28, '0')}`,
      body: c.body,
      at,
    })
    if ('staffReply' in c) {
      await replyAsStaff(
        env,
        {
          clinicId: clinic.id,
          conversationId: joined.conversationId,
          userId: clinic.ownerId,
          body: c.staffReply,
        },
        at + 4 * MINUTE,
      )
    } else {
      await answerPatient({ type: 'ai-reply', clinicId: clinic.id, ...joined }, env, {
        now: () => at + 1000,
      })
    }
  }
  return DEMO_CONVERSATIONS.length
}
