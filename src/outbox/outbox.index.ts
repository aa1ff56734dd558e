/** Routes: the sandbox outbox (placeholder until implemented). */
import { createRouter } from '../lib/create-app'

export const outboxRouter = createRouter()
