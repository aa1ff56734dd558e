/**
 * A D1 binding wrapped for tests: counts round trips (each `run/all/first/raw` on a statement and
 * each `batch` is one) and injects a failure when a chosen statement, matched on its SQL text, runs.
 * A failed `batch` runs none of its statements, as D1 rolls a failed batch back.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'
import { BASE } from './clinic'
import { twilioSignatureFor } from './twilio'

export type D1Probe = {
  db: D1Database
  /**
   * Round trips since the last `reset()` on the request's path: those made before the Worker
   * answered. Work it hands to `waitUntil` afterwards (attribution) is counted apart, as Twilio
   * does not wait for it.
   */
  roundTrips: number
  /** Round trips made after the response, in `waitUntil` work. */
  backgroundRoundTrips: number
  /** Called by `postTwilioWith` when the response is out: later round trips are background. */
  responded(): void
  /** The SQL of every statement run since the last `reset()`, in order. */
  statements: string[]
  /** The next time a statement whose SQL matches runs, throw instead (once). */
  failOnce(match: RegExp): void
  /** Whether the armed failure has fired. */
  fired: boolean
  reset(): void
}

const REAL = Symbol('real statement')
type Wrapped = D1PreparedStatement & { [REAL]: D1PreparedStatement; sqlText: string }

const probes = new WeakMap<D1Database, D1Probe>()

export function probeD1(real: D1Database = env.DB): D1Probe {
  let armed: RegExp | null = null
  let afterResponse = false
  const tick = () => {
    if (afterResponse) probe.backgroundRoundTrips++
    else probe.roundTrips++
  }
  const probe: D1Probe = {
    db: undefined as unknown as D1Database,
    roundTrips: 0,
    backgroundRoundTrips: 0,
    statements: [],
    fired: false,
    responded() {
      afterResponse = true
    },
    failOnce(match) {
      armed = match
      probe.fired = false
    },
    reset() {
      probe.roundTrips = 0
      probe.backgroundRoundTrips = 0
      probe.statements = []
      afterResponse = false
    },
  }
  const check = (sqlText: string) => {
    probe.statements.push(sqlText)
    if (armed?.test(sqlText)) {
      armed = null
      probe.fired = true
      throw new Error('D1_ERROR: injected failure')
    }
  }
  const wrap = (stmt: D1PreparedStatement, sqlText: string): Wrapped => {
    const once =
      <T>(run: () => Promise<T>) =>
      async () => {
        tick()
        check(sqlText)
        return run()
      }
    return {
      [REAL]: stmt,
      sqlText,
      bind: (...values: unknown[]) => wrap(stmt.bind(...values), sqlText),
      first: ((column?: string) =>
        once(() => (column ? stmt.first(column) : stmt.first()))()) as D1PreparedStatement['first'],
      run: once(() => stmt.run()) as D1PreparedStatement['run'],
      all: once(() => stmt.all()) as D1PreparedStatement['all'],
      raw: ((options?: { columnNames?: boolean }) =>
        once(() =>
          options?.columnNames ? stmt.raw({ columnNames: true }) : stmt.raw(),
        )()) as D1PreparedStatement['raw'],
    } as Wrapped
  }
  probe.db = {
    prepare: (sqlText: string) => wrap(real.prepare(sqlText), sqlText),
    batch: async (statements: D1PreparedStatement[]) => {
      tick()
      const wrapped = statements as Wrapped[]
      for (const s of wrapped) check(s.sqlText)
      return real.batch(wrapped.map((s) => s[REAL]))
    },
    exec: (query: string) => {
      tick()
      check(query)
      return real.exec(query)
    },
    dump: () => real.dump(),
    withSession: () => probe.db as unknown as D1DatabaseSession,
  } as unknown as D1Database
  probes.set(probe.db, probe)
  return probe
}

/** Sends a signed Twilio webhook to the Worker with the given D1 binding; waits for its background work. */
export async function postTwilioWith(
  db: D1Database,
  path: string,
  params: Record<string, string>,
  options: {
    idempotencyToken?: string | undefined
    signature?: string
    jobs?: Bindings['JOBS']
  } = {},
): Promise<Response> {
  const url = `${BASE}${path}`
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-twilio-signature': options.signature ?? twilioSignatureFor(url, params),
  }
  if (options.idempotencyToken) headers['i-twilio-idempotency-token'] = options.idempotencyToken
  const request = new Request(url, { method: 'POST', headers, body: new URLSearchParams(params) })
  const ctx = createExecutionContext()
  const testEnv = { ...env, DB: db, ...(options.jobs ? { JOBS: options.jobs } : {}) } as Bindings
  const res = await worker.fetch(request, testEnv, ctx)
  probes.get(db)?.responded()
  await waitOnExecutionContext(ctx)
  return res
}
