/**
 * Clinic settings: the API's shape of a clinic, the PATCH schema with its bounds, and the pure
 * translation of a patch into column updates. Retention can only be shortened from the defaults
 * (the GDPR maxima Ringback promises), never lengthened.
 */
import { z } from '@hono/zod-openapi'
import { OpeningHoursSchema, parseOpeningHours } from '../assistant/facts'
import { CountrySchema, TimezoneSchema } from '../auth/service'
import { ClockTimeSchema } from '../automations/rules'
import {
  DEFAULT_FOLLOW_UP_TEMPLATE,
  DEFAULT_REMINDER_TEMPLATE,
  reminderOffsets,
} from '../automations/scheduled'
import { badRequest } from '../lib/problem'
import { toIso, toIsoOrNull } from '../lib/time'
import { DEFAULT_TEXT_BACK_TEMPLATE } from '../textback/request'
import { textBackTemplateProblems } from '../textback/template'
import type { ClinicRow } from './find'

/** The longest each kind of data may be kept; a clinic may choose shorter. */
export const RETENTION_MAX_DAYS = { callDays: 90, recordingDays: 365, enquiryDays: 730 } as const
export const MAX_HOLD_OUT_PERCENT = 50
export const RING_TIMEOUT_SECONDS = { min: 5, max: 60 } as const
/** Two concatenated SMS segments' worth of GSM-7 text, with room for the clinic's name. */
export const MAX_TEMPLATE_LENGTH = 306

export const ClinicSchema = z
  .object({
    id: z.string().openapi({ example: 'cln_01JD3Q8Z5X0000000000000000' }),
    name: z.string().openapi({ example: 'Demo Dental & Aesthetics' }),
    timezone: z.string().openapi({ example: 'Europe/London' }),
    country: z.string().openapi({ example: 'GB' }),
    attributionWindowDays: z.number().int().openapi({ example: 14 }),
    defaultAppointmentValuePence: z.number().int().openapi({ example: 15000 }),
    textBack: z.object({
      enabled: z.boolean(),
      template: z.string().openapi({ example: DEFAULT_TEXT_BACK_TEMPLATE }),
    }),
    holdOutPercent: z.number().int().openapi({ example: 0 }),
    callScreening: z.boolean(),
    ringTimeoutSeconds: z.number().int().openapi({ example: 20 }),
    retention: z.object({
      callDays: z.number().int().openapi({ example: 90 }),
      recordingDays: z.number().int().openapi({ example: 365 }),
      enquiryDays: z.number().int().openapi({ example: 730 }),
    }),
    /** The facts the AI receptionist may speak from (with the treatments); null: not given. */
    address: z.string().nullable().openapi({ example: '12 High Street, Leeds LS1 4AB' }),
    openingHours: OpeningHoursSchema.nullable(),
    bookingUrl: z.string().nullable().openapi({ example: 'https://book.example.com/demo-dental' }),
    /** (v1.1) Where booked leads from ads are reported (docs/LEADS.md "Conversions"). */
    adDestinations: z.object({
      googleAdsCustomerId: z.string().nullable().openapi({ example: '1234567890' }),
      googleConversionAction: z.string().nullable().openapi({ example: '987654321' }),
      metaPixelId: z.string().nullable().openapi({ example: '1122334455667788' }),
    }),
    /** (v1.1) Appointment reminders (docs/AUTOMATIONS.md). */
    reminders: z.object({
      enabled: z.boolean(),
      offsetsMinutes: z.array(z.number().int()).openapi({ example: [10080, 2880, 120] }),
      template: z.string().openapi({ example: DEFAULT_REMINDER_TEMPLATE }),
    }),
    /** (v1.1) Follow-ups: after a text-back with no reply; after an enquiry that did not book. */
    followUps: z.object({
      noReplyHours: z.number().int().openapi({ example: 4 }),
      template: z.string().openapi({ example: DEFAULT_FOLLOW_UP_TEMPLATE }),
      enquiryHours: z.number().int().openapi({ example: 48 }),
      maxPerWeek: z.number().int().openapi({ example: 2 }),
    }),
    /** (v1.1) Local times between which nothing automated is sent. */
    quietHours: z.object({ start: z.string(), end: z.string() }),
    createdAt: z.string(),
    updatedAt: z.string().nullable(),
  })
  .openapi('Clinic')
export type ClinicJson = z.infer<typeof ClinicSchema>

const days = (max: number) => z.number().int().min(1).max(max)
/** An ad platform's numeric id (dashes, as Google shows customer ids, are dropped). */
const adId = (min: number, max: number) =>
  z
    .string()
    .transform((v) => v.replace(/[\s-]/g, ''))
    .pipe(
      z
        .string()
        .regex(new RegExp(`^\\d{${min},${max}}$`), `${min === max ? min : `${min}–${max}`} digits`),
    )

