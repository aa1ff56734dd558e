/**
 * Automations, managed by owners and admins: the one service behind the JSON API and the
 * Automations page. Each carries its description in words (`describeAutomation`); every change is
 * audited; a new clinic starts with sensible defaults (`DEFAULT_AUTOMATIONS`).
 */
import { z } from '@hono/zod-openapi'
import { eq } from 'drizzle-orm'
import { requireAssignee } from '../auth/team'
import { createOwned, removeOwned, updateOwned } from '../clinic/owned'
import type { Db } from '../db/client'
import { clinicRowsPage, newestRows } from '../db/clinic-pages'
import { findClinicRow, ownedBy } from '../db/clinic-row'
import { automationRuns, automations } from '../db/schema'
import type { Bindings } from '../env'
import type { Principal } from '../lib/context'
import { newId } from '../lib/ids'
import { decodeCursor, paginate } from '../lib/pagination'
import { notFound } from '../lib/problem'
import { toIso, toIsoOrNull } from '../lib/time'
import {
  type Action,
  ActionSchema,
  type Condition,
  ConditionSchema,
  describeAutomation,
  TRIGGERS,
  type Trigger,
} from './rules'

export type AutomationRow = typeof automations.$inferSelect

export const AutomationInputSchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    enabled: z.boolean().default(true),
    trigger: z.enum(TRIGGERS),
    delayMinutes: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 60)
      .default(0),
    conditions: z.array(ConditionSchema).max(10).default([]),
    actions: z.array(ActionSchema).min(1).max(5),
  })
  .openapi('AutomationInput')
export type AutomationInput = z.output<typeof AutomationInputSchema>

export const AutomationPatchSchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    enabled: z.boolean(),
    trigger: z.enum(TRIGGERS),
    delayMinutes: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 60),
    conditions: z.array(ConditionSchema).max(10),
    actions: z.array(ActionSchema).min(1).max(5),
  })
  .partial()
  .openapi('AutomationPatch')

export type AutomationJson = {
  id: string
  name: string
  enabled: boolean
  trigger: Trigger
  delayMinutes: number
  conditions: Condition[]
  actions: Action[]
  /** The automation in one sentence. */
  description: string
  createdAt: string
  updatedAt: string | null
}

export function automationJson(row: AutomationRow): AutomationJson {
  const conditions = JSON.parse(row.conditions) as Condition[]
  const actions = JSON.parse(row.actions) as Action[]
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    trigger: row.trigger,
    delayMinutes: row.delayMinutes,
    conditions,
    actions,
    description: describeAutomation({ ...row, conditions, actions }),
    createdAt: toIso(row.createdAt),
    updatedAt: toIsoOrNull(row.updatedAt),
  }
}

/** What a new clinic starts with (editable; the first two on, the third off until chosen). */
export const DEFAULT_AUTOMATIONS: AutomationInput[] = [
  {
    name: 'Missed call in opening hours: tell reception',
    enabled: true,
    trigger: 'missed-call',
    delayMinutes: 5,
    conditions: [{ type: 'opening-hours', open: true }],
    actions: [{ type: 'notify-staff' }],
  },
  {
    name: 'A conversation needs a person: tell reception',
    enabled: true,
    trigger: 'conversation-needs-human',
    delayMinutes: 0,
    conditions: [],
    actions: [{ type: 'notify-staff' }],
  },
  {
    name: 'Hot new lead: tell reception',
    enabled: false,
    trigger: 'lead-created',
    delayMinutes: 0,
    conditions: [{ type: 'lead-score', atLeast: 60 }],
    actions: [{ type: 'notify-staff' }],
  },
]

/** The statements that give a new clinic its default automations (for its creation batch). */
export function defaultAutomationRows(clinicId: string, now: number) {
  return DEFAULT_AUTOMATIONS.map((a) => ({
    id: newId('aut', now),
    clinicId,
    name: a.name,
    enabled: a.enabled,
    trigger: a.trigger,
    delayMinutes: a.delayMinutes,
    conditions: JSON.stringify(a.conditions),
    actions: JSON.stringify(a.actions),
    createdAt: now,
  }))
}

