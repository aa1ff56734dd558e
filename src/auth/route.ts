/**
 * `guardedRoute(action, config)`: the one way to declare an `/api/v1` route that needs a signed-in
 * caller. It adds the OpenAPI security requirement and the `requireAuth(action)` middleware from
 * the one policy, so a route cannot document one permission and enforce another.
 */
import { createRoute, type RouteConfig } from '@hono/zod-openapi'
import { requireAuth } from './middleware'
import { securityFor } from './openapi'
import type { Action } from './policy'

export function guardedRoute<
  const P extends string,
  const R extends Omit<RouteConfig, 'path' | 'security' | 'middleware'> & { path: P },
>(action: Action, config: R) {
  return createRoute({
    ...config,
    security: securityFor(action),
    middleware: [requireAuth(action)] as const,
  })
}
