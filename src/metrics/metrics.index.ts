/** Routes: metrics (placeholder until implemented). */
import { createRouter } from '../lib/create-app'

export const metricsRouter = createRouter()
