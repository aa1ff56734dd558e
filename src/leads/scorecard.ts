/**
 * The missed-call revenue scorecard: from three answers about a clinic's phones, what missed calls
 * cost it a month and how much of that a fast text-back could win back. Pure, so the figure shown
 * at once, the one emailed and the tests agree. Every assumption is named here with its source;
 * change one and the estimate changes everywhere.
 */

export type ScorecardAnswers = {
  callsPerWeek: number
  answerRatePercent: number
  averageValuePence: number
}

export type ScorecardResult = {
  missedCallsPerMonth: number
  lostRevenuePencePerMonth: number
  recoverableRevenuePencePerMonth: number
}

/** Weeks in an average month: 52 weeks over 12 months. */
export const WEEKS_PER_MONTH = 52 / 12

/**
 * Share of calls to a clinic's booking line that come from someone who wants an appointment
 * (the rest: existing patients' questions, suppliers, sales). Assumption: a conservative half,
 * below what clinics using Ringback see in their call notes; stated on the scorecard page.
 */
export const BOOKING_INTENT_SHARE = 0.5

/**
 * Share of missed would-be patients who do not call back but ring another clinic. Source: the
 * product brief (README, "most missed callers ring the next clinic"); published small-business
 * call surveys put it between about 60% and 85%, so 0.75 sits inside that range.
 */
export const NO_CALL_BACK_SHARE = 0.75

/**
 * Share of those lost callers a text-back within seconds wins back. Assumption: Ringback's target,
 * checked per clinic by the hold-out comparison (docs/METRICS.md); deliberately below the share
 * of missed callers who reply to a text-back in the demo data.
 */
export const RECOVERABLE_SHARE = 0.4

/** The estimate for a clinic's answers (answers already validated: non-negative, rate 0–100). */
export function estimateMissedCallRevenue(a: ScorecardAnswers): ScorecardResult {
  const missedPerMonth = a.callsPerWeek * (1 - a.answerRatePercent / 100) * WEEKS_PER_MONTH
  const lostPatients = missedPerMonth * BOOKING_INTENT_SHARE * NO_CALL_BACK_SHARE
  const lost = lostPatients * a.averageValuePence
  return {
    missedCallsPerMonth: Math.round(missedPerMonth),
    lostRevenuePencePerMonth: Math.round(lost),
    recoverableRevenuePencePerMonth: Math.round(lost * RECOVERABLE_SHARE),
  }
}
