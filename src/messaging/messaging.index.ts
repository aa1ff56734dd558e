/** Twilio messaging webhooks (placeholder until implemented). */
import { Hono } from 'hono'
import type { TwilioEnv } from '../twilio/webhook'

export const messagingWebhooks = new Hono<TwilioEnv>()
