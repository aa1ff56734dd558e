/** Routes: appointments (placeholder until implemented). */
import { createRouter } from '../lib/create-app'

export const appointmentsRouter = createRouter()
