/**
 * Counts the D1 statements a job issues, and stops it at a budget: a Worker invocation may issue
 * at most 1,000 D1 queries, and a queue batch of ten jobs shares one invocation.
 */

export class StatementBudgetExceeded extends Error {
  override name = 'StatementBudgetExceeded'
}

const ORIGINAL = Symbol('original statement')

/** Whether `err` (or an error it wraps, as Drizzle's query errors do) is a spent budget. */
export function isBudgetExceeded(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof StatementBudgetExceeded) return true
  }
  return false
}

export type CountedD1 = {
  /** A D1Database that counts every statement it runs (each statement of a batch counts). */
  db: D1Database
  /** Statements run so far. */
  count(): number
}

/**
 * Wraps a D1 binding so every `run`/`all`/`first`/`raw` and each statement of a `batch` is
 * counted. With `limit`, a statement that would go past it throws `StatementBudgetExceeded`
 * before reaching D1, so a job interrupted by its budget has done only whole statements.
 */
export function countStatements(d1: D1Database, limit = Number.POSITIVE_INFINITY): CountedD1 {
  let n = 0
  const spend = (k: number) => {
    if (n + k > limit) throw new StatementBudgetExceeded(`budget of ${limit} statements spent`)
    n += k
  }
  const wrapStatement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        if (prop === ORIGINAL) return target
        if (prop === 'bind') return (...values: unknown[]) => wrapStatement(target.bind(...values))
        if (prop === 'run' || prop === 'all' || prop === 'first' || prop === 'raw') {
          const fn = Reflect.get(target, prop) as (...args: unknown[]) => unknown
          return (...args: unknown[]) => {
            spend(1)
            return fn.apply(target, args)
          }
        }
        const value = Reflect.get(target, prop)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  const db = new Proxy(d1, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => wrapStatement(target.prepare(query))
      if (prop === 'batch')
        return (statements: D1PreparedStatement[]) => {
          spend(statements.length)
          // The wrapped statements are proxies: hand D1 the originals it knows how to run.
          return target.batch(statements.map(unwrap))
        }
      if (prop === 'exec')
        return (query: string) => {
          spend(1)
          return target.exec(query)
        }
      const value = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { db, count: () => n }
}

function unwrap(stmt: D1PreparedStatement): D1PreparedStatement {
  return (stmt as unknown as Record<symbol, D1PreparedStatement | undefined>)[ORIGINAL] ?? stmt
}