export const ClinicPatchSchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    timezone: TimezoneSchema,
    country: CountrySchema,
    attributionWindowDays: z.number().int().min(1).max(90),
    defaultAppointmentValuePence: z.number().int().min(0).max(10_000_000),
    textBack: z
      .object({
        enabled: z.boolean(),
        /** `{clinic}` is replaced by the clinic's name; null restores the default wording. */
        template: z.string().trim().min(1).max(MAX_TEMPLATE_LENGTH).nullable(),
      })
      .partial(),
    holdOutPercent: z.number().int().min(0).max(MAX_HOLD_OUT_PERCENT),
    callScreening: z.boolean(),
    ringTimeoutSeconds: z
      .number()
      .int()
      .min(RING_TIMEOUT_SECONDS.min)
      .max(RING_TIMEOUT_SECONDS.max),
    retention: z
      .object({
        callDays: days(RETENTION_MAX_DAYS.callDays),
        recordingDays: days(RETENTION_MAX_DAYS.recordingDays),
        enquiryDays: days(RETENTION_MAX_DAYS.enquiryDays),
      })
      .partial(),
    /** null clears a fact; the assistant then hands such questions to the team. */
    address: z.string().trim().min(1).max(300).nullable(),
    openingHours: OpeningHoursSchema.nullable(),
    bookingUrl: z
      .url({ protocol: /^https?$/, message: 'Must be an http(s) URL' })
      .max(500)
      .nullable(),
    adDestinations: z
      .object({
        googleAdsCustomerId: adId(10, 10).nullable(),
        googleConversionAction: adId(1, 20).nullable(),
        metaPixelId: adId(5, 20).nullable(),
      })
      .partial(),
    reminders: z
      .object({
        enabled: z.boolean(),
        offsetsMinutes: z
          .array(z.number().int().min(15).max(43_200))
          .min(1)
          .max(5)
          .refine((a) => new Set(a).size === a.length, 'Each offset once'),
        /** `{clinic}`, `{time}` and `{place}` are filled in; null restores the default wording. */
        template: z
          .string()
          .trim()
          .min(1)
          .max(MAX_TEMPLATE_LENGTH)
          .includes('{time}', {
            message: 'The reminder must say when: include {time}',
          })
          .nullable(),
      })
      .partial(),
    followUps: z
      .object({
        noReplyHours: z.number().int().min(0).max(72),
        template: z.string().trim().min(1).max(MAX_TEMPLATE_LENGTH).nullable(),
        enquiryHours: z.number().int().min(0).max(336),
        maxPerWeek: z.number().int().min(0).max(7),
      })
      .partial(),
    quietHours: z.object({ start: ClockTimeSchema, end: ClockTimeSchema }),
  })
  .partial()
  .openapi('ClinicPatch', {
    example: { textBack: { enabled: true }, holdOutPercent: 10, retention: { callDays: 60 } },
  })
export type ClinicPatch = z.infer<typeof ClinicPatchSchema>

/** The clinic as the API shows it (camelCase; the effective text-back wording). */
export function clinicJson(row: ClinicRow): ClinicJson {
  return {
    id: row.id,
    name: row.name,
    timezone: row.timezone,
    country: row.country,
    attributionWindowDays: row.attributionWindowDays,
    defaultAppointmentValuePence: row.defaultAppointmentValuePence,
    textBack: {
      enabled: row.textBackEnabled,
      template: row.textBackTemplate ?? DEFAULT_TEXT_BACK_TEMPLATE,
    },
    holdOutPercent: row.holdOutPercent,
    callScreening: row.callScreening,
    ringTimeoutSeconds: row.ringTimeoutSeconds,
    retention: {
      callDays: row.retentionCallDays,
      recordingDays: row.retentionRecordingDays,
      enquiryDays: row.retentionEnquiryDays,
    },
    address: row.address,
    openingHours: parseOpeningHours(row.openingHours),
    bookingUrl: row.bookingUrl,
    adDestinations: {
      googleAdsCustomerId: row.googleAdsCustomerId,
      googleConversionAction: row.googleConversionAction,
      metaPixelId: row.metaPixelId,
    },
    reminders: {
      enabled: row.remindersEnabled,
      offsetsMinutes: reminderOffsets(row),
      template: row.reminderTemplate ?? DEFAULT_REMINDER_TEMPLATE,
    },
    followUps: {
      noReplyHours: row.followUpNoReplyHours,
      template: row.followUpTemplate ?? DEFAULT_FOLLOW_UP_TEMPLATE,
      enquiryHours: row.followUpEnquiryHours,
      maxPerWeek: row.followUpWeeklyCap,
    },
    quietHours: { start: row.quietStart, end: row.quietEnd },
    createdAt: toIso(row.createdAt),
    updatedAt: toIsoOrNull(row.updatedAt),
  }
}

