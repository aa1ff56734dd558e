/**
 * Automations (src/automations/automations.service.ts, as the API): each with its sentence in
 * words ("When a missed call comes in during opening hours, wait 5 minutes, then notify
 * reception."), switched on or off in one click, its recent runs and what they did; adding or
 * changing one through a short form whose "Preview" shows the sentence before it is saved.
 */
import { listTeam } from '../../auth/team'
import {
  type AutomationInput,
  AutomationInputSchema,
  type AutomationJson,
  createAutomation,
  deleteAutomation,
  getAutomation,
  listAutomationRuns,
  listAutomations,
  updateAutomation,
} from '../../automations/automations.service'
import {
  type Action,
  type Condition,
  describeAutomation,
  TRIGGERS,
  type Trigger,
} from '../../automations/rules'
import { ProblemError } from '../../lib/problem'
import { Facts } from '../components'
import { bound, PostForm, refusal } from '../forms'
import {
  Badge,
  ErrorText,
  Field,
  type FieldErrors,
  Layout,
  Notice,
  Select,
  type Viewer,
} from '../layout'
import { type Ctx, formOf, type PageState, page, renderError, viewOf } from '../page-kit'
import { formatIso } from './inbox.page'

const TRIGGER_WORDS: Record<Trigger, string> = {
  'missed-call': 'A missed call',
  'lead-created': 'A new lead',
  'conversation-needs-human': 'A conversation needs a person',
  'appointment-booked': 'An appointment is booked',
  'no-reply': 'A texted-back caller has not replied',
}

/** A number field's input for whole numbers from 0. */
const WHOLE_NUMBER = { type: 'number', min: 0, inputmode: 'numeric' } as const

/** The conditions chosen from a list ("Any" leaves them out). */
const CONDITION_CHOICES: readonly {
  name: 'hours' | 'channel' | 'firstTime'
  label: string
  options: [string, string][]
}[] = [
  {
    name: 'hours',
    label: 'Opening hours',
    options: [
      ['', 'Any time'],
      ['open', 'During opening hours'],
      ['closed', 'Outside opening hours'],
    ],
  },
  {
    name: 'channel',
    label: 'Came by',
    options: [
      ['', 'Any channel'],
      ['call', 'A call'],
      ['sms', 'SMS'],
      ['whatsapp', 'WhatsApp'],
      ['web', 'Web chat'],
      ['form', 'A website form'],
    ],
  },
  {
    name: 'firstTime',
    label: 'Caller',
    options: [
      ['', 'Anyone'],
      ['true', 'First-time callers only'],
      ['false', 'People who called before'],
    ],
  },
]

/** The form's fields, as strings (what a urlencoded POST carries). */
type AutomationForm = {
  name?: string
  enabled?: string
  trigger?: string
  delayMinutes?: string
  hours?: string
  channel?: string
  firstTime?: string
  minScore?: string
  treatment?: string
  notify?: string
  text?: string
  purpose?: string
  leadStatus?: string
  assignTo?: string
}

/** The form's fields from a stored automation. */
function formOfAutomation(a: AutomationJson): AutomationForm {
  const cond = <T extends Condition['type']>(t: T) =>
    a.conditions.find((c): c is Extract<Condition, { type: T }> => c.type === t)
  const act = <T extends Action['type']>(t: T) =>
    a.actions.find((x): x is Extract<Action, { type: T }> => x.type === t)
  const hours = cond('opening-hours')
  return {
    name: a.name,
    enabled: a.enabled ? 'on' : '',
    trigger: a.trigger,
    delayMinutes: String(a.delayMinutes),
    hours: hours ? (hours.open ? 'open' : 'closed') : '',
    channel: cond('channel')?.in[0] ?? '',
    firstTime: cond('first-time-caller') ? String(cond('first-time-caller')!.value) : '',
    minScore: cond('lead-score') ? String(cond('lead-score')!.atLeast) : '',
    treatment: cond('treatment')?.contains ?? '',
    notify: act('notify-staff') ? 'on' : '',
    text: act('send-template')?.template ?? '',
    purpose: act('send-template')?.purpose ?? 'service',
    leadStatus: act('set-lead-status')?.status ?? '',
    assignTo: act('assign')?.userId ?? '',
  }
}

