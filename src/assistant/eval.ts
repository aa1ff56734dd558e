/**
 * The receptionist's evaluation: runs eval/cases.json through `decideReply` (sandbox or model),
 * scores routing against the expected intent, hand-over and red flags, and prints a confusion
 * table. Shared by `npm run eval` (scripts/eval.mjs) and the workers test.
 */
import { z } from 'zod'
import { DEFAULT_ANTHROPIC_MODEL } from '../env'
import { type AssistantDeps, decideReply } from './assistant'
import { OpeningHoursSchema } from './facts'
import { INTENTS, type Intent, RED_FLAG_IDS, RED_FLAG_REPLY } from './safety'
import type { AssistantTurn, ReplyDecision } from './types'

export { DEFAULT_ANTHROPIC_MODEL, decideReply }

const EvalCaseSchema = z.object({
  id: z.string().min(1),
  message: z.string().min(1),
  intent: z.enum(INTENTS),
  handoff: z.boolean(),
  redFlags: z.array(z.enum(RED_FLAG_IDS as [string, ...string[]])),
  /** Earlier messages of the conversation, oldest first (optional). */
  history: z
    .array(z.object({ author: z.enum(['patient', 'ai', 'staff', 'system']), body: z.string() }))
    .optional(),
})
export type EvalCase = z.infer<typeof EvalCaseSchema>

/** The cases file: the clinic's facts the cases are answered from, and the cases. */
export const EvalSetSchema = z.object({
  facts: z.object({
    clinicName: z.string(),
    timezone: z.string(),
    address: z.string().nullable(),
    openingHours: OpeningHoursSchema.nullable(),
    bookingUrl: z.string().nullable(),
    treatments: z.array(z.object({ name: z.string(), valuePence: z.number().int() })),
  }),
  cases: z.array(EvalCaseSchema).min(1),
})
export type EvalSet = z.infer<typeof EvalSetSchema>

export type EvalRow = {
  case: EvalCase
  decision: ReplyDecision | null
  /** The error's class name when the assistant threw (model unavailable, budget…). */
  error: string | null
  /** Expected red-flag ids the assistant did not raise (or raised without the fixed reply). */
  missedRedFlags: string[]
}

export type EvalSummary = {
  label: string
  rows: EvalRow[]
  /** `caseId:flagId` for every missed red flag: any one fails the run. */
  missedRedFlags: string[]
  /** Cases with no expected red flag that raised one (allowed: rules lean to false positives). */
  falseRedFlags: string[]
  intentCorrect: number
  handoffCorrect: number
  errors: number
  /** confusion[expected][actual] = count. */
  confusion: Record<Intent, Record<Intent, number>>
}

/** The turn a case asks about: its history, then the patient's message. */
function turnOf(set: EvalSet, c: EvalCase): AssistantTurn {
  return {
    facts: set.facts,
    history: [...(c.history ?? []), { author: 'patient', body: c.message }],
    needsDisclosure: false,
    channel: 'sms',
  }
}

/** Runs every case through `decideReply` with `deps` (a few at a time) and scores the routing. */
export async function runEval(
  set: EvalSet,
  deps: AssistantDeps,
  label: string,
  concurrency = 4,
): Promise<EvalSummary> {
  const rows: EvalRow[] = new Array(set.cases.length)
  let next = 0
  const worker = async () => {
    while (next < set.cases.length) {
      const index = next++
      const c = set.cases[index] as EvalCase
      try {
        const decision = await decideReply(turnOf(set, c), deps)
        const raised = new Set(decision.triage.redFlags)
        const fixedReply = decision.body === RED_FLAG_REPLY
        const missed = c.redFlags.filter((id) => !raised.has(id) || !fixedReply)
        rows[index] = { case: c, decision, error: null, missedRedFlags: missed }
      } catch (err) {
        const error = err instanceof Error ? err.name : 'Error'
        rows[index] = { case: c, decision: null, error, missedRedFlags: [...c.redFlags] }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  const confusion = Object.fromEntries(
    INTENTS.map((e) => [e, Object.fromEntries(INTENTS.map((a) => [a, 0]))]),
  ) as EvalSummary['confusion']
  let intentCorrect = 0
  let handoffCorrect = 0
  for (const row of rows) {
    if (!row.decision) continue
    const { intent, handoff } = row.decision.triage
    confusion[row.case.intent][intent]++
    if (intent === row.case.intent) intentCorrect++
    if (handoff === row.case.handoff) handoffCorrect++
  }
  return {
    label,
    rows,
    missedRedFlags: rows.flatMap((r) => r.missedRedFlags.map((id) => `${r.case.id}:${id}`)),
    falseRedFlags: rows
      .filter((r) => r.case.redFlags.length === 0 && (r.decision?.triage.redFlags.length ?? 0) > 0)
      .map((r) => `${r.case.id}:${r.decision?.triage.redFlags.join('+')}`),
    intentCorrect,
    handoffCorrect,
    errors: rows.filter((r) => r.error !== null).length,
    confusion,
  }
}

const SHORT: Record<Intent, string> = {
  booking: 'book',
  price: 'price',
  hours: 'hours',
  location: 'loc',
  clinical: 'clin',
  complaint: 'compl',
  cancel: 'cancel',
  other: 'other',
}

function percent(n: number, of: number): string {
  return of === 0 ? '—' : `${Math.round((n / of) * 100)}%`
}

/** The summary as text: scores, the confusion table (rows expected, columns actual), misses. */
export function formatReport(summary: EvalSummary): string {
  const total = summary.rows.length
  const answered = total - summary.errors
  const width = 8
  const cell = (s: string) => s.padStart(width)
  const header = `${'expected ↓'.padEnd(12)}${INTENTS.map((i) => cell(SHORT[i])).join('')}`
  const lines = INTENTS.map(
    (e) =>
      `${SHORT[e].padEnd(12)}${INTENTS.map((a) => cell(String(summary.confusion[e][a] || '·'))).join('')}`,
  )
  const wrong = summary.rows
    .filter((r) => r.decision && r.decision.triage.intent !== r.case.intent)
    .map((r) => `  ${r.case.id}: expected ${r.case.intent}, got ${r.decision?.triage.intent}`)
  const redFlagCases = summary.rows.filter((r) => r.case.redFlags.length > 0).length
  return [
    `== ${summary.label}: ${total} cases ==`,
    `intent   ${summary.intentCorrect}/${answered} (${percent(summary.intentCorrect, answered)})`,
    `hand-off ${summary.handoffCorrect}/${answered} (${percent(summary.handoffCorrect, answered)})`,
    `red flags missed: ${summary.missedRedFlags.length} of ${redFlagCases} red-flag cases${summary.missedRedFlags.length ? ` → ${summary.missedRedFlags.join(', ')}` : ''}`,
    `red flags raised on other cases (allowed): ${summary.falseRedFlags.length ? summary.falseRedFlags.join(', ') : 'none'}`,
    `errors: ${summary.errors}`,
    '',
    'confusion (rows: expected intent, columns: actual)',
    header,
    ...lines,
    ...(wrong.length ? ['', 'intent differs:', ...wrong] : []),
  ].join('\n')
}
