/**
 * Retention rules as plain data: which cut-off applies to which kind of data for a clinic at a
 * given moment. No I/O and no clock (pass `nowMs`), so the rules are tested for every input.
 * The purge (src/privacy/purge.ts) turns these cut-offs into chunked deletes.
 */
import { DAY_MS } from '../lib/time'

/** The ceilings in DESIGN.md "Privacy model": a clinic may only set its periods lower. */
export const MAX_CALL_DAYS = 90
export const MAX_RECORDING_DAYS = 365
export const MAX_ENQUIRY_DAYS = 730
/** Marketing attribution (UTM, click ids): 2 years. */
export const ATTRIBUTION_DAYS = 730
/** Audit log: 7 years (a record of who did what with personal data must outlive the data). */
export const AUDIT_YEARS = 7
/**
 * Purge receipts (purge_runs): 7 years, like the audit log. They are the proof that personal data
 * was deleted on time (a regulator may ask years later, and the audit log points at them), and
 * hold only job names, cut-offs and counts, so keeping them longer costs no one's privacy. With
 * one summary line per clinic and day when nothing is due, that is about 2,600 small rows per
 * clinic. A deleted clinic's receipts stay until the same age: they are its proof of deletion.
 */
export const PURGE_RECEIPT_YEARS = 7
/**
 * Dead-letter records (job_failures): 90 days after the last failure, like call data, because the
 * calls and runs they point at are gone by then. They hold ids and counts only.
 */
export const JOB_FAILURE_DAYS = 90
/** A terminated clinic's data: 6 months after its contract ends. */
export const TERMINATION_GRACE_MONTHS = 6

export type RetentionSettings = {
  retentionCallDays: number
  retentionRecordingDays: number
  retentionEnquiryDays: number
  contractEndsAt: number | null
}

/** Epoch-ms cut-offs: data older than (strictly before) a cut-off is due for deletion. */
export type RetentionCutoffs = {
  calls: number
  recordings: number
  enquiries: number
  attribution: number
  audit: number
  /** Set when the whole clinic is due for deletion (contract end + 6 months has passed). */
  terminated: number | null
}

function clampDays(value: number, max: number): number {
  // At least one day: a zero would purge the call that is ringing right now.
  if (!Number.isFinite(value)) return max
  return Math.min(max, Math.max(1, Math.floor(value)))
}

/** Adds calendar months in UTC (31 Aug + 6 months → 28/29 Feb, like a contract would read). */
export function addUtcMonths(ms: number, months: number): number {
  const d = new Date(ms)
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  )
  const lastDay = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate()
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay))
  return target.getTime()
}

/** The cut-offs for one clinic at `nowMs`. */
export function retentionCutoffs(settings: RetentionSettings, nowMs: number): RetentionCutoffs {
  const terminatedAfter =
    settings.contractEndsAt === null
      ? null
      : addUtcMonths(settings.contractEndsAt, TERMINATION_GRACE_MONTHS)
  return {
    calls: nowMs - clampDays(settings.retentionCallDays, MAX_CALL_DAYS) * DAY_MS,
    recordings: nowMs - clampDays(settings.retentionRecordingDays, MAX_RECORDING_DAYS) * DAY_MS,
    enquiries: nowMs - clampDays(settings.retentionEnquiryDays, MAX_ENQUIRY_DAYS) * DAY_MS,
    attribution: nowMs - ATTRIBUTION_DAYS * DAY_MS,
    audit: addUtcMonths(nowMs, -12 * AUDIT_YEARS),
    terminated: terminatedAfter !== null && terminatedAfter <= nowMs ? terminatedAfter : null,
  }
}
