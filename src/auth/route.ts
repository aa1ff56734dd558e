/**
 * `guardedRoute(action, 'post /calls/{id}/resolve', config)`: the one way to declare an `/api/v1`
 * route that needs a signed-in caller. It adds the OpenAPI security requirement and the `requireAuth(action)` middleware from
 * the one policy, so a route cannot document one permission and enforce another.
 */
import { createRoute, type RouteConfig } from '@hono/zod-openapi'
import { requireAuth } from './middleware'
import { securityFor } from './openapi'
import type { Action } from './policy'

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'
type MethodOf<E> = E extends `${infer M extends Method} ${string}` ? M : never
type PathOf<E> = E extends `${Method} ${infer P}` ? P : never

/** The `config` of a guarded route: everything but what `guardedRoute` derives itself. */
type GuardedConfig = Omit<RouteConfig, 'method' | 'path' | 'security' | 'middleware'>

export function guardedRoute<const E extends `${Method} /${string}`, const R extends GuardedConfig>(
  action: Action,
  endpoint: E,
  config: R,
) {
  const [method, path] = endpoint.split(' ') as [MethodOf<E>, PathOf<E>]
  return createRoute({
    ...config,
    method,
    path,
    security: securityFor(action),
    middleware: [requireAuth(action)] as const,
  })
}
