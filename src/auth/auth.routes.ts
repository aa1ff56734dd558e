/** OpenAPI route definitions (zod schemas + createRoute) for auth, the team and API keys. */

import { z } from '@hono/zod-openapi'
import { refuseForeignOrigin } from './middleware'
import { answers, IdParamSchema, listing, noContent, problems, withBody, withId } from './openapi'
import { API_KEY_SCOPES, DEFAULT_API_KEY_SCOPES, POLICY } from './policy'
import { guardedRoutes, openRoutes } from './route'
import {
  InviteInputSchema,
  LogInInputSchema,
  PasswordResetRequestSchema,
  RoleSchema,
  SignUpInputSchema,
  TokenPasswordInputSchema,
} from './service'

const authRoute = guardedRoutes('Auth')
const teamRoute = guardedRoutes('Team')

const UserSchema = z
  .object({
    id: z.string().openapi({ example: 'usr_01JD3Q8Z5X0000000000000000' }),
    email: z.string().openapi({ example: 'owner@demo.clinic' }),
    role: RoleSchema,
  })
  .openapi('User')

const TeamMemberSchema = UserSchema.extend({
  status: z.enum(['active', 'invited', 'disabled']),
  createdAt: z.string().openapi({ example: '2026-11-23T09:15:00Z' }),
  lastLoginAt: z.string().nullable(),
  alerts: z.boolean().openapi({
    description: 'Gets the staff alert emails (owners and admins by default).',
  }),
}).openapi('TeamMember')

/** Every scope a key may carry, each described from the policy table. */
export const ApiKeyScopeSchema = z.enum(API_KEY_SCOPES).openapi('ApiKeyScope', {
  description: `What an API key may do. ${API_KEY_SCOPES.map((s) => `\`${s}\`: ${POLICY[s].about}`).join(' ')} No key reads the audit log, the team, the outbox or privacy requests, or manages keys.`,
})

const ApiKeySummarySchema = z
  .object({
    id: z.string().openapi({ example: 'key_01JD3Q8Z5X0000000000000000' }),
    name: z.string().openapi({ example: 'Practice system' }),
    prefix: z.string().openapi({ example: 'rb_live_Ab3x' }),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    scopes: z.array(ApiKeyScopeSchema),
  })
  .openapi('ApiKey')

const openRoute = openRoutes('Auth', refuseForeignOrigin)

const SignedUpSchema = z.object({
  clinic: z.object({ id: z.string(), name: z.string() }),
  user: UserSchema,
})
const SignedInSchema = z.object({ user: UserSchema })
const MeSchema = z.object({
  user: UserSchema,
  clinic: z.object({ id: z.string(), name: z.string(), timezone: z.string() }),
})

export const signUpRoute = openRoute('post /auth/signup', SignUpInputSchema, {
  summary: 'Create a clinic and its owner, and sign in',
  description:
    'Limited per client (429 with Retry-After). Outside sandbox mode the body must carry a Turnstile token in `cf-turnstile-response` (403 when missing or rejected).',
  responses: answers(201, SignedUpSchema, 'Created and signed in', 400, 403, 409, 415, 429),
})

export const logInRoute = openRoute('post /auth/login', LogInInputSchema, {
  summary: 'Sign in with email and password',
  description:
    'Five failed attempts on one account from one client within 15 minutes lock that client out of that account for 15 minutes (429 with Retry-After); one client across accounts and one account across clients have wider limits (see docs/SECURITY.md).',
  responses: answers(200, SignedInSchema, 'Signed in (cookie set)', 400, 401, 403, 415, 429),
})

export const logOutRoute = authRoute('account:self', 'post /auth/logout', {
  summary: 'Sign out (revokes the session server-side)',
  responses: noContent('Signed out', 401, 403),
})

export const meRoute = authRoute('account:self', 'get /me', {
  summary: 'The signed-in member and their clinic',
  responses: answers(200, MeSchema, 'The member and clinic', 401, 403),
})

export const acceptInviteRoute = openRoute('post /auth/invites/accept', TokenPasswordInputSchema, {
  summary: 'Accept an invite: set a password and sign in',
  responses: answers(200, SignedInSchema, 'Signed in (cookie set)', 400, 403, 415, 429),
})

export const passwordResetRoute = openRoute(
  'post /auth/password-reset',
  PasswordResetRequestSchema,
  {
    summary: 'Email a password-reset link',
    description:
      'Always 202 in the same time, whether or not the email has an account (the email is queued after the response). Limited per client (429).',
    responses: { 202: { description: 'Accepted' }, ...problems(400, 403, 415, 429) },
  },
)

export const passwordResetConfirmRoute = openRoute(
  'post /auth/password-reset/confirm',
  TokenPasswordInputSchema,
  {
    summary: 'Set a new password from a reset link (signs out every session)',
    responses: noContent('Password changed', 400, 403, 415, 429),
  },
)

const InvitedSchema = z.object({
  user: UserSchema.extend({ status: z.literal('invited') }),
  inviteToken: z.string(),
  inviteExpiresAt: z.string(),
})

const MemberPatchSchema = z
  .object({ role: RoleSchema.optional(), alerts: z.boolean().optional() })
  .refine((b) => b.role !== undefined || b.alerts !== undefined, {
    message: 'Give a role or alerts.',
  })

const NewApiKeySchema = z.object({
  name: z.string().trim().min(1).max(80).openapi({ example: 'Practice system' }),
  scopes: z
    .array(ApiKeyScopeSchema)
    .min(1)
    .max(API_KEY_SCOPES.length)
    .optional()
    .openapi({
      description: `What the key may do; default ${DEFAULT_API_KEY_SCOPES.join(', ')}.`,
      example: [...DEFAULT_API_KEY_SCOPES],
    }),
})

const CreatedApiKeySchema = ApiKeySummarySchema.extend({
  key: z.string().openapi({ example: 'rb_live_…' }),
})

// --- Team -------------------------------------------------------------------------------------

export const inviteUserRoute = teamRoute('team:write', 'post /users', {
  summary: 'Invite a team member (emails a one-time link; limited per clinic, 429)',
  ...withBody(201, InviteInputSchema, InvitedSchema, 'Invited', 409, 429),
})

export const listUsersRoute = teamRoute('team:read', 'get /users', {
  summary: 'List the team',
  ...listing(TeamMemberSchema, 'The team'),
})

export const updateUserRoute = teamRoute('team:write', 'patch /users/{id}', {
  summary: "Change a member's role, or whether they get staff alert emails",
  ...withId(withBody(200, MemberPatchSchema, TeamMemberSchema, 'Updated', 409)),
})

export const disableUserRoute = teamRoute('team:write', 'delete /users/{id}', {
  summary: 'Disable a member and sign them out everywhere',
  request: { params: IdParamSchema },
  responses: noContent('Disabled', 401, 403, 404, 409),
})

// --- API keys ---------------------------------------------------------------------------------

export const createApiKeyRoute = teamRoute('api-keys:manage', 'post /api-keys', {
  summary: 'Create an API key (shown once)',
  ...withBody(201, NewApiKeySchema, CreatedApiKeySchema, 'Created (key shown once)'),
})

export const listApiKeysRoute = teamRoute('api-keys:manage', 'get /api-keys', {
  summary: "List the clinic's API keys (never the keys themselves)",
  ...listing(ApiKeySummarySchema, 'Keys'),
})

export const revokeApiKeyRoute = teamRoute('api-keys:manage', 'delete /api-keys/{id}', {
  summary: 'Revoke an API key',
  request: { params: IdParamSchema },
  responses: noContent('Revoked', 401, 403, 404),
})
