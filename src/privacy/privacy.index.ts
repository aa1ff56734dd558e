/** Routes: privacy requests, purges, audit (placeholder until implemented). */
import { createRouter } from '../lib/create-app'

export const privacyRouter = createRouter()
