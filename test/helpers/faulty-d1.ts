/**
 * A D1 binding that fails on purpose: batches containing a statement whose SQL matches a pattern
 * throw, a given number of times, then everything passes through to the real database. For
 * proving that a half-done write is repaired.
 */

export type FaultyD1 = { db: D1Database; failures: () => number }

/** Wraps `real` so the next `times` batches with a statement matching `pattern` throw. */
export function failBatchesMatching(real: D1Database, pattern: RegExp, times = 1): FaultyD1 {
  const sqlOf = new WeakMap<object, string>()
  let left = times
  let failed = 0
  const tag = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    sqlOf.set(statement, sql)
    const bind = statement.bind.bind(statement)
    statement.bind = (...values: unknown[]) => tag(bind(...values), sql)
    return statement
  }
  const db = new Proxy(real, {
    get(target, property) {
      if (property === 'prepare') return (sql: string) => tag(target.prepare(sql), sql)
      if (property === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          if (left > 0 && statements.some((s) => pattern.test(sqlOf.get(s) ?? ''))) {
            left--
            failed++
            throw new Error('D1_ERROR: injected failure')
          }
          return target.batch(statements)
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { db, failures: () => failed }
}

/** Matches the D1 write of an attribution decision (src/attribution/outcomes.ts). */
export const ATTRIBUTION_WRITE = /UPDATE appointments\s+SET attribution_status/