export type ClinicUpdate = Partial<
  Pick<
    ClinicRow,
    | 'name'
    | 'timezone'
    | 'country'
    | 'attributionWindowDays'
    | 'defaultAppointmentValuePence'
    | 'textBackEnabled'
    | 'textBackTemplate'
    | 'holdOutPercent'
    | 'callScreening'
    | 'ringTimeoutSeconds'
    | 'retentionCallDays'
    | 'retentionRecordingDays'
    | 'retentionEnquiryDays'
    | 'address'
    | 'openingHours'
    | 'bookingUrl'
    | 'googleAdsCustomerId'
    | 'googleConversionAction'
    | 'metaPixelId'
    | 'remindersEnabled'
    | 'reminderOffsets'
    | 'reminderTemplate'
    | 'followUpNoReplyHours'
    | 'followUpTemplate'
    | 'followUpEnquiryHours'
    | 'followUpWeeklyCap'
    | 'quietStart'
    | 'quietEnd'
  >
>

/**
 * Refuses (400, each problem under `textBack.template`) a patch whose new text-back template is too
 * long in SMS segments, does not name the clinic or has no opt-out line; `clinicName` is the name
 * the clinic will have after the patch. The one check behind the API and the settings page.
 */
export function assertTextBackTemplate(patch: ClinicPatch, clinicName: string): void {
  const template = patch.textBack?.template
  if (typeof template !== 'string') return
  const problems = textBackTemplateProblems(template, clinicName)
  if (problems.length === 0) return
  throw badRequest(
    'The text-back message cannot be saved as written.',
    problems.map((message) => ({ path: 'textBack.template', message })),
  )
}

/** The column updates a validated patch asks for (only the fields it names). */
export function clinicUpdateFrom(patch: ClinicPatch): ClinicUpdate {
  const update: ClinicUpdate = {}
  if (patch.name !== undefined) update.name = patch.name
  if (patch.timezone !== undefined) update.timezone = patch.timezone
  if (patch.country !== undefined) update.country = patch.country
  if (patch.attributionWindowDays !== undefined)
    update.attributionWindowDays = patch.attributionWindowDays
  if (patch.defaultAppointmentValuePence !== undefined)
    update.defaultAppointmentValuePence = patch.defaultAppointmentValuePence
  if (patch.textBack?.enabled !== undefined) update.textBackEnabled = patch.textBack.enabled
  if (patch.textBack?.template !== undefined) update.textBackTemplate = patch.textBack.template
  if (patch.holdOutPercent !== undefined) update.holdOutPercent = patch.holdOutPercent
  if (patch.callScreening !== undefined) update.callScreening = patch.callScreening
  if (patch.ringTimeoutSeconds !== undefined) update.ringTimeoutSeconds = patch.ringTimeoutSeconds
  if (patch.retention?.callDays !== undefined) update.retentionCallDays = patch.retention.callDays
  if (patch.retention?.recordingDays !== undefined)
    update.retentionRecordingDays = patch.retention.recordingDays
  if (patch.retention?.enquiryDays !== undefined)
    update.retentionEnquiryDays = patch.retention.enquiryDays
  if (patch.address !== undefined) update.address = patch.address
  if (patch.openingHours !== undefined)
    update.openingHours = patch.openingHours === null ? null : JSON.stringify(patch.openingHours)
  if (patch.bookingUrl !== undefined) update.bookingUrl = patch.bookingUrl
  const ads = patch.adDestinations
  if (ads?.googleAdsCustomerId !== undefined) update.googleAdsCustomerId = ads.googleAdsCustomerId
  if (ads?.googleConversionAction !== undefined) {
    update.googleConversionAction = ads.googleConversionAction
  }
  if (ads?.metaPixelId !== undefined) update.metaPixelId = ads.metaPixelId
  const r = patch.reminders
  if (r?.enabled !== undefined) update.remindersEnabled = r.enabled
  if (r?.offsetsMinutes !== undefined) {
    update.reminderOffsets = JSON.stringify([...r.offsetsMinutes].sort((a, b) => b - a))
  }
  if (r?.template !== undefined) update.reminderTemplate = r.template
  const f = patch.followUps
  if (f?.noReplyHours !== undefined) update.followUpNoReplyHours = f.noReplyHours
  if (f?.template !== undefined) update.followUpTemplate = f.template
  if (f?.enquiryHours !== undefined) update.followUpEnquiryHours = f.enquiryHours
  if (f?.maxPerWeek !== undefined) update.followUpWeeklyCap = f.maxPerWeek
  if (patch.quietHours) {
    update.quietStart = patch.quietHours.start
    update.quietEnd = patch.quietHours.end
  }
  return update
}
