/** Development-only routes: the demo seed (placeholder until implemented). */
import { Hono } from 'hono'
import type { AppEnv } from '../lib/context'

export const demoRouter = new Hono<AppEnv>()
