/**
 * Work over many values in bounded pieces: D1 binds at most 100 parameters per statement, and one
 * Durable Object RPC should carry a bounded payload.
 */

/** `items` in consecutive slices of at most `size` (none for no items). */
export function* slices<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size)
}

/** The IN-list size that keeps a clinic-scoped `inArray` query under D1's 100 bound parameters. */
export const IN_LIST_MAX = 90
