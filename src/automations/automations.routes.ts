/**
 * The automations API (CONTRACT "Reminders, follow-ups and automations"): owners and admins list,
 * create, change and delete automations and read their runs. The conditions and actions are the
 * discriminated unions of src/automations/rules.ts, so the OpenAPI document lists every one.
 */
import { z } from '@hono/zod-openapi'
import { answers, IdParamSchema, listing, noContent, withBody, withId } from '../auth/openapi'
import { guardedRoutes } from '../auth/route'
import { PageQuerySchema } from '../lib/pagination'
import { AutomationInputSchema, AutomationPatchSchema } from './automations.service'
import { ActionSchema, ConditionSchema, TRIGGERS } from './rules'

const route = guardedRoutes('Automations')

export const AutomationSchema = z
  .object({
    id: z.string().openapi({ example: 'aut_01JD3Q8Z5X0000000000000000' }),
    name: z.string(),
    enabled: z.boolean(),
    trigger: z.enum(TRIGGERS),
    delayMinutes: z.number().int(),
    conditions: z.array(ConditionSchema),
    actions: z.array(ActionSchema),
    description: z.string().openapi({
      example:
        'When a missed call comes in during opening hours, wait 5 minutes, then notify reception.',
    }),
    createdAt: z.string(),
    updatedAt: z.string().nullable(),
  })
  .openapi('Automation')

const RunSchema = z
  .object({
    id: z.string(),
    eventKey: z.string().openapi({ example: 'missed-call:cal_01JD3Q8Z5X0000000000000000' }),
    status: z.enum(['scheduled', 'running', 'done', 'skipped', 'failed']),
    dueAt: z.string(),
    ranAt: z.string().nullable(),
    outcome: z.unknown().openapi({
      description:
        '`{reason}` when skipped (e.g. `condition:opening-hours`), else `{actions: [{type, result}]}`.',
    }),
    createdAt: z.string(),
  })
  .openapi('AutomationRun')

export const automationRoutes = {
  list: route('automations:read', 'get /automations', {
    summary: "The clinic's automations, each with its description in words",
    ...listing(AutomationSchema, 'A page of automations'),
  }),
  create: route('automations:write', 'post /automations', {
    summary: 'Create an automation (owner, admin)',
    description:
      'When `trigger`, after `delayMinutes`, if every one of `conditions`, do `actions` in order. Each trigger event runs an automation at most once; every run is logged.',
    ...withBody(201, AutomationInputSchema, AutomationSchema, 'Created'),
  }),
  patch: route('automations:write', 'patch /automations/{id}', {
    summary: 'Change an automation (owner, admin)',
    ...withId(withBody(200, AutomationPatchSchema, AutomationSchema, 'Updated')),
  }),
  remove: route('automations:write', 'delete /automations/{id}', {
    summary: 'Delete an automation (its runs stay on record)',
    request: { params: IdParamSchema },
    responses: noContent('Deleted', 401, 403, 404),
  }),
  runs: route('automations:read', 'get /automations/{id}/runs', {
    summary: 'An automation’s runs, newest first, with what each did',
    request: { params: IdParamSchema, query: PageQuerySchema },
    responses: answers(
      200,
      z.object({ items: z.array(RunSchema), nextCursor: z.string().nullable() }),
      'A page of runs',
      400,
      401,
      403,
      404,
    ),
  }),
}
