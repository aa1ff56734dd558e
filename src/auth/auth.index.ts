/** Routes: signup, login, logout, me, api-keys, users (placeholder until implemented). */
import { createRouter } from '../lib/create-app'

export const authRouter = createRouter()