/** Refuses an `assign` action naming someone outside the clinic (400 on the field). */
async function checkActions(db: Db, clinicId: string, actions: readonly Action[] | undefined) {
  for (const [i, a] of (actions ?? []).entries()) {
    if (a.type === 'assign') await requireAssignee(db, clinicId, a.userId, `actions.${i}.userId`)
  }
}

export async function listAutomations(
  db: Db,
  clinicId: string,
  page: { limit: number; cursor?: string | undefined },
) {
  const { items, nextCursor } = await clinicRowsPage(db, automations, clinicId, page)
  return { items: items.map(automationJson), nextCursor }
}

export async function getAutomation(db: Db, clinicId: string, id: string) {
  const row = await findClinicRow(db, automations, clinicId, id)
  if (!row) throw notFound('No such automation.')
  return automationJson(row)
}

export async function createAutomation(
  db: Db,
  env: Bindings,
  principal: Principal,
  input: AutomationInput,
): Promise<AutomationJson> {
  await checkActions(db, principal.clinicId, input.actions)
  const row = await createOwned(
    db,
    env,
    principal,
    automations,
    {
      id: newId('aut'),
      clinicId: principal.clinicId,
      name: input.name,
      enabled: input.enabled,
      trigger: input.trigger,
      delayMinutes: input.delayMinutes,
      conditions: JSON.stringify(input.conditions),
      actions: JSON.stringify(input.actions),
    },
    'automation.create',
    (r) => `automation:${r.id}`,
  )
  return automationJson(row)
}

export async function updateAutomation(
  db: Db,
  env: Bindings,
  principal: Principal,
  id: string,
  input: z.output<typeof AutomationPatchSchema>,
): Promise<AutomationJson> {
  await checkActions(db, principal.clinicId, input.actions)
  const set: Partial<typeof automations.$inferInsert> = {}
  if (input.name !== undefined) set.name = input.name
  if (input.enabled !== undefined) set.enabled = input.enabled
  if (input.trigger !== undefined) set.trigger = input.trigger
  if (input.delayMinutes !== undefined) set.delayMinutes = input.delayMinutes
  if (input.conditions !== undefined) set.conditions = JSON.stringify(input.conditions)
  if (input.actions !== undefined) set.actions = JSON.stringify(input.actions)
  if (Object.keys(set).length > 0) set.updatedAt = Date.now()
  const row = await updateOwned(db, env, principal, automations, id, set, {
    action: 'automation.change',
    target: `automation:${id}`,
  })
  return automationJson(row)
}

/** Deletes an automation (its runs stay, as the record of what it did). */
export function deleteAutomation(db: Db, env: Bindings, principal: Principal, id: string) {
  return removeOwned(db, env, principal, automations, id, {
    action: 'automation.delete',
    target: `automation:${id}`,
  })
}

export type AutomationRunJson = {
  id: string
  eventKey: string
  status: (typeof automationRuns.$inferSelect)['status']
  dueAt: string
  ranAt: string | null
  outcome: unknown
  createdAt: string
}

/** An automation's runs, newest first (ids and outcomes only: no personal data). */
export async function listAutomationRuns(
  db: Db,
  clinicId: string,
  automationId: string,
  page: { limit: number; cursor?: string | undefined },
) {
  await getAutomation(db, clinicId, automationId)
  const r = automationRuns
  const rows = await newestRows(
    db,
    r,
    r.createdAt,
    [ownedBy(r, clinicId, eq(r.automationId, automationId))],
    page.limit,
    decodeCursor(page.cursor),
  )
  const { items, nextCursor } = paginate(rows, page.limit, (x) => ({ t: x.createdAt, id: x.id }))
  return {
    items: items.map(
      (x): AutomationRunJson => ({
        id: x.id,
        eventKey: x.eventKey,
        status: x.status,
        dueAt: toIso(x.dueAt),
        ranAt: toIsoOrNull(x.ranAt),
        outcome: x.outcome ? JSON.parse(x.outcome) : null,
        createdAt: toIso(x.createdAt),
      }),
    ),
    nextCursor,
  }
}
