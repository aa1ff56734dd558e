/** Routes: calls list and callbacks (placeholder until implemented). */
import { createRouter } from '../lib/create-app'

export const callsRouter = createRouter()
