/** Signing in from a request, the same for the API's `/auth/login` and the dashboard's form. */
import type { Context } from 'hono'
import type { AppEnv } from '../lib/context'
import { clientIpOf } from '../lib/rate-limit'
import { type LogInInput, logIn } from './service'
import { readDeviceMark, rememberDevice, startSession } from './sessions'

/**
 * Checks the credentials with the request's throttling inputs (client IP, device mark), then
 * starts the session and remembers the device. Throws the service's problems unchanged.
 */
export async function signIn(c: Context<AppEnv>, credentials: LogInInput) {
  const user = await logIn(c.var.db, c.var.config, credentials, {
    env: c.env,
    clientIp: clientIpOf(c),
    deviceMark: await readDeviceMark(c),
    waitUntil: (work) => c.executionCtx.waitUntil(work),
  })
  await startSession(c, user)
  await rememberDevice(c, user.email)
  return user
}
