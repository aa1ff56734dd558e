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

/** What `withJobIo` hands a handler: the job's io, and the env and deps it was called with. */
export type JobContext = ReturnType<typeof jobIo> & { env: Bindings; deps: JobDeps }

/**
 * A job handler that talks to outside services, callable as `(job, env, deps?)`: `run` gets the
 * job and its context (D1, configuration and clock from `deps` where a test gave them).
 */
export function withJobIo<J, R, D extends JobDeps = JobDeps>(
  run: (job: J, ctx: JobContext & { deps: D }) => Promise<R>,
): (job: J, env: Bindings, deps?: D) => Promise<R> {
  return (job, env, deps = {} as D) => run(job, { ...jobIo(env, deps), env, deps })
}
