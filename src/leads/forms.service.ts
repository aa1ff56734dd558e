/**
 * Forms a clinic embeds: create, list, change, and the snippet to paste. A form's id is public
 * (it is in the snippet); what may post to it is its `allowedOrigins`, checked on every submission.
 */
import { eq } from 'drizzle-orm'
import { z } from 'zod'
import { createOwned, updateOwned } from '../clinic/owned'
import type { Db } from '../db/client'
import { clinicRowsPage } from '../db/clinic-pages'
import { clinics, forms } from '../db/schema'
import type { Bindings, Config } from '../env'
import type { Principal } from '../lib/context'
import { newId } from '../lib/ids'
import { toIso } from '../lib/time'

export const FORM_KINDS = ['enquiry', 'guide', 'scorecard', 'book-call', 'chat'] as const
export type FormKind = (typeof FORM_KINDS)[number]
export type FormRow = typeof forms.$inferSelect

/** An origin as browsers send it: scheme, host and port, no path. */
export const OriginSchema = z
  .string()
  .trim()
  .max(200)
  .refine((v) => {
    try {
      const u = new URL(v)
      return (
        (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === v.replace(/\/$/, '')
      )
    } catch {
      return false
    }
  }, 'An origin such as https://www.yourclinic.co.uk (no path).')
  .transform((v) => new URL(v).origin)

export const NewFormSchema = z.object({
  kind: z.enum(FORM_KINDS),
  name: z.string().trim().min(1).max(120),
  allowedOrigins: z.array(OriginSchema).max(20).default([]),
  guideUrl: z.url().max(2000).nullable().optional(),
})

export const FormPatchSchema = z.object({
  name: z.string().trim().min(1).max(120).optional(),
  allowedOrigins: z.array(OriginSchema).max(20).optional(),
  guideUrl: z.url().max(2000).nullable().optional(),
})

export type FormJson = {
  id: string
  kind: FormKind
  name: string
  allowedOrigins: string[]
  guideUrl: string | null
  embedSnippet: string
  hostedUrl: string
  createdAt: string
}

export function originsOf(row: FormRow): string[] {
  const parsed: unknown = JSON.parse(row.allowedOrigins)
  return Array.isArray(parsed) ? parsed.filter((o): o is string => typeof o === 'string') : []
}

/** The hosted page of a form (works alone, and is what /embed.js frames). */
export function hostedUrl(config: Pick<Config, 'publicBaseUrl'>, formId: string): string {
  return `${config.publicBaseUrl}/f/${encodeURIComponent(formId)}`
}

/** The one line a clinic pastes into its site. */
export function embedSnippet(config: Pick<Config, 'publicBaseUrl'>, formId: string): string {
  return `<script src="${config.publicBaseUrl}/embed.js" data-form="${formId}" async></script>`
}

export function formJson(config: Pick<Config, 'publicBaseUrl'>, row: FormRow): FormJson {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    allowedOrigins: originsOf(row),
    guideUrl: row.guideUrl,
    embedSnippet: embedSnippet(config, row.id),
    hostedUrl: hostedUrl(config, row.id),
    createdAt: toIso(row.createdAt),
  }
}

/** What a public page or submission needs of the form's clinic. */
export type FormClinic = { name: string; country: string }

/**
 * A form by its public id, whichever clinic owns it, with the clinic's name and country (the
 * consent wording and phone parsing need them): one query for submissions and the hosted page.
 */
export async function findPublicForm(
  db: Db,
  formId: string,
): Promise<(FormRow & { clinic: FormClinic }) | null> {
  if (formId.length > 64) return null
  const [row] = await db
    .select({ form: forms, clinic: { name: clinics.name, country: clinics.country } })
    .from(forms)
    .innerJoin(clinics, eq(clinics.id, forms.clinicId))
    .where(eq(forms.id, formId))
    .limit(1)
  return row ? { ...row.form, clinic: row.clinic } : null
}

export async function createForm(
  db: Db,
  env: Bindings,
  config: Config,
  principal: Principal,
  input: z.output<typeof NewFormSchema>,
): Promise<FormJson> {
  const row = await createOwned(
    db,
    env,
    principal,
    forms,
    {
      id: newId('frm'),
      clinicId: principal.clinicId,
      kind: input.kind,
      name: input.name,
      allowedOrigins: JSON.stringify([...new Set(input.allowedOrigins)]),
      guideUrl: input.guideUrl ?? null,
    },
    'form.create',
    (r) => `form:${r.id}`,
  )
  return formJson(config, row)
}

export async function listForms(
  db: Db,
  config: Config,
  clinicId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: FormJson[]; nextCursor: string | null }> {
  const { items, nextCursor } = await clinicRowsPage(db, forms, clinicId, page)
  return { items: items.map((r) => formJson(config, r)), nextCursor }
}

export async function updateForm(
  db: Db,
  env: Bindings,
  config: Config,
  principal: Principal,
  id: string,
  input: z.output<typeof FormPatchSchema>,
): Promise<FormJson> {
  const set: Partial<typeof forms.$inferInsert> = {}
  if (input.name !== undefined) set.name = input.name
  if (input.allowedOrigins !== undefined) {
    set.allowedOrigins = JSON.stringify([...new Set(input.allowedOrigins)])
  }
  if (input.guideUrl !== undefined) set.guideUrl = input.guideUrl
  if (Object.keys(set).length > 0) set.updatedAt = Date.now()
  const row = await updateOwned(db, env, principal, forms, id, set, {
    action: 'form.change',
    target: `form:${id}`,
  })
  return formJson(config, row)
}
