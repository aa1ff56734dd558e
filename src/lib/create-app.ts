/**
 * Router factory. Every feature builds its routes with `createRouter()`, so validation failures
 * become problem+json 400s the same way everywhere (no input is echoed back).
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from './context'
import { problemResponse, zodErrors } from './problem'

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        return problemResponse(400, 'The request is not valid.', zodErrors(result.error))
      }
    },
  })
}

export type AppRouter = ReturnType<typeof createRouter>
