/**
 * `guardedRoutes(tag)`: the one way to declare `/api/v1` routes that need a signed-in caller. It adds the OpenAPI security requirement and the `requireAuth(action)` middleware from
 * the one policy, so a route cannot document one permission and enforce another.
 */
import { createRoute, type RouteConfig, type z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { requireAuth } from './middleware'
import { jsonBody, securityFor } from './openapi'
import type { Action } from './policy'

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'
type MethodOf<E> = E extends `${infer M extends Method} ${string}` ? M : never
type PathOf<E> = E extends `${Method} ${infer P}` ? P : never

/** The `config` of a guarded route: everything but what `guardedRoute` derives itself. */
type GuardedConfig = Omit<RouteConfig, 'method' | 'path' | 'security' | 'middleware'>
type OpenConfig = Omit<GuardedConfig, 'request'>

type Endpoint = `${Method} /${string}`

/**
 * The declarer of one API area's guarded routes, all under the OpenAPI tag `tag`:
 * `const callsRoute = guardedRoutes('Calls')`, then
 * `callsRoute('calls:act', 'post /calls/{id}/resolve', { summary, request, responses })`.
 */
export function guardedRoutes(tag: string) {
  return <const E extends Endpoint, const R extends GuardedConfig>(
    action: Action,
    endpoint: E,
    config: R,
  ) =>
    createRoute({
      tags: [tag],
      ...config,
      ...endpointOf(endpoint),
      security: securityFor(action),
      middleware: [requireAuth(action)] as const,
    })
}

/**
 * The declarer of one area's routes that need no sign-in (sign-up, sign-in, password resets):
 * `openRoute('post /auth/login', LogInInputSchema, config)`, each taking a JSON body and behind
 * `guard` (e.g. the Origin check).
 */
export function openRoutes(tag: string, guard: MiddlewareHandler) {
  return <const E extends Endpoint, B extends z.ZodType, const R extends OpenConfig>(
    endpoint: E,
    body: B,
    config: R,
  ) =>
    createRoute({
      tags: [tag],
      ...config,
      request: { body: jsonBody(body) },
      ...endpointOf(endpoint),
      middleware: [guard] as const,
    })
}

function endpointOf<E extends Endpoint>(endpoint: E) {
  const [method, path] = endpoint.split(' ') as [MethodOf<E>, PathOf<E>]
  return { method, path }
}
