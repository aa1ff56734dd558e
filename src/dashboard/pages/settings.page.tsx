/**
 * Clinic settings: text-back, attribution window, hold-out, default value, retention; saved
 * through src/clinic/setup.ts, as the API does.
 */

import { z } from 'zod'
import {
  formatDayHours,
  type OpeningHours,
  parseOpeningHours,
  parseWeekHours,
  WEEKDAY_NAMES,
  WEEKDAYS,
  type Weekday,
} from '../../assistant/facts'
import { DEFAULT_REMINDER_TEMPLATE, reminderOffsets } from '../../automations/scheduled'
import type { ClinicRow } from '../../clinic/find'
import {
  MAX_HOLD_OUT_PERCENT,
  MAX_TEMPLATE_LENGTH,
  RETENTION_MAX_DAYS,
} from '../../clinic/settings'
import { updateClinic } from '../../clinic/setup'
import { parsePounds } from '../../lib/money'
import { ProblemError } from '../../lib/problem'
import { DEFAULT_TEXT_BACK_TEMPLATE } from '../../textback/request'
import {
  describeSmsLength,
  MAX_TEXT_BACK_SEGMENTS,
  smsLength,
  textBackTemplateProblems,
} from '../../textback/template'
import { canEdit } from '../access'
import { renderTextBack } from '../format'
import { bound } from '../forms'
import {
  ErrorText,
  Field,
  type FieldErrors,
  FormErrors,
  Layout,
  Notice,
  type Viewer,
} from '../layout'
import {
  type Ctx,
  fieldErrorsOf,
  formOf,
  notice,
  type PageState,
  page,
  zodFieldErrors,
} from '../page-kit'

type SettingsValues = {
  name: string
  textBackEnabled: boolean
  textBackTemplate: string
  callScreening: boolean
  attributionWindowDays: string | number
  holdOutPercent: string | number
  defaultAppointmentValue: string
  retentionCallDays: string | number
  retentionRecordingDays: string | number
  retentionEnquiryDays: string | number
  address: string
  bookingUrl: string
  googleAdsCustomerId: string
  googleConversionAction: string
  metaPixelId: string
  remindersEnabled: boolean
  reminderOffsets: string
  reminderTemplate: string
  quietStart: string
  quietEnd: string
  followUpNoReplyHours: string | number
  followUpEnquiryHours: string | number
  followUpWeeklyCap: string | number
} & Partial<Record<`hours_${Weekday}`, string>>

function settingsValuesOf(clinic: ClinicRow, defaultTemplate: string): SettingsValues {
  return {
    name: clinic.name,
    textBackEnabled: clinic.textBackEnabled,
    textBackTemplate: clinic.textBackTemplate ?? defaultTemplate,
    callScreening: clinic.callScreening,
    attributionWindowDays: clinic.attributionWindowDays,
    holdOutPercent: clinic.holdOutPercent,
    defaultAppointmentValue: (clinic.defaultAppointmentValuePence / 100).toFixed(2),
    retentionCallDays: clinic.retentionCallDays,
    retentionRecordingDays: clinic.retentionRecordingDays,
    retentionEnquiryDays: clinic.retentionEnquiryDays,
    address: clinic.address ?? '',
    bookingUrl: clinic.bookingUrl ?? '',
    googleAdsCustomerId: clinic.googleAdsCustomerId ?? '',
    googleConversionAction: clinic.googleConversionAction ?? '',
    metaPixelId: clinic.metaPixelId ?? '',
    remindersEnabled: clinic.remindersEnabled,
    reminderOffsets: reminderOffsets(clinic).map(offsetWords).join(', '),
    reminderTemplate: clinic.reminderTemplate ?? DEFAULT_REMINDER_TEMPLATE,
    quietStart: clinic.quietStart,
    quietEnd: clinic.quietEnd,
    followUpNoReplyHours: clinic.followUpNoReplyHours,
    followUpEnquiryHours: clinic.followUpEnquiryHours,
    followUpWeeklyCap: clinic.followUpWeeklyCap,
    ...hoursValuesOf(parseOpeningHours(clinic.openingHours)),
  }
}

