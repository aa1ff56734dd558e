/** Builds the Drizzle client for a request or job. Never a module singleton: D1 is per-invocation. */
import { drizzle } from 'drizzle-orm/d1'
import * as schema from './schema'

export type Db = ReturnType<typeof createDb>

export function createDb(d1: D1Database) {
  return drizzle(d1, { schema })
}

export { schema }