/** The automation the form describes, or field errors (the same schema as the API). */
function automationOfForm(f: AutomationForm): { input: AutomationInput } | { errors: FieldErrors } {
  const conditions: Condition[] = []
  if (f.hours === 'open' || f.hours === 'closed') {
    conditions.push({ type: 'opening-hours', open: f.hours === 'open' })
  }
  if (f.channel) conditions.push({ type: 'channel', in: [f.channel] } as Condition)
  if (f.firstTime === 'true' || f.firstTime === 'false') {
    conditions.push({ type: 'first-time-caller', value: f.firstTime === 'true' })
  }
  if (f.minScore?.trim()) {
    conditions.push({ type: 'lead-score', atLeast: Number(f.minScore) })
  }
  if (f.treatment?.trim()) conditions.push({ type: 'treatment', contains: f.treatment.trim() })
  const actions: unknown[] = []
  if (f.notify) actions.push({ type: 'notify-staff' })
  if (f.text?.trim()) {
    actions.push({ type: 'send-template', template: f.text.trim(), purpose: f.purpose })
  }
  if (f.assignTo) actions.push({ type: 'assign', userId: f.assignTo })
  if (f.leadStatus) actions.push({ type: 'set-lead-status', status: f.leadStatus })
  const parsed = AutomationInputSchema.safeParse({
    name: f.name,
    enabled: f.enabled === 'on',
    trigger: f.trigger,
    delayMinutes: Number(f.delayMinutes || '0'),
    conditions,
    actions,
  })
  if (parsed.success) return { input: parsed.data }
  const errors: FieldErrors = {}
  for (const issue of parsed.error.issues) {
    const [top, , field] = issue.path.map(String)
    const key =
      top === 'actions'
        ? issue.path.length <= 1
          ? 'notify'
          : field === 'template'
            ? 'text'
            : 'notify'
        : top === 'conditions'
          ? field === 'atLeast'
            ? 'minScore'
            : 'treatment'
          : (top ?? 'name')
    errors[key] ??=
      key === 'notify' ? 'Choose at least one thing to do.' : issue.message || 'Not valid.'
  }
  return { errors }
}

function AutomationFields(props: {
  form: { values?: AutomationForm; errors?: FieldErrors }
  members: readonly [string, string][]
  preview: string | null
}) {
  const v = props.form.values ?? {}
  return (
    <>
      <Field
        {...bound(props.form, 'name')}
        label="Name"
        required
        hint="For you, e.g. Missed calls at lunch."
      />
      <Select
        name="trigger"
        label="When"
        value={v.trigger ?? 'missed-call'}
        options={TRIGGERS.map((t) => [t, TRIGGER_WORDS[t]])}
      />
      <Field
        {...bound(props.form, 'delayMinutes')}
        {...WHOLE_NUMBER}
        label="Wait (minutes)"
        max={43200}
        hint="0 runs it at once. 60 is an hour, 1440 a day."
      />
      <fieldset class="stack">
        <legend>Only if (leave as “Any” to always run)</legend>
        {CONDITION_CHOICES.map((c) => (
          <Select name={c.name} label={c.label} value={v[c.name]} options={c.options} />
        ))}
        <Field
          {...bound(props.form, 'minScore')}
          {...WHOLE_NUMBER}
          label="Lead score at least (0–100)"
          max={100}
        />
        <Field {...bound(props.form, 'treatment')} label="Treatment mentions" hint="e.g. implant" />
      </fieldset>
      <fieldset class="stack">
        <legend>Then</legend>
        <label class="check">
          <input type="checkbox" name="notify" checked={v.notify === 'on'} />
          <span>Notify reception (in the alert email)</span>
        </label>
        <ErrorText message={props.form.errors?.notify} />
        <div class="field">
          <label for="f-text">Text them (optional)</label>
          <p class="hint" id="f-text-hint">
            {'{clinic}'} becomes your clinic’s name. Quiet hours, STOP and consent always apply.
          </p>
          <textarea id="f-text" name="text" maxlength={306} rows={3} aria-describedby="f-text-hint">
            {v.text ?? ''}
          </textarea>
          <ErrorText message={props.form.errors?.text} />
        </div>
        <Select
          name="purpose"
          label="That text is"
          value={v.purpose ?? 'service'}
          options={[
            ['service', 'A service message (about their call, enquiry or booking)'],
            ['marketing', 'Marketing (only to people who agreed; adds an opt-out line)'],
          ]}
        />
        <Select
          name="assignTo"
          label="Assign to"
          value={v.assignTo}
          options={[['', 'Nobody'], ...props.members]}
        />
        <Select
          name="leadStatus"
          label="Set the lead to"
          value={v.leadStatus}
          options={[
            ['', 'Leave as it is'],
            ['contacted', 'Contacted'],
            ['lost', 'Lost'],
            ['booked', 'Booked'],
            ['new', 'New'],
          ]}
        />
      </fieldset>
      <label class="check">
        <input type="checkbox" name="enabled" checked={v.enabled !== ''} />
        <span>On</span>
      </label>
      {props.preview ? (
        <p class="preview" role="status">
          <strong>Preview: </strong>
          {props.preview}
        </p>
      ) : null}
      <button type="submit" name="preview" value="1" class="secondary">
        Preview
      </button>
    </>
  )
}

