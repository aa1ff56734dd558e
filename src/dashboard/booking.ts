/**
 * The dashboard's short Book form (on a call and on a conversation): reads the form as the clinic's
 * staff type it and books through the appointments service. One implementation for both pages.
 */
import { bookAppointment } from '../appointments/service'
import { ProblemError } from '../lib/problem'
import { zonedTimeToUtc } from '../metrics/local-time'
import { type Ctx, fieldErrorsOf, formOf, type PageState } from './page-kit'

/** Pounds as typed ("85", "85.50", "£85") to pence; null when empty, NaN when not money. */
export function penceOf(raw: string | undefined): number | null {
  const text = (raw ?? '').replace(/[£,\s]/g, '')
  if (text === '') return null
  return /^\d{1,7}(\.\d{1,2})?$/.test(text) ? Math.round(Number(text) * 100) : Number.NaN
}

/** A `datetime-local` value, read as the clinic's wall-clock time; null when empty or malformed. */
export function localInstant(raw: string | undefined, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(raw ?? '')
  if (!m) return null
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ]
  return zonedTimeToUtc({ year, month, day, hour, minute }, timeZone)
}

/** A booking made (its appointment id), or refused with a sentence for the form. */
export type BookOutcome = { appointmentId: string } | { refused: string }

/**
 * Books an appointment for `callerHash` from the posted Book form (treatment, value in pounds,
 * time), now. Bad input is a refusal, never a throw; other errors propagate (the 500 page).
 */
export async function bookFromForm(c: Ctx, s: PageState, callerHash: string): Promise<BookOutcome> {
  const form = await formOf(c)
  const value = penceOf(form.value)
  if (Number.isNaN(value)) return { refused: 'The value must be an amount in pounds.' }
  const now = Date.now()
  try {
    const { view } = await bookAppointment(
      c.env,
      c.var.db,
      s.clinic,
      {
        callerHash,
        externalId: null,
        createdAt: now,
        scheduledFor: localInstant(form.scheduledFor, s.clinic.timezone),
        treatmentId: form.treatmentId || null,
        valuePence: value ?? undefined,
      },
      now,
    )
    return { appointmentId: view.id }
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status >= 500) throw err
    const fields = Object.values(fieldErrorsOf(err)).join(' ')
    return { refused: fields || (err.detail ?? 'The booking was refused.') }
  }
}

/** Where a made booking is shown: the appointment page explains its attribution in full. */
export const appointmentPath = (id: string) => `/appointments/${encodeURIComponent(id)}`
