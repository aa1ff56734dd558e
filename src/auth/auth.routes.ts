/** OpenAPI route definitions (zod schemas + createRoute) for auth, the team and API keys. */

import { createRoute, z } from '@hono/zod-openapi'
import { CursorSchema, LimitSchema } from '../lib/pagination'
import { refuseForeignOrigin } from './middleware'
import {
  answers,
  IdParamSchema,
  jsonBody,
  jsonResponse,
  listResponses,
  noContent,
  problems,
} from './openapi'
import { API_KEY_SCOPES, DEFAULT_API_KEY_SCOPES, POLICY } from './policy'
import { guardedRoute } from './route'
import {
  InviteInputSchema,
  LogInInputSchema,
  PasswordResetRequestSchema,
  RoleSchema,
  SignUpInputSchema,
  TokenPasswordInputSchema,
} from './service'

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

const ListQuerySchema = z.object({ limit: LimitSchema, cursor: CursorSchema })

const tags = ['Auth']
const teamTags = ['Team']

export const signUpRoute = createRoute({
  method: 'post',
  path: '/auth/signup',
  tags,
  summary: 'Create a clinic and its owner, and sign in',
  description:
    'Limited per client (429 with Retry-After). Outside sandbox mode the body must carry a Turnstile token in `cf-turnstile-response` (403 when missing or rejected).',
  middleware: [refuseForeignOrigin] as const,
  request: { body: jsonBody(SignUpInputSchema) },
  responses: {
    201: jsonResponse(
      z.object({
        clinic: z.object({ id: z.string(), name: z.string() }),
        user: UserSchema,
      }),
      'Created; the session cookie is set',
    ),
    ...problems(400, 403, 409, 415, 429),
  },
})

export const logInRoute = createRoute({
  method: 'post',
  path: '/auth/login',
  tags,
  summary: 'Sign in with email and password',
  description:
    'Five failed attempts on one account from one client within 15 minutes lock that client out of that account for 15 minutes (429 with Retry-After); one client across accounts and one account across clients have wider limits (see docs/SECURITY.md).',
  middleware: [refuseForeignOrigin] as const,
  request: { body: jsonBody(LogInInputSchema) },
  responses: answers(
    200,
    z.object({ user: UserSchema }),
    'Signed in; the session cookie is set',
    400,
    401,
    403,
    415,
    429,
  ),
})

export const logOutRoute = guardedRoute('account:self', 'post /auth/logout', {
  tags,
  summary: 'Sign out (revokes the session server-side)',
  responses: noContent('Signed out', 401, 403),
})

export const meRoute = guardedRoute('account:self', 'get /me', {
  tags,
  summary: 'The signed-in member and their clinic',
  responses: {
    200: jsonResponse(
      z.object({
        user: UserSchema,
        clinic: z.object({ id: z.string(), name: z.string(), timezone: z.string() }),
      }),
      'The member and clinic',
    ),
    ...problems(401, 403),
  },
})

export const acceptInviteRoute = createRoute({
  method: 'post',
  path: '/auth/invites/accept',
  tags,
  summary: 'Accept an invite: set a password and sign in',
  middleware: [refuseForeignOrigin] as const,
  request: { body: jsonBody(TokenPasswordInputSchema) },
  responses: answers(
    200,
    z.object({ user: UserSchema }),
    'Signed in; the session cookie is set',
    400,
    403,
    415,
    429,
  ),
})

export const passwordResetRoute = createRoute({
  method: 'post',
  path: '/auth/password-reset',
  tags,
  summary: 'Email a password-reset link',
  description:
    'Always 202 in the same time, whether or not the email has an account (the email is queued after the response). Limited per client (429).',
  middleware: [refuseForeignOrigin] as const,
  request: { body: jsonBody(PasswordResetRequestSchema) },
  responses: { 202: { description: 'Accepted' }, ...problems(400, 403, 415, 429) },
})

export const passwordResetConfirmRoute = createRoute({
  method: 'post',
  path: '/auth/password-reset/confirm',
  tags,
  summary: 'Set a new password from a reset link (signs out every session)',
  middleware: [refuseForeignOrigin] as const,
  request: { body: jsonBody(TokenPasswordInputSchema) },
  responses: noContent('Password changed', 400, 403, 415, 429),
})

// --- Team -------------------------------------------------------------------------------------

export const inviteUserRoute = guardedRoute('team:write', 'post /users', {
  tags: teamTags,
  summary: 'Invite a team member (emails a one-time link; limited per clinic, 429)',
  request: { body: jsonBody(InviteInputSchema) },
  responses: {
    201: jsonResponse(
      z.object({
        user: UserSchema.extend({ status: z.literal('invited') }),
        inviteToken: z.string(),
        inviteExpiresAt: z.string(),
      }),
      'Invited',
    ),
    ...problems(400, 401, 403, 409, 415, 429),
  },
})

export const listUsersRoute = guardedRoute('team:read', 'get /users', {
  tags: teamTags,
  summary: 'List the team',
  request: { query: ListQuerySchema },
  responses: listResponses(TeamMemberSchema, 'The team'),
})

export const updateUserRoute = guardedRoute('team:write', 'patch /users/{id}', {
  tags: teamTags,
  summary: "Change a member's role, or whether they get staff alert emails",
  request: {
    params: IdParamSchema,
    body: jsonBody(
      z
        .object({ role: RoleSchema.optional(), alerts: z.boolean().optional() })
        .refine((b) => b.role !== undefined || b.alerts !== undefined, {
          message: 'Give a role or alerts.',
        }),
    ),
  },
  responses: answers(200, TeamMemberSchema, 'Updated', 400, 401, 403, 404, 409, 415),
})

export const disableUserRoute = guardedRoute('team:write', 'delete /users/{id}', {
  tags: teamTags,
  summary: 'Disable a member and sign them out everywhere',
  request: { params: IdParamSchema },
  responses: noContent('Disabled', 401, 403, 404, 409),
})

// --- API keys ---------------------------------------------------------------------------------

export const createApiKeyRoute = guardedRoute('api-keys:manage', 'post /api-keys', {
  tags: teamTags,
  summary: 'Create an API key (shown once)',
  request: {
    body: jsonBody(
      z.object({
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
      }),
    ),
  },
  responses: {
    201: jsonResponse(
      ApiKeySummarySchema.extend({
        key: z.string().openapi({ example: 'rb_live_…' }),
      }),
      'Created; store the key now, it is not shown again',
    ),
    ...problems(400, 401, 403, 415),
  },
})

export const listApiKeysRoute = guardedRoute('api-keys:manage', 'get /api-keys', {
  tags: teamTags,
  summary: "List the clinic's API keys (never the keys themselves)",
  request: { query: ListQuerySchema },
  responses: listResponses(ApiKeySummarySchema, 'Keys'),
})

export const revokeApiKeyRoute = guardedRoute('api-keys:manage', 'delete /api-keys/{id}', {
  tags: teamTags,
  summary: 'Revoke an API key',
  request: { params: IdParamSchema },
  responses: noContent('Revoked', 401, 403, 404),
})
