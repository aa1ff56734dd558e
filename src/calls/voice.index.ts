/** Twilio voice webhooks (placeholder until implemented). */
import { Hono } from 'hono'
import type { TwilioEnv } from '../twilio/webhook'

export const voiceWebhooks = new Hono<TwilioEnv>()
