/**
 * A conversation's priority: a score 0–100 and its reasons, from a pure function so the inbox
 * order is explainable. Red flags first, then a patient waiting on a person, then intent.
 */
export type PriorityInput = {
  status: 'ai' | 'needs-human' | 'human' | 'closed'
  /** Reasons recorded so far (`red-flag:<id>`, `needs-human:<why>`, `intent:<intent>`). */
  reasons: readonly string[]
  unreadCount: number
  /** The patient's last message, and now (ms). */
  lastInboundAt: number | null
  now: number
}

export type Priority = { score: number; reasons: string[] }

const WEIGHTS: [prefix: string, weight: number][] = [
  ['red-flag:', 60],
  ['needs-human:', 25],
  ['intent:booking', 10],
  ['intent:complaint', 10],
  ['intent:price', 5],
]

/** Score and ordered reasons (red flags first). Closed conversations score 0. */
export function priorityOf(input: PriorityInput): Priority {
  const reasons = [...new Set(input.reasons)].sort((a, b) => rank(a) - rank(b))
  if (input.status === 'closed') return { score: 0, reasons }
  let score = 0
  for (const r of reasons) score += WEIGHTS.find(([p]) => r.startsWith(p))?.[1] ?? 0
  if (input.status === 'needs-human' && !reasons.some((r) => r.startsWith('needs-human:'))) {
    score += 25
  }
  if (input.unreadCount > 0) score += 5
  // A patient waiting gains a point per 10 minutes, up to 15.
  if (input.lastInboundAt !== null && input.status !== 'ai') {
    score += Math.min(15, Math.floor(Math.max(0, input.now - input.lastInboundAt) / 600_000))
  }
  return { score: Math.max(0, Math.min(100, score)), reasons }
}

function rank(reason: string): number {
  const i = WEIGHTS.findIndex(([p]) => reason.startsWith(p.split(':')[0] ?? p))
  return i === -1 ? WEIGHTS.length : i
}

/** Stored reasons (a JSON array) → strings; anything malformed reads as none. */
export function parseReasons(stored: string | null): string[] {
  try {
    const v: unknown = JSON.parse(stored ?? '[]')
    return Array.isArray(v) ? v.filter((r): r is string => typeof r === 'string') : []
  } catch {
    return []
  }
}
