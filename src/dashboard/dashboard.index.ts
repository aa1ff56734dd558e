/** The clinic dashboard (placeholder until implemented). */
import { Hono } from 'hono'
import type { AppEnv } from '../lib/context'

export const dashboardRouter = new Hono<AppEnv>()
