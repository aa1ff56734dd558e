/**
 * The form pieces every dashboard page repeats: a posted form with its error summary and submit
 * button, the "add one" section under a list, fields bound to a form's values and errors, and the
 * refusal that re-renders a form with its messages.
 */
import type { Child } from 'hono/jsx'
import { type FieldErrors, FormErrors, Select } from './layout'

/** What a form re-renders with: the values as sent and a message per field. */
export type FormState<V> = { values?: V | undefined; errors?: FieldErrors | undefined }

/** One field's `name`, sent `value` and the form's `errors`, to spread into `<Field>`. */
export function bound<V extends object>(form: FormState<V>, name: keyof V & string) {
  const value = form.values?.[name]
  return {
    name,
    value: typeof value === 'string' || typeof value === 'number' ? value : undefined,
    errors: form.errors,
  }
}

/** The password a member chooses (sign-up, reset, invite): the browser may suggest one. */
export const NEW_PASSWORD = {
  name: 'password',
  type: 'password',
  autocomplete: 'new-password',
  hint: 'At least 12 characters.',
  required: true,
} as const

/** The extra props of a page that re-renders a refused form. */
export type Refusal<V> = FormState<V> & { error: string; notice: null }

/** A refused form: its values and field messages, the summary above it, no notice. */
export function refusal<V>(
  values: V,
  errors: FieldErrors,
  error = 'Please correct the fields marked below.',
): Refusal<V> {
  return { values, errors, error, notice: null }
}

/** A urlencoded POST form with its error summary above and its submit button last. */
export function PostForm(props: {
  action: string
  submit: string
  error?: string | null | undefined
  class?: string
  children: Child
}) {
  return (
    <>
      <FormErrors message={props.error} />
      <form class={props.class ?? 'stack'} method="post" action={props.action} novalidate>
        {props.children}
        <button type="submit">{props.submit}</button>
      </form>
    </>
  )
}

/** The titled "add one" section under a list: a card with the form. */
export function FormSection(props: {
  id: string
  title: string
  action: string
  submit: string
  error?: string | null | undefined
  children: Child
}) {
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <PostForm action={props.action} submit={props.submit} error={props.error} class="stack card">
        {props.children}
      </PostForm>
    </section>
  )
}

/** One list filter: a select of `[value, text]` options. */
export type Filter = {
  name: string
  label: string
  value: string | undefined
  options: readonly [string, string][]
}

/** A list's filter bar: a GET form of selects (the URL keeps the filters, so a link shares them). */
export function FilterForm(props: {
  action: string
  label: string
  filters: readonly Filter[]
  /** Further fields after the selects (dates, a hidden filter carried along). */
  children?: Child
}) {
  return (
    <form class="inline card" method="get" action={props.action} aria-label={props.label}>
      {props.filters.map((f) => (
        <Select {...f} />
      ))}
      {props.children}
      <button type="submit">Filter</button>
    </form>
  )
}
