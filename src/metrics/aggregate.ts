/**
 * Metrics maths as pure functions: bucket calls and appointments into the clinic's local days,
 * sum days into months, take medians, and compare hold-out with text-back recovery.
 *
 * Bucketing (documented in docs/METRICS.md terms, kept here next to the code):
 * - Call counts, callbacks, text-backs, median callback seconds and the hold-out cohorts are
 *   bucketed by the local day the missed/inbound call STARTED ringing: a rate's numerator and
 *   denominator must be the same calls.
 * - Recovered appointments and recovered revenue are bucketed by the local day the appointment
 *   was BOOKED (t_A): that is when the revenue was won.
 */
import { localDateOf } from './local-time'

/** One inbound call as the roll-up reads it from D1 (no caller identity needed). */
export type MetricCall = {
  startedAt: number
  status: 'ringing' | 'answered' | 'missed' | 'voicemail'
  calledBackAt: number | null
  textBackStatus: string
  textedBackAt: number | null
  recoveredAppointmentId: string | null
}

/** One recovered appointment as the roll-up reads it. */
export type MetricAppointment = { createdAt: number; valuePence: number }

/** The counts the API shows of a day, a month or any range of days. */
export const SHOWN_COUNTS = [
  'inboundCalls',
  'missedCalls',
  'answeredCalls',
  'voicemails',
  'callbacks',
  'textBacks',
  'recoveredAppointments',
  'recoveredRevenuePence',
] as const

/** The counts a day stores (table daily_metrics) and a range sums: the shown ones and the cohorts'. */
export const DAY_COUNTS = [
  ...SHOWN_COUNTS,
  'heldOutMissedCalls',
  'heldOutRecovered',
  'textBackMissedCalls',
  'textBackRecovered',
] as const

export type DayCount = (typeof DAY_COUNTS)[number]

/** A stored day, without its keys: the counts, and every callback's seconds (for the median). */
export type DayAggregate = Record<DayCount, number> & { callbackSeconds: number[] }

export function emptyDay(): DayAggregate {
  const counts = Object.fromEntries(DAY_COUNTS.map((k) => [k, 0])) as Record<DayCount, number>
  return { ...counts, callbackSeconds: [] }
}

/**
 * The text-back cohort of the hold-out comparison: missed calls whose text-back was sent or is on
 * its way (queued). A text-back kept in the sandbox outbox is `suppressed` on the call
 * (src/textback/deliver.ts): nobody was texted, so it is in neither cohort nor the count.
 */
function inTextBackCohort(call: MetricCall): boolean {
  return (
    call.textedBackAt !== null || call.textBackStatus === 'sent' || call.textBackStatus === 'queued'
  )
}

/** `textBacks` counts text-backs that really went out: Twilio took them and none failed since. */
function textBackSent(call: MetricCall): boolean {
  return call.textBackStatus === 'sent'
}

/** Aggregates calls and recovered appointments into the given local dates (others are ignored). */
export function aggregateDays(
  dates: readonly string[],
  timeZone: string,
  calls: readonly MetricCall[],
  recovered: readonly MetricAppointment[],
): Map<string, DayAggregate> {
  const days = new Map<string, DayAggregate>(dates.map((d) => [d, emptyDay()]))
  for (const call of calls) {
    const day = days.get(localDateOf(call.startedAt, timeZone))
    if (!day) continue
    day.inboundCalls++
    if (call.status === 'answered') day.answeredCalls++
    if (call.status !== 'missed' && call.status !== 'voicemail') continue
    day.missedCalls++
    if (call.status === 'voicemail') day.voicemails++
    if (call.calledBackAt !== null && call.calledBackAt >= call.startedAt) {
      day.callbacks++
      day.callbackSeconds.push(Math.round((call.calledBackAt - call.startedAt) / 1000))
    }
    const recoveredCall = call.recoveredAppointmentId !== null
    if (call.textBackStatus === 'held-out') {
      day.heldOutMissedCalls++
      if (recoveredCall) day.heldOutRecovered++
    } else if (inTextBackCohort(call)) {
      if (textBackSent(call)) day.textBacks++
      day.textBackMissedCalls++
      if (recoveredCall) day.textBackRecovered++
    }
  }
  for (const appointment of recovered) {
    const day = days.get(localDateOf(appointment.createdAt, timeZone))
    if (!day) continue
    day.recoveredAppointments++
    day.recoveredRevenuePence += appointment.valuePence
  }
  for (const day of days.values()) day.callbackSeconds.sort((a, b) => a - b)
  return days
}

/** Sums days (e.g. a month's); callback seconds are pooled so the month's median is exact. */
export function sumDays(days: readonly DayAggregate[]): DayAggregate {
  const total = emptyDay()
  for (const d of days) {
    for (const k of DAY_COUNTS) total[k] += d[k]
    total.callbackSeconds.push(...d.callbackSeconds)
  }
  total.callbackSeconds.sort((a, b) => a - b)
  return total
}

/** The median (mean of the middle two for an even count), or null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2)
}

export type HoldOutSummary = {
  textBackMissedCalls: number
  textBackRecovered: number
  heldOutMissedCalls: number
  heldOutRecovered: number
  /** Recovered ÷ missed among calls that got a text-back (0–1), null with no such calls. */
  textBackRecoveryRate: number | null
  /** Recovered ÷ missed among calls held out of text-backs (0–1), null with no such calls. */
  heldOutRecoveryRate: number | null
  /** (textBackRecoveryRate − heldOutRecoveryRate) × 100, null unless both rates exist. */
  upliftPercentagePoints: number | null
}

const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 10_000) / 10_000)

export function holdOutSummary(day: DayAggregate): HoldOutSummary {
  const textBackRecoveryRate = rate(day.textBackRecovered, day.textBackMissedCalls)
  const heldOutRecoveryRate = rate(day.heldOutRecovered, day.heldOutMissedCalls)
  return {
    textBackMissedCalls: day.textBackMissedCalls,
    textBackRecovered: day.textBackRecovered,
    heldOutMissedCalls: day.heldOutMissedCalls,
    heldOutRecovered: day.heldOutRecovered,
    textBackRecoveryRate,
    heldOutRecoveryRate,
    upliftPercentagePoints:
      textBackRecoveryRate === null || heldOutRecoveryRate === null
        ? null
        : Math.round((textBackRecoveryRate - heldOutRecoveryRate) * 10_000) / 100,
  }
}