/** The automation form (add or edit) with its Preview and save buttons. */
function AutomationEditor(props: {
  action: string
  submit: string
  form: { values?: AutomationForm; errors?: FieldErrors }
  members: readonly [string, string][]
  error?: string | null | undefined
  preview: string | null
}) {
  return (
    <PostForm action={props.action} submit={props.submit} error={props.error} class="stack card">
      <AutomationFields form={props.form} members={props.members} preview={props.preview} />
    </PostForm>
  )
}

type Run = Awaited<ReturnType<typeof listAutomationRuns>>['items'][number]

function runWords(r: Run): string {
  const o = r.outcome as { reason?: string; actions?: { result: string }[] } | null
  if (r.status === 'skipped') return `Skipped (${o?.reason ?? 'no reason'})`
  if (r.status === 'done') return o?.actions?.map((a) => a.result).join('; ') || 'Done'
  return r.status === 'scheduled' ? `Waiting until ${r.dueAt}` : r.status
}

function AutomationsPage(props: {
  viewer: Viewer
  canEdit: boolean
  timezone: string
  notice: string | null
  rows: { automation: AutomationJson; runs: Run[] }[]
  members: readonly [string, string][]
  form: { values?: AutomationForm; errors?: FieldErrors }
  error?: string | null
  preview: string | null
}) {
  return (
    <Layout title="Automations" viewer={props.viewer} active="automations">
      <Notice message={props.notice} />
      <p>
        Automations do small jobs for the front desk. Nothing they send goes out in your quiet
        hours, or to anyone who has opted out or restricted their data.
      </p>
      {props.rows.length === 0 ? <p>No automations yet.</p> : null}
      {props.rows.map(({ automation: a, runs }) => (
        <section class="card" aria-labelledby={`a-${a.id}`}>
          <h2 id={`a-${a.id}`}>
            {a.name} <Badge kind={a.enabled ? 'ok' : 'neutral'}>{a.enabled ? 'On' : 'Off'}</Badge>
          </h2>
          <p>{a.description}</p>
          {props.canEdit ? (
            <div class="actions">
              <a class="button secondary" href={`/automations/${encodeURIComponent(a.id)}`}>
                Edit
              </a>
              {(
                [
                  ['toggle', a.enabled ? 'Turn off' : 'Turn on'],
                  ['delete', 'Delete'],
                ] as const
              ).map(([what, label]) => (
                <form
                  method="post"
                  action={`/automations/${encodeURIComponent(a.id)}/${what}`}
                  class="inline"
                >
                  <button type="submit" class="secondary">
                    {label}
                  </button>
                </form>
              ))}
            </div>
          ) : null}
          <h3>Recent runs</h3>
          {runs.length === 0 ? (
            <p>Not run yet.</p>
          ) : (
            <Facts items={runs.map((r) => [formatIso(r.createdAt, props.timezone), runWords(r)])} />
          )}
        </section>
      ))}
      {props.canEdit ? (
        <section aria-labelledby="add-automation">
          <h2 id="add-automation">Add an automation</h2>
          <AutomationEditor action="/automations" submit="Save automation" {...props} />
        </section>
      ) : null}
    </Layout>
  )
}

function EditPage(props: {
  viewer: Viewer
  id: string
  form: { values?: AutomationForm; errors?: FieldErrors }
  members: readonly [string, string][]
  error?: string | null
  preview: string | null
}) {
  return (
    <Layout
      title={`Edit: ${props.form.values?.name ?? 'automation'}`}
      viewer={props.viewer}
      active="automations"
    >
      <p>
        <a href="/automations">← Automations</a>
      </p>
      <AutomationEditor
        action={`/automations/${encodeURIComponent(props.id)}`}
        submit="Save changes"
        {...props}
      />
    </Layout>
  )
}

async function membersOf(c: Ctx, s: PageState): Promise<[string, string][]> {
  const { items } = await listTeam(c.var.db, c.var.config, s.clinic.id, { limit: 100 })
  return items.filter((m) => m.status === 'active').map((m) => [m.id, `${m.email} (${m.role})`])
}

