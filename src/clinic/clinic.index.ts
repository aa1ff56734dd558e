/** Routes: clinic settings, numbers, treatments (placeholder until implemented). */
import { createRouter } from '../lib/create-app'

export const clinicRouter = createRouter()
