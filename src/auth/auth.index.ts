/**
 * Routes: signup, login, logout, me, invites and password resets, the team (/users) and API keys.
 * Handlers are thin: the rules live in ./service.ts and ./team.ts, shared with the dashboard.
 */
import { audit } from '../audit/audit'
import { actorOf } from '../lib/context'
import { createRouter } from '../lib/create-app'
import { clientIpOf } from '../lib/rate-limit'
import { toIso } from '../lib/time'
import {
  acceptInviteRoute,
  createApiKeyRoute,
  disableUserRoute,
  inviteUserRoute,
  listApiKeysRoute,
  listUsersRoute,
  logInRoute,
  logOutRoute,
  meRoute,
  passwordResetConfirmRoute,
  passwordResetRoute,
  revokeApiKeyRoute,
  signUpRoute,
  updateUserRoute,
} from './auth.routes'
import {
  acceptInvite,
  createInvite,
  currentUser,
  resetPassword,
  schedulePasswordReset,
  signUp,
} from './service'
import { endSession, rememberDevice, startSession } from './sessions'
import { signIn } from './sign-in'
import {
  changeRole,
  createApiKey,
  disableMember,
  listApiKeys,
  listTeam,
  memberById,
  revokeApiKey,
  setAlerts,
} from './team'

export const authRouter = createRouter()
  .openapi(signUpRoute, async (c) => {
    const result = await signUp(c.var.db, c.var.config, c.env, c.req.valid('json'), {
      ip: clientIpOf(c),
    })
    await startSession(c, result.user)
    await rememberDevice(c, result.user.email)
    const { id, email, role } = result.user
    return c.json({ clinic: result.clinic, user: { id, email, role } }, 201)
  })
  .openapi(logInRoute, async (c) => {
    const user = await signIn(c, c.req.valid('json'))
    return c.json({ user: { id: user.id, email: user.email, role: user.role } }, 200)
  })
  .openapi(logOutRoute, async (c) => {
    const principal = c.var.principal
    await endSession(c, principal.sessionTokenHash)
    await audit(c.env, principal.clinicId, {
      actor: actorOf(principal),
      action: 'auth.logout',
      target: actorOf(principal),
    })
    return c.body(null, 204)
  })
  .openapi(meRoute, async (c) => {
    return c.json(await currentUser(c.var.db, c.var.config, c.var.principal), 200)
  })
  .openapi(acceptInviteRoute, async (c) => {
    const user = await acceptInvite(c.var.db, c.var.config, c.env, c.req.valid('json'), {
      ip: clientIpOf(c),
    })
    await startSession(c, user)
    await rememberDevice(c, user.email)
    return c.json({ user: { id: user.id, email: user.email, role: user.role } }, 200)
  })
  .openapi(passwordResetRoute, async (c) => {
    // The look-up and the email happen after the response: the same answer, in the same time.
    await schedulePasswordReset(c.var.db, c.var.config, c.env, c.req.valid('json'), {
      client: { ip: clientIpOf(c) },
      waitUntil: (work) => c.executionCtx.waitUntil(work),
    })
    return c.body(null, 202)
  })
  .openapi(passwordResetConfirmRoute, async (c) => {
    await resetPassword(c.var.db, c.var.config, c.env, c.req.valid('json'), {
      ip: clientIpOf(c),
    })
    return c.body(null, 204)
  })
  .openapi(inviteUserRoute, async (c) => {
    const invite = await createInvite(
      c.var.db,
      c.var.config,
      c.env,
      c.var.principal,
      c.req.valid('json'),
    )
    const { id, email, role, status } = invite.user
    return c.json(
      {
        user: { id, email, role, status },
        inviteToken: invite.token,
        inviteExpiresAt: toIso(invite.expiresAt),
      },
      201,
    )
  })
  .openapi(listUsersRoute, async (c) => {
    const page = c.req.valid('query')
    return c.json(await listTeam(c.var.db, c.var.config, c.var.principal.clinicId, page), 200)
  })
  .openapi(updateUserRoute, async (c) => {
    const { id } = c.req.valid('param')
    const { role, alerts } = c.req.valid('json')
    const { db, config, principal } = c.var
    let member = role ? await changeRole(db, config, c.env, principal, id, role) : null
    if (alerts !== undefined) member = await setAlerts(db, config, c.env, principal, id, alerts)
    return c.json(member ?? (await memberById(db, config, principal.clinicId, id)), 200)
  })
  .openapi(disableUserRoute, async (c) => {
    await disableMember(c.var.db, c.env, c.var.principal, c.req.valid('param').id)
    return c.body(null, 204)
  })
  .openapi(createApiKeyRoute, async (c) => {
    const { name, scopes } = c.req.valid('json')
    const created = await createApiKey(c.var.db, c.env, c.var.principal, name, scopes)
    return c.json(created, 201)
  })
  .openapi(listApiKeysRoute, async (c) => {
    return c.json(await listApiKeys(c.var.db, c.var.principal.clinicId, c.req.valid('query')), 200)
  })
  .openapi(revokeApiKeyRoute, async (c) => {
    await revokeApiKey(c.var.db, c.env, c.var.principal, c.req.valid('param').id)
    return c.body(null, 204)
  })
