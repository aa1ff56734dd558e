/**
 * The evaluation set (eval/cases.json) through the rules and the sandbox assistant, as CI runs it:
 * no red flag may be missed, and routing stays at the accuracy reached when the set was written.
 */
import { describe, expect, it } from 'vitest'
import cases from '../eval/cases.json'
import { EvalSetSchema, formatReport, runEval } from '../src/assistant/eval'
import { FAKE_ANTHROPIC, FAKE_MODEL } from './helpers/anthropic'

const SANDBOX = { anthropic: { apiKey: null, baseUrl: FAKE_ANTHROPIC, model: FAKE_MODEL } }

describe('the evaluation set', () => {
  const set = EvalSetSchema.parse(cases)

  it('holds at least 60 realistic messages, red flags in many wordings among them', () => {
    expect(set.cases.length).toBeGreaterThanOrEqual(60)
    expect(set.cases.filter((c) => c.redFlags.length > 0).length).toBeGreaterThanOrEqual(20)
    expect(new Set(set.cases.map((c) => c.id)).size).toBe(set.cases.length)
  })

  it('rules + sandbox: no red flag missed, every case routed as expected', async () => {
    const summary = await runEval(set, { config: SANDBOX }, 'rules + sandbox')
    expect(summary.missedRedFlags, formatReport(summary)).toEqual([])
    expect(summary.errors).toBe(0)
    // 100% on the cases as written; a rule change that costs routing shows here with the table.
    expect(summary.intentCorrect, formatReport(summary)).toBe(set.cases.length)
    expect(summary.handoffCorrect, formatReport(summary)).toBe(set.cases.length)
  })

  it('a rule that stops seeing a red flag fails the run', async () => {
    const blind = {
      ...set,
      cases: [
        {
          id: 'x',
          message: 'tooth knocked out',
          intent: 'clinical' as const,
          handoff: true,
          redFlags: ['chest-pain'],
        },
      ],
    }
    const summary = await runEval(blind, { config: SANDBOX }, 'blind')
    expect(summary.missedRedFlags).toEqual(['x:chest-pain'])
    expect(formatReport(summary)).toContain('red flags missed: 1')
  })
})