/** Minutes as the form shows them: `7d`, `2h`, `90m`. */
function offsetWords(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`
  if (minutes % 60 === 0) return `${minutes / 60}h`
  return `${minutes}m`
}

/** `7d, 2d, 2h` → minutes; null when a part is not a number with d, h or m. */
export function parseOffsets(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean)
  const out: number[] = []
  for (const p of parts) {
    const m = /^(\d{1,4})([dhm])$/i.exec(p)
    if (!m) return null
    const unit = m[2]!.toLowerCase()
    out.push(Number(m[1]) * (unit === 'd' ? 1440 : unit === 'h' ? 60 : 1))
  }
  return out.length ? out : null
}

/** The hours as one typed line per day (`hours_mon`…). */
function hoursValuesOf(hours: OpeningHours | null) {
  return Object.fromEntries(WEEKDAYS.map((d) => [`hours_${d}`, formatDayHours(hours?.[d])]))
}

function Checkbox(props: {
  name: string
  label: string
  checked: boolean
  disabled: boolean
  hint?: string
}) {
  return (
    <div class="field">
      <label class="checkbox" for={`f-${props.name}`}>
        <input
          id={`f-${props.name}`}
          type="checkbox"
          name={props.name}
          value="on"
          checked={props.checked}
          disabled={props.disabled}
          aria-describedby={props.hint ? `f-${props.name}-hint` : undefined}
        />
        {props.label}
      </label>
      {props.hint ? (
        <p class="hint" id={`f-${props.name}-hint`}>
          {props.hint}
        </p>
      ) : null}
    </div>
  )
}

/** The whole-number settings: one entry drives both the form field and its validation. */
const NUMBER_SETTINGS = {
  attributionWindowDays: {
    label: 'Attribution window (days)',
    min: 1,
    max: 90,
    unit: 'days',
    hint: 'A booking within this many days of a missed call can be credited to it.',
  },
  holdOutPercent: {
    label: 'Hold-out (%)',
    min: 0,
    max: MAX_HOLD_OUT_PERCENT,
    unit: 'percent',
    hint: 'Share of eligible missed callers who get no text-back, to measure its uplift. 0 turns it off.',
  },
  retentionCallDays: {
    label: 'Keep call records (days)',
    min: 1,
    max: RETENTION_MAX_DAYS.callDays,
    unit: 'days',
    hint: `At most ${RETENTION_MAX_DAYS.callDays}.`,
  },
  retentionRecordingDays: {
    label: 'Keep call recordings (days)',
    min: 1,
    max: RETENTION_MAX_DAYS.recordingDays,
    unit: 'days',
    hint: `At most ${RETENTION_MAX_DAYS.recordingDays}.`,
  },
  followUpNoReplyHours: {
    label: 'Follow up a text-back with no reply after (hours)',
    min: 0,
    max: 72,
    unit: 'hours',
    hint: 'One gentle follow-up. 0 turns it off.',
  },
  followUpEnquiryHours: {
    label: 'Follow up an enquiry that did not book after (hours)',
    min: 0,
    max: 336,
    unit: 'hours',
    hint: 'Only to people who agreed to marketing, with an opt-out line. 0 turns it off.',
  },
  followUpWeeklyCap: {
    label: 'At most this many follow-ups per person a week',
    min: 0,
    max: 7,
    unit: 'messages',
    hint: 'Reminders do not count.',
  },
  retentionEnquiryDays: {
    label: 'Keep enquiries and conversations (days)',
    min: 1,
    max: RETENTION_MAX_DAYS.enquiryDays,
    unit: 'days',
    hint: `At most ${RETENTION_MAX_DAYS.enquiryDays}, counted from the last interaction.`,
  },
} as const

type NumberSettingName = keyof typeof NUMBER_SETTINGS

function NumberSetting(props: {
  name: NumberSettingName
  values: SettingsValues
  errors?: FieldErrors | undefined
}) {
  const spec = NUMBER_SETTINGS[props.name]
  return (
    <Field
      {...bound({ values: props.values, errors: props.errors }, props.name)}
      label={spec.label}
      type="number"
      min={spec.min}
      max={spec.max}
      hint={spec.hint}
    />
  )
}

function SettingsPage(props: {
  viewer: Viewer
  canEdit: boolean
  clinicName: string
  values: SettingsValues
  error?: string | null
  errors?: FieldErrors
  notice?: string | null
}) {
  const v = props.values
  const ro = !props.canEdit
  const templateError = props.errors?.textBackTemplate
  const body = (
    <>
      <fieldset class="card">
        <legend>Clinic</legend>
        <Field {...bound(props, 'name')} label="Clinic name" required />
        <Field
          {...bound(props, 'defaultAppointmentValue')}
          label="Default appointment value (£)"
          inputmode="decimal"
          hint="Counted for a recovered booking with no value and no treatment."
        />
      </fieldset>
      <fieldset class="card">
        <legend>Text-back</legend>
        <Checkbox
          name="textBackEnabled"
          label="Text missed mobile callers back"
          checked={v.textBackEnabled}
          disabled={ro}
        />
        <div class="field">
          <label for="text-back-template">Message</label>
          <p class="hint" id="text-back-template-hint">
            {`Up to ${MAX_TEXT_BACK_SEGMENTS} texts. {clinic} becomes your clinic’s name; end with how to opt out (“Reply STOP to opt out.”). ${describeSmsLength(smsLength(renderTextBack(v.textBackTemplate, props.clinicName)))}`}
          </p>
          {/* No maxlength: the browser would cut the message silently; the check says why instead. */}
          <textarea
            id="text-back-template"
            name="textBackTemplate"
            rows={4}
            readonly={ro}
            aria-invalid={templateError ? 'true' : undefined}
            aria-describedby={`text-back-template-hint${templateError ? ' text-back-template-error' : ''}`}
          >
            {v.textBackTemplate}
          </textarea>
          <ErrorText id="text-back-template-error" message={templateError} />
        </div>
        <p class="hint" id="preview-label">
          Preview
        </p>
        <output
          id="text-back-preview"
          class="preview"
          data-clinic={props.clinicName}
          aria-labelledby="preview-label"
          aria-live="polite"
          for="text-back-template"
        >
          {renderTextBack(v.textBackTemplate, props.clinicName)}
        </output>
      </fieldset>
      <fieldset class="card">
        <legend>Reminders and follow-ups</legend>
        <Checkbox
          name="remindersEnabled"
          label="Text patients a reminder before their appointment"
          checked={v.remindersEnabled}
          disabled={ro}
        />
        <Field
          {...bound(props, 'reminderOffsets')}
          label="Remind them before (d = days, h = hours)"
          hint="e.g. 7d, 2d, 2h — at most five."
        />
        <div class="field">
          <label for="f-reminderTemplate">Reminder message</label>
          <p class="hint" id="f-reminderTemplate-hint">
            {
              '{time} becomes the appointment’s day and time, {place} your address, {clinic} your name.'
            }
          </p>
          <textarea
            id="f-reminderTemplate"
            name="reminderTemplate"
            rows={3}
            readonly={ro}
            aria-invalid={props.errors?.reminderTemplate ? 'true' : undefined}
            aria-describedby={`f-reminderTemplate-hint${props.errors?.reminderTemplate ? ' f-reminderTemplate-error' : ''}`}
          >
            {v.reminderTemplate}
          </textarea>
          <ErrorText id="f-reminderTemplate-error" message={props.errors?.reminderTemplate} />
        </div>
        <NumberSetting name="followUpNoReplyHours" values={v} errors={props.errors} />
        <NumberSetting name="followUpEnquiryHours" values={v} errors={props.errors} />
        <NumberSetting name="followUpWeeklyCap" values={v} errors={props.errors} />
        <p class="hint">
          Quiet hours: nothing automated is sent between these times (your clinic’s local time);
          what falls due waits until they end.
        </p>
        <Field {...bound(props, 'quietStart')} label="Quiet from" type="time" />
        <Field {...bound(props, 'quietEnd')} label="Quiet until" type="time" />
      </fieldset>
      <fieldset class="card">
        <legend>Calls and attribution</legend>
        <Checkbox
          name="callScreening"
          label="Screen forwarded calls (staff press a key to accept)"
          checked={v.callScreening}
          disabled={ro}
          hint="Stops a personal voicemail from counting as answered."
        />
        <NumberSetting name="attributionWindowDays" values={v} errors={props.errors} />
        <NumberSetting name="holdOutPercent" values={v} errors={props.errors} />
      </fieldset>
      <fieldset class="card">
        <legend>Retention</legend>
        <NumberSetting name="retentionCallDays" values={v} errors={props.errors} />
        <NumberSetting name="retentionRecordingDays" values={v} errors={props.errors} />
        <NumberSetting name="retentionEnquiryDays" values={v} errors={props.errors} />
      </fieldset>
      <fieldset class="card">
        <legend>Ad conversions</legend>
        <p class="hint">
          A booked lead who came from an ad and agreed to it is reported here (hashed, never in
          clear). Leave empty to report nothing.
        </p>
        <Field
          {...bound(props, 'googleAdsCustomerId')}
          label="Google Ads customer id"
          inputmode="numeric"
          hint="10 digits, e.g. 123-456-7890"
        />
        <Field
          {...bound(props, 'googleConversionAction')}
          label="Google Ads conversion action id"
          inputmode="numeric"
        />
        <Field {...bound(props, 'metaPixelId')} label="Meta pixel id" inputmode="numeric" />
      </fieldset>
      <fieldset class="card">
        <legend>What the AI receptionist may tell patients</legend>
        <p class="hint">
          The assistant answers only from these facts and your treatments' prices. Hours are in the
          clinic's time zone; they also decide when a missed call alerts staff.
        </p>
        <Field {...bound(props, 'address')} label="Address" />
        <Field
          {...bound(props, 'bookingUrl')}
          label="Online booking link"
          type="url"
          hint="Where patients can book themselves, e.g. https://book.example.com/your-clinic"
        />
        {WEEKDAYS.map((d) => (
          <Field
            {...bound(props, `hours_${d}`)}
            label={`${WEEKDAY_NAMES[d]} hours`}
            hint="e.g. 09:00-17:30, or 09:00-13:00, 14:00-17:30; leave empty if closed"
          />
        ))}
      </fieldset>
    </>
  )
  return (
    <Layout title="Settings" viewer={props.viewer} active="settings" script>
      <Notice message={props.notice} />
      <FormErrors message={props.error} />
      {props.canEdit ? (
        <form class="stack" method="post" action="/settings" novalidate>
          {body}
          <button type="submit">Save settings</button>
        </form>
      ) : (
        <>
          <p class="alert alert-warn">Your role can view these settings but not change them.</p>
          <fieldset class="stack" disabled>
            <legend class="visually-hidden">Settings (read-only)</legend>
            {body}
          </fieldset>
        </>
      )}
    </Layout>
  )
}

const intSetting = (name: NumberSettingName) => {
  const { min, max, unit } = NUMBER_SETTINGS[name]
  return z.coerce
    .number({ message: `Enter a whole number of ${unit}.` })
    .int(`Enter a whole number of ${unit}.`)
    .min(min, `Use ${min} or more.`)
    .max(max, `Use at most ${max}.`)
}

/** An ad platform id as typed: spaces and dashes dropped; empty clears it. */
const adField = (pattern: RegExp, message: string) =>
  z
    .string()
    .transform((v) => v.replace(/[\s-]/g, ''))
    .refine((v) => v === '' || pattern.test(v), message)
    .optional()

/** The settings form, as posted (checkboxes are present only when ticked). */
const SettingsFormSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Give the clinic a name.')
    .max(120, 'Keep the name under 120 characters.'),
  textBackEnabled: z.literal('on').optional(),
  textBackTemplate: z
    .string()
    .trim()
    .min(1, 'Write the message, or untick text-back to turn it off.')
    .max(MAX_TEMPLATE_LENGTH, `Keep the message to ${MAX_TEMPLATE_LENGTH} characters (two texts).`),
  callScreening: z.literal('on').optional(),
  attributionWindowDays: intSetting('attributionWindowDays'),
  holdOutPercent: intSetting('holdOutPercent'),
  defaultAppointmentValue: z
    .string()
    .refine((v) => parsePounds(v) !== null, 'Enter an amount in pounds, such as 150.'),
  retentionCallDays: intSetting('retentionCallDays'),
  retentionRecordingDays: intSetting('retentionRecordingDays'),
  retentionEnquiryDays: intSetting('retentionEnquiryDays'),
  address: z.string().trim().max(300, 'Keep the address under 300 characters.').optional(),
  bookingUrl: z
    .string()
    .trim()
    .max(500)
    .refine((u) => u === '' || /^https?:\/\/\S+$/.test(u), 'Give a full link starting https://')
    .optional(),
  googleAdsCustomerId: adField(/^\d{10}$/, 'Ten digits, as Google Ads shows it (dashes are fine).'),
  googleConversionAction: adField(/^\d{1,20}$/, 'The conversion action’s number.'),
  metaPixelId: adField(/^\d{5,20}$/, 'The pixel’s number, from Meta Events Manager.'),
  // The reminders' fields: absent from an older form, they stay as they are.
  remindersEnabled: z.literal('on').optional(),
  reminderOffsets: z
    .string()
    .refine((t) => {
      const o = parseOffsets(t)
      return o !== null && o.length <= 5 && o.every((m) => m >= 15 && m <= 43_200)
    }, 'Write times like 7d, 2d, 2h: at most five, from 15m to 30d.')
    .optional(),
  reminderTemplate: z
    .string()
    .trim()
    .min(1, 'Write the reminder.')
    .max(MAX_TEMPLATE_LENGTH, `Keep it to ${MAX_TEMPLATE_LENGTH} characters.`)
    .refine((t) => t.includes('{time}'), 'Include {time}, so the patient knows when.')
    .optional(),
  quietStart: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A time like 20:00.')
    .optional(),
  quietEnd: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A time like 08:00.')
    .optional(),
  followUpNoReplyHours: intSetting('followUpNoReplyHours').optional(),
  followUpEnquiryHours: intSetting('followUpEnquiryHours').optional(),
  followUpWeeklyCap: intSetting('followUpWeeklyCap').optional(),
})

/** GET /settings */
export const settingsGet = page('settings', async (c, s) => {
  return c.html(
    <SettingsPage
      viewer={s.viewer}
      canEdit={canEdit(s.principal.role, 'settings')}
      clinicName={s.clinic.name}
      values={settingsValuesOf(s.clinic, DEFAULT_TEXT_BACK_TEMPLATE)}
      notice={notice(c)}
    />,
  )
})

/** The form again with the values as sent and the fields' messages (400). */
function settingsRefused(c: Ctx, s: PageState, form: Record<string, string>, errors: FieldErrors) {
  return c.html(
    <SettingsPage
      viewer={s.viewer}
      canEdit
      clinicName={form.name?.trim() || s.clinic.name}
      values={{
        ...settingsValuesOf(s.clinic, DEFAULT_TEXT_BACK_TEMPLATE),
        ...form,
        textBackEnabled: form.textBackEnabled === 'on',
        callScreening: form.callScreening === 'on',
        remindersEnabled: form.remindersEnabled === 'on',
      }}
      error="Please correct the fields marked below."
      errors={errors}
    />,
    400,
  )
}

/** Every message about the template at once (the field shows them together). */
function templateErrors(problems: readonly string[]): FieldErrors {
  return problems.length ? { textBackTemplate: problems.join(' ') } : {}
}

/** POST /settings */
export const settingsPost = page('settings', async (c, s) => {
  const form = await formOf(c)
  const parsed = SettingsFormSchema.safeParse(form)
  if (!parsed.success) {
    // The template's own check runs too, so one round trip shows every problem.
    const template = form.textBackTemplate?.trim() ?? ''
    const problems = template
      ? textBackTemplateProblems(template, form.name?.trim() || s.clinic.name)
      : []
    return settingsRefused(c, s, form, {
      ...templateErrors(problems),
      ...zodFieldErrors(parsed.error),
    })
  }
  const v = parsed.data
  const week = parseWeekHours(
    Object.fromEntries(WEEKDAYS.map((d) => [d, form[`hours_${d}`] ?? ''])),
  )
  if ('errors' in week) {
    return settingsRefused(
      c,
      s,
      form,
      Object.fromEntries(Object.entries(week.errors).map(([d, m]) => [`hours_${d}`, m])),
    )
  }
  try {
    await updateClinic(c.var.db, c.env, s.principal, {
      name: v.name,
      // Fields the form did not send stay as they are; sent empty, they are cleared.
      ...(v.address === undefined ? {} : { address: v.address || null }),
      ...(v.bookingUrl === undefined ? {} : { bookingUrl: v.bookingUrl || null }),
      ...('googleAdsCustomerId' in form
        ? {
            adDestinations: {
              googleAdsCustomerId: v.googleAdsCustomerId || null,
              googleConversionAction: v.googleConversionAction || null,
              metaPixelId: v.metaPixelId || null,
            },
          }
        : {}),
      ...(WEEKDAYS.some((d) => `hours_${d}` in form) ? { openingHours: week.hours } : {}),
      ...('reminderOffsets' in form
        ? {
            reminders: {
              enabled: v.remindersEnabled === 'on',
              ...(v.reminderOffsets ? { offsetsMinutes: parseOffsets(v.reminderOffsets)! } : {}),
              ...(v.reminderTemplate ? { template: v.reminderTemplate } : {}),
            },
            followUps: {
              ...(v.followUpNoReplyHours === undefined
                ? {}
                : { noReplyHours: v.followUpNoReplyHours }),
              ...(v.followUpEnquiryHours === undefined
                ? {}
                : { enquiryHours: v.followUpEnquiryHours }),
              ...(v.followUpWeeklyCap === undefined ? {} : { maxPerWeek: v.followUpWeeklyCap }),
            },
            ...(v.quietStart && v.quietEnd
              ? { quietHours: { start: v.quietStart, end: v.quietEnd } }
              : {}),
          }
        : {}),
      defaultAppointmentValuePence: parsePounds(v.defaultAppointmentValue)!,
      textBack: { enabled: v.textBackEnabled === 'on', template: v.textBackTemplate },
      callScreening: v.callScreening === 'on',
      attributionWindowDays: v.attributionWindowDays,
      holdOutPercent: v.holdOutPercent,
      retention: {
        callDays: v.retentionCallDays,
        recordingDays: v.retentionRecordingDays,
        enquiryDays: v.retentionEnquiryDays,
      },
    })
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status !== 400) throw err
    const problems = (err.errors ?? [])
      .filter((e) => e.path === 'textBack.template')
      .map((e) => e.message)
    return settingsRefused(c, s, form, { ...fieldErrorsOf(err), ...templateErrors(problems) })
  }
  return c.redirect('/settings?notice=saved', 303)
})