async function listPage(
  c: Ctx,
  s: PageState,
  extra: {
    form?: { values?: AutomationForm; errors?: FieldErrors }
    error?: string | null
    preview?: string | null
  } = {},
  status: 200 | 400 = 200,
) {
  const { items } = await listAutomations(c.var.db, s.clinic.id, { limit: 100 })
  const rows = await Promise.all(
    items.map(async (automation) => ({
      automation,
      runs: (await listAutomationRuns(c.var.db, s.clinic.id, automation.id, { limit: 5 })).items,
    })),
  )
  return c.html(
    <AutomationsPage
      {...viewOf(c, s, 'automations')}
      rows={rows}
      members={await membersOf(c, s)}
      form={
        extra.form ?? {
          values: { trigger: 'missed-call', delayMinutes: '5', notify: 'on', enabled: 'on' },
        }
      }
      error={extra.error ?? null}
      preview={extra.preview ?? null}
    />,
    status,
  )
}

/** GET /automations */
export const automationsGet = page('automations', (c, s) => listPage(c, s))

/** POST /automations: Preview (re-render with the sentence) or Save. */
export const automationsPost = page('automations', async (c, s) => {
  const values = (await formOf(c)) as AutomationForm & { preview?: string }
  const made = automationOfForm(values)
  if ('errors' in made) return listPage(c, s, { form: refusal(values, made.errors) }, 400)
  if (values.preview) {
    return listPage(c, s, { form: { values }, preview: describeAutomation(made.input) })
  }
  try {
    await createAutomation(c.var.db, c.env, s.principal, made.input)
  } catch (err) {
    if (err instanceof ProblemError && err.status === 400) {
      return listPage(
        c,
        s,
        { form: refusal(values, { assignTo: 'Choose a member of your team.' }) },
        400,
      )
    }
    throw err
  }
  return c.redirect('/automations?notice=automation-saved', 303)
})

async function editPage(
  c: Ctx,
  s: PageState,
  id: string,
  form: { values?: AutomationForm; errors?: FieldErrors },
  preview: string | null,
  status: 200 | 400 = 200,
) {
  return c.html(
    <EditPage
      viewer={s.viewer}
      id={id}
      form={form}
      members={await membersOf(c, s)}
      preview={preview}
      error={status === 400 ? 'Please correct the fields marked below.' : null}
    />,
    status,
  )
}

/** GET /automations/:id: the edit form. */
export const automationEditGet = page('automations', async (c, s) => {
  const id = c.req.param('id') ?? ''
  try {
    const a = await getAutomation(c.var.db, s.clinic.id, id)
    return editPage(c, s, id, { values: formOfAutomation(a) }, a.description)
  } catch (err) {
    if (err instanceof ProblemError) return renderError(c, err.status, err.detail ?? 'Not found.')
    throw err
  }
})

/** POST /automations/:id: Preview or Save changes. */
export const automationEditPost = page('automations', async (c, s) => {
  const id = c.req.param('id') ?? ''
  const values = (await formOf(c)) as AutomationForm & { preview?: string }
  const made = automationOfForm(values)
  if ('errors' in made) return editPage(c, s, id, refusal(values, made.errors), null, 400)
  if (values.preview) return editPage(c, s, id, { values }, describeAutomation(made.input))
  try {
    await updateAutomation(c.var.db, c.env, s.principal, id, made.input)
  } catch (err) {
    if (err instanceof ProblemError && err.status === 404)
      return renderError(c, 404, 'No such automation.')
    if (err instanceof ProblemError && err.status === 400) {
      return editPage(
        c,
        s,
        id,
        refusal(values, { assignTo: 'Choose a member of your team.' }),
        null,
        400,
      )
    }
    throw err
  }
  return c.redirect('/automations?notice=automation-saved', 303)
})

/** POST /automations/:id/toggle */
export const automationTogglePost = page('automations', async (c, s) => {
  const id = c.req.param('id') ?? ''
  try {
    const a = await getAutomation(c.var.db, s.clinic.id, id)
    await updateAutomation(c.var.db, c.env, s.principal, id, { enabled: !a.enabled })
  } catch (err) {
    if (err instanceof ProblemError) return renderError(c, err.status, err.detail ?? 'Not found.')
    throw err
  }
  return c.redirect('/automations?notice=automation-saved', 303)
})

/** POST /automations/:id/delete */
export const automationDeletePost = page('automations', async (c, s) => {
  try {
    await deleteAutomation(c.var.db, c.env, s.principal, c.req.param('id') ?? '')
  } catch (err) {
    if (err instanceof ProblemError) return renderError(c, err.status, err.detail ?? 'Not found.')
    throw err
  }
  return c.redirect('/automations?notice=automation-deleted', 303)
})
