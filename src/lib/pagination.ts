/**
 * Keyset pagination: lists answer `{items, nextCursor}` and accept `limit` (1–500, default 50)
 * and an opaque `cursor` that encodes the sort key of the last row seen.
 */
import { z } from '@hono/zod-openapi'
import { badRequest } from './problem'

export const LimitSchema = z.coerce.number().int().min(1).max(500).default(50)
export const CursorSchema = z.string().max(200).optional()

/** The query of a list route that takes nothing but a page: `limit` and `cursor`. */
export const PageQuerySchema = z.object({ limit: LimitSchema, cursor: CursorSchema })

export type Cursor = { t: number; id: string }

export function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.t, cursor.id]))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

export function decodeCursor(raw: string | undefined): Cursor | null {
  if (!raw) return null
  try {
    const json = atob(raw.replace(/-/g, '+').replace(/_/g, '/'))
    const parsed = JSON.parse(json)
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
      return { t: parsed[0], id: parsed[1] }
    }
  } catch {
    // fall through
  }
  throw badRequest('The cursor is not valid.', [{ path: 'cursor', message: 'Invalid cursor' }])
}

/** Given `limit + 1` rows, returns the page and the cursor for the next one. */
export function paginate<T>(rows: T[], limit: number, key: (row: T) => Cursor) {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  const nextCursor = rows.length > limit && last ? encodeCursor(key(last)) : null
  return { items, nextCursor }
}
