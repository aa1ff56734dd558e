/**
 * What a job that talks to an outside service needs, and how tests replace it: the configuration
 * (e.g. Twilio pointed at a local fake), the fetch that reaches the service, and the clock.
 */
import { createDb, type Db } from '../db/client'
import { type Bindings, type Config, getConfig } from '../env'

export type JobDeps = { fetch?: typeof fetch; now?: () => number; config?: Config }

/** The job's D1, configuration and clock, from `deps` where a test gave them. */
export function jobIo(env: Bindings, deps: JobDeps): { db: Db; config: Config; now: () => number } {
  return { db: createDb(env.DB), config: deps.config ?? getConfig(env), now: deps.now ?? Date.now }
}
