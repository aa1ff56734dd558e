/**
 * OpenAPI building blocks shared by every API route file: the one problem+json error schema,
 * the security requirements, JSON body/response helpers and the `{items, nextCursor}` list shape.
 */
import { z } from '@hono/zod-openapi'
import { PageQuerySchema } from '../lib/pagination'
import { type Action, isApiKeyScope } from './policy'

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem')

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input',
  401: 'Not signed in',
  403: 'Forbidden (role, Origin check, or an API key where a person is needed)',
  404: 'Not found (or another clinic’s)',
  409: 'Conflict',
  413: 'Too large',
  415: 'Not JSON',
  429: 'Too many attempts (see Retry-After)',
}

/** One problem+json response with a route-specific description. */
export function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: ProblemSchema } } }
}

type ProblemStatus = keyof typeof DESCRIPTIONS

/** Problem+json responses for the given status codes, with the generic descriptions. */
export function problems<const S extends readonly ProblemStatus[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((s) => [s, problem(DESCRIPTIONS[s] ?? 'Error')])) as {
    [K in S[number]]: {
      description: string
      content: { 'application/problem+json': { schema: typeof ProblemSchema } }
    }
  }
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } } as const
}

/** A JSON response. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } } as const
}

/**
 * A route's responses in one line: `status` with `schema` as JSON, or problem+json for each of
 * `statuses` (generic descriptions). `answers(200, CallSchema, 'The call', 401, 403, 404)`.
 */
export function answers<
  const C extends 200 | 201,
  T extends z.ZodType,
  const S extends readonly ProblemStatus[],
>(status: C, schema: T, description: string, ...statuses: S) {
  return { [status]: jsonResponse(schema, description), ...problems(...statuses) } as {
    [K in C]: ReturnType<typeof jsonResponse<T>>
  } & ReturnType<typeof problems<S>>
}

/** The responses of a route that answers 204 with no body, or problem+json for `statuses`. */
export function noContent<const S extends readonly ProblemStatus[]>(
  description: string,
  ...statuses: S
) {
  return { 204: { description }, ...problems(...statuses) }
}

/** The paginated list shape every list endpoint answers with: `{items, nextCursor}`. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() })
}

/**
 * A list route's request and responses, spread into its config: the `limit`/`cursor` query (or
 * `query`, which must include them), and a page of `item` or a problem (bad cursor, sign-in, role).
 */
export function listing<T extends z.ZodType, Q extends z.ZodObject = typeof PageQuerySchema>(
  item: T,
  description: string,
  query?: Q,
) {
  return {
    request: { query: (query ?? PageQuerySchema) as Q },
    responses: { 200: jsonResponse(listOf(item), description), ...problems(400, 401, 403) },
  }
}

/** A route that reads one item by its `{id}`, spread into its config: the item, or 401/403/404. */
export function byId<T extends z.ZodType>(item: T, description: string) {
  return {
    request: { params: IdParamSchema },
    responses: answers(200, item, description, 401, 403, 404),
  }
}

/** What a JSON body's route may answer besides its item: bad input, sign-in, role, not JSON. */
const BODY_PROBLEMS = [400, 401, 403, 415] as const

/**
 * A route that takes a JSON `body` and answers `status` with the item (201: created; 200: changed),
 * or a problem (bad input, sign-in, role, not JSON, and any of `more`); spread into its config.
 * `withBody(201, NewFormSchema, FormSchema, 'Created')`.
 */
export function withBody<
  C extends 200 | 201,
  T extends z.ZodType,
  B extends z.ZodType,
  const S extends readonly ProblemStatus[],
>(status: C, body: B, item: T, description: string, ...more: S) {
  const responses = answers(status, item, description, ...BODY_PROBLEMS, ...more)
  return { request: { body: jsonBody(body) }, responses }
}

/** The same route about one item by its `{id}`: the id in the path, and 404 for no such item. */
export function withId<Q extends object, P extends object>(route: { request: Q; responses: P }) {
  return {
    request: { params: IdParamSchema, ...route.request } as { params: typeof IdParamSchema } & Q,
    responses: { ...route.responses, ...problems(404) } as P & ReturnType<typeof problems<[404]>>,
  }
}

/**
 * The OpenAPI security requirement of a route guarded by `requireAuth(action)`: a session, plus
 * an API key holding the scope `action` when the policy lets keys carry it.
 */
export function securityFor(action: Action): Record<string, string[]>[] {
  return isApiKeyScope(action) ? [{ session: [] }, { apiKey: [action] }] : [{ session: [] }]
}

export const IdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'usr_01JD3Q8Z5X0000000000000000' }),
})
