/**
 * The one policy (src/auth/policy.ts): its rules as pure functions, then a walk of the whole
 * table for every role and every API-key scope against both the JSON API and the dashboard.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ACTIONS,
  type Action,
  API_KEY_SCOPES,
  can,
  DEFAULT_API_KEY_SCOPES,
  formatScopes,
  POLICY,
  parseScopes,
  roleCan,
} from '../src/auth/policy'
import { canEdit, canView, NAV, PAGES, type PageKey } from '../src/dashboard/access'
import { apiKeys } from '../src/db/schema'
import { ROLES, type Role } from '../src/lib/context'
import { api, call, createTestClinic, ORIGIN } from './helpers/clinic'

describe('the policy table', () => {
  it('answers every role × action exactly as the table says', () => {
    for (const role of ROLES) {
      for (const action of ACTIONS) {
        expect(can({ via: 'session', role }, action), `${role} ${action}`).toBe(
          (POLICY[action].roles as readonly Role[]).includes(role),
        )
      }
    }
  })

  it('pins the decisions: each role’s actions, spelled out', () => {
    const reads = [
      'calls:read',
      'appointments:read',
      'metrics:read',
      'numbers:read',
      'treatments:read',
      'forms:read',
    ]
    const expected: Record<Role, string[]> = {
      owner: [...ACTIONS],
      // Billing is the owner's alone.
      admin: ACTIONS.filter((a) => a !== 'billing:manage'),
      receptionist: [
        ...reads,
        'calls:write',
        'appointments:write',
        'leads:read',
        'leads:write',
        'conversations:read',
        'conversations:write',
        'calls:act',
        'account:self',
      ],
      analyst: [...reads, 'clinic:read', 'account:self'],
    }
    for (const role of ROLES) {
      expect(ACTIONS.filter((a) => roleCan(role, a)).sort(), role).toEqual(expected[role].sort())
    }
    expect([...API_KEY_SCOPES].sort()).toEqual(
      [
        ...reads,
        'calls:write',
        'appointments:write',
        'leads:read',
        'conversations:read',
        'clinic:read',
      ].sort(),
    )
  })

  it('lets a key take exactly its scopes, and never an action the table keeps from keys', () => {
    fc.assert(
      fc.property(fc.subarray(ACTIONS), fc.constantFrom(...ACTIONS), (scopes, action) => {
        const allowed = can({ via: 'api-key', scopes }, action)
        expect(allowed).toBe(scopes.includes(action) && POLICY[action].key)
      }),
    )
  })

  it('keeps people’s powers from keys: no audit, team, outbox, API keys, privacy, jobs or settings', () => {
    for (const a of ACTIONS) {
      if (
        /^(audit|team|outbox|api-keys|privacy|jobs|account|clinic:write|numbers:write|treatments:write)/.test(
          a,
        )
      ) {
        expect(API_KEY_SCOPES, a).not.toContain(a)
      }
    }
    for (const s of ['appointments:write', 'appointments:read', 'calls:read', 'metrics:read']) {
      expect(API_KEY_SCOPES).toContain(s)
    }
    expect(API_KEY_SCOPES).toEqual(expect.arrayContaining(['leads:read', 'conversations:read']))
  })

  it('makes analysts read-only and lets receptionists read and write appointments', () => {
    for (const a of ACTIONS) {
      if (roleCan('analyst', a)) expect(a, a).toMatch(/:read$|^account:self$/)
    }
    for (const a of ['calls:read', 'appointments:read', 'appointments:write'] as const) {
      expect(roleCan('receptionist', a)).toBe(true)
    }
    for (const a of ['team:read', 'audit:read', 'outbox:read', 'privacy:read'] as const) {
      expect(roleCan('analyst', a)).toBe(false)
      expect(roleCan('receptionist', a)).toBe(false)
    }
    expect(roleCan('receptionist', 'clinic:read')).toBe(false)
  })

  it('stores scopes as text and reads back only known ones (a typo grants nothing)', () => {
    fc.assert(
      fc.property(fc.subarray([...API_KEY_SCOPES]), fc.array(fc.string()), (scopes, junk) => {
        expect(parseScopes(formatScopes(scopes))).toEqual(
          API_KEY_SCOPES.filter((s) => scopes.includes(s)),
        )
        const mixed = [...junk.map((j) => j.replace(/,/g, '')), ...scopes].join(',')
        expect(new Set(parseScopes(mixed))).toEqual(new Set(scopes))
      }),
    )
    expect(parseScopes('audit:read,team:read,outbox:read')).toEqual([])
  })

  it('gives keys made before scopes existed the contract’s default set', () => {
    const column = apiKeys.scopes.default
    expect(column).toBe(formatScopes(DEFAULT_API_KEY_SCOPES))
    expect(parseScopes(String(column))).toEqual(
      expect.arrayContaining([
        'appointments:write',
        'appointments:read',
        'calls:read',
        'metrics:read',
      ]),
    )
    expect(parseScopes(String(column))).toHaveLength(4)
  })
})

/** A representative request per action: reads GET; writes send an invalid body (400 = let in). */
type Probe = { method: string; path: string; body?: unknown; ok?: number }
/** The dashboard page (GET) or form (POST) that needs the same action, when there is one. */
type PageProbe = { method: 'GET' | 'POST'; path: string; page: PageKey; ok?: number }

const WALK: Record<Action, { api: Probe | 'no route yet'; page?: PageProbe }> = {
  'calls:read': {
    api: { method: 'GET', path: '/api/v1/calls' },
    page: pg('GET', '/calls', 'calls'),
  },
  'calls:write': { api: { method: 'POST', path: '/api/v1/calls/callbacks', body: {} } },
  'appointments:read': {
    api: { method: 'GET', path: '/api/v1/appointments' },
    page: pg('GET', '/appointments', 'appointments'),
  },
  'appointments:write': { api: { method: 'POST', path: '/api/v1/appointments', body: {} } },
  'metrics:read': {
    api: { method: 'GET', path: '/api/v1/metrics/daily?from=2026-01-01&to=2026-01-02' },
    page: pg('GET', '/', 'overview'),
  },
  // The v1.1 leads feature brings this route; the scope exists already.
  'leads:read': {
    api: { method: 'GET', path: '/api/v1/leads' },
    page: pg('GET', '/leads', 'leads'),
  },
  'conversations:read': {
    api: { method: 'GET', path: '/api/v1/conversations' },
    page: pg('GET', '/inbox', 'inbox'),
  },
  'conversations:write': {
    api: { method: 'POST', path: '/api/v1/conversations/nope/status', body: {} },
    page: pg('POST', '/inbox/cnv_none/status', 'inbox'),
  },
  'calls:act': {
    api: { method: 'POST', path: '/api/v1/calls/nope/resolve', body: {} },
    page: pg('POST', '/calls/nope/resolve', 'worklist'),
  },
  'clinic:read': {
    api: { method: 'GET', path: '/api/v1/clinic' },
    page: pg('GET', '/settings', 'settings'),
  },
  'numbers:read': {
    api: { method: 'GET', path: '/api/v1/numbers' },
    page: pg('GET', '/numbers', 'numbers'),
  },
  'treatments:read': {
    api: { method: 'GET', path: '/api/v1/treatments' },
    page: pg('GET', '/treatments', 'treatments'),
  },
  'clinic:write': {
    api: { method: 'PATCH', path: '/api/v1/clinic', body: { timezone: 7 } },
    page: pg('POST', '/settings', 'settings'),
  },
  'numbers:write': {
    api: { method: 'POST', path: '/api/v1/numbers', body: {} },
    page: pg('POST', '/numbers', 'numbers'),
  },
  'treatments:write': {
    api: { method: 'POST', path: '/api/v1/treatments', body: {} },
    page: pg('POST', '/treatments', 'treatments'),
  },
  'team:read': { api: { method: 'GET', path: '/api/v1/users' }, page: pg('GET', '/team', 'team') },
  'team:write': {
    api: { method: 'POST', path: '/api/v1/users', body: {} },
    page: pg('POST', '/team', 'team'),
  },
  'api-keys:manage': {
    api: { method: 'GET', path: '/api/v1/api-keys' },
    page: pg('POST', '/api-keys', 'api-keys'),
  },
  'outbox:read': {
    api: { method: 'GET', path: '/api/v1/outbox' },
    page: pg('GET', '/outbox', 'outbox'),
  },
  'privacy:read': {
    api: { method: 'GET', path: '/api/v1/privacy/requests' },
    page: pg('GET', '/privacy', 'privacy'),
  },
  'privacy:write': {
    api: { method: 'POST', path: '/api/v1/privacy/requests', body: {} },
    page: pg('POST', '/privacy', 'privacy'),
  },
  'audit:read': {
    api: { method: 'GET', path: '/api/v1/audit' },
    page: pg('GET', '/audit', 'audit'),
  },
  'jobs:read': { api: { method: 'GET', path: '/api/v1/jobs/failures' } },
  'jobs:write': {
    api: { method: 'POST', path: '/api/v1/jobs/failures/jf_none/resolve', body: {} },
  },
  'leads:write': { api: { method: 'PATCH', path: '/api/v1/leads/nope', body: {} } },
  'forms:read': {
    api: { method: 'GET', path: '/api/v1/forms' },
    page: pg('GET', '/forms', 'forms'),
  },
  'forms:write': {
    api: { method: 'POST', path: '/api/v1/forms', body: {} },
    page: pg('POST', '/forms', 'forms'),
  },
  // Let in by role, then 404: a test clinic is not the operator's own tenant.
  'operator:view': {
    api: { method: 'GET', path: '/api/v1/operator/clinics', ok: 404 },
    page: { ...pg('GET', '/operator', 'operator'), ok: 404 },
  },
  'billing:manage': {
    api: { method: 'GET', path: '/api/v1/billing' },
    page: pg('GET', '/billing', 'billing'),
  },
  'automations:read': {
    api: { method: 'GET', path: '/api/v1/automations' },
    page: pg('GET', '/automations', 'automations'),
  },
  'automations:write': {
    api: { method: 'POST', path: '/api/v1/automations', body: {} },
    page: pg('POST', '/automations', 'automations'),
  },
  'account:self': { api: { method: 'GET', path: '/api/v1/me' } },
}

function pg(method: 'GET' | 'POST', path: string, page: PageKey): PageProbe {
  return { method, path, page }
}

/** Actions that may lack a route until their feature lands (none now). */
const PENDING: readonly Action[] = []

async function probeApi(p: Probe, headers: Record<string, string>): Promise<number> {
  const res = await api(p.method, p.path, p.body, headers)
  await res.body?.cancel()
  return res.status
}

async function probePage(p: PageProbe, headers: Record<string, string>): Promise<number> {
  const res = await call(p.path, {
    method: p.method,
    redirect: 'manual',
    headers:
      p.method === 'POST'
        ? { ...headers, 'content-type': 'application/x-www-form-urlencoded' }
        : headers,
    // An empty (invalid) form: a page that lets the caller in answers 400 or re-renders.
    body: p.method === 'POST' ? '' : undefined,
  })
  await res.body?.cancel()
  return res.status
}

/** "Let past authorisation": anything but 401/403 (400, 404 and 200 all mean the guard let it in). */
const letIn = (status: number) => status !== 401 && status !== 403

describe('walking the table against the API and the pages', () => {
  it('covers every action, and each page needs the action its probe names', () => {
    expect(Object.keys(WALK).sort()).toEqual([...ACTIONS].sort())
    for (const a of ACTIONS) {
      if (WALK[a].api === 'no route yet') expect(PENDING).toContain(a)
      const page = WALK[a].page
      if (!page) continue
      const need = page.method === 'GET' ? PAGES[page.page].view : PAGES[page.page].edit
      expect(need, `${page.method} ${page.path}`).toBe(a)
    }
  })

  for (const role of ROLES) {
    it(`${role}: every API route and page answers as the table says`, async () => {
      const clinic = await createTestClinic()
      const member = await clinic.as(role)
      const seen: string[] = []
      for (const action of ACTIONS) {
        const allowed = roleCan(role, action)
        const { api: probe, page } = WALK[action]
        if (probe !== 'no route yet') {
          const status = await probeApi(probe, member.headers)
          seen.push(`api ${action} ${status}`)
          expect(letIn(status), `${role} ${probe.method} ${probe.path} → ${status}`).toBe(allowed)
          if (!allowed) expect(status).toBe(403)
          // Write probes are harmless: let in, they stop at validation (or an unknown id).
          if (allowed && probe.method !== 'GET') expect([400, 404]).toContain(status)
          if (allowed && probe.method === 'GET') expect(status).toBe(probe.ok ?? 200)
        }
        if (page) {
          const status = await probePage(page, member.headers)
          expect(letIn(status), `${role} ${page.method} ${page.path} → ${status}`).toBe(allowed)
          if (!allowed) expect(status).toBe(403)
          if (allowed)
            expect(status, `${role} ${page.method} ${page.path}`).toBe(
              page.ok ?? (page.method === 'GET' ? 200 : 400),
            )
        }
      }
      expect(seen.length).toBe(ACTIONS.length - PENDING.length)
    })
  }

  for (const scope of API_KEY_SCOPES) {
    it(`a key with only ${scope}: that action and nothing else, and no dashboard page`, async () => {
      const clinic = await createTestClinic()
      const key = await clinic.apiKey(scope)
      const headers = { authorization: `Bearer ${key}` }
      for (const action of ACTIONS) {
        const { api: probe, page } = WALK[action]
        if (probe !== 'no route yet') {
          const status = await probeApi(probe, headers)
          expect(letIn(status), `${scope}: ${probe.method} ${probe.path} → ${status}`).toBe(
            action === scope,
          )
          if (action !== scope) expect(status).toBe(403)
        }
        if (page) {
          // The dashboard knows only sessions: a Bearer key is a signed-out visitor there.
          const status = await probePage(page, { ...headers, origin: ORIGIN })
          expect(status, `${scope}: ${page.method} ${page.path}`).toBe(303)
        }
      }
    })
  }

  it('every /api/v1 operation in the OpenAPI document refuses a key without its documented scope, and lets one with it in', async () => {
    const clinic = await createTestClinic()
    const none = await clinic.apiKey('')
    const keyFor = new Map<string, string>()
    for (const scope of API_KEY_SCOPES) keyFor.set(scope, await clinic.apiKey(scope))
    const doc = (await (await call('/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>
    }
    const open = new Set([
      '/api/v1/auth/signup',
      '/api/v1/auth/login',
      '/api/v1/auth/invites/accept',
      '/api/v1/auth/password-reset',
      '/api/v1/auth/password-reset/confirm',
      // Public by design: the embedded form posts here (CORS, Origin, Turnstile and a rate limit).
      '/api/v1/forms/{id}/submissions',
    ])
    let checked = 0
    for (const [path, ops] of Object.entries(doc.paths)) {
      const full = path.startsWith('/api/v1') ? path : `/api/v1${path}`
      if (open.has(full)) continue
      for (const [method, op] of Object.entries(ops)) {
        const url = full.replace(/\{[^}]+\}/g, 'x_1')
        const body = method === 'get' ? undefined : {}
        const send = async (key: string) => {
          const res = await api(method.toUpperCase(), url, body, { authorization: `Bearer ${key}` })
          await res.body?.cancel()
          return res.status
        }
        expect(await send(none), `${method} ${url} with no scopes`).toBe(403)
        const scopes = (op.security ?? []).flatMap((r) => r.apiKey ?? [])
        expect(scopes.length, `${method} ${url} documents one scope at most`).toBeLessThanOrEqual(1)
        for (const scope of scopes) {
          expect(API_KEY_SCOPES as readonly string[], scope).toContain(scope)
          expect(letIn(await send(keyFor.get(scope)!)), `${method} ${url} with ${scope}`).toBe(true)
        }
        checked++
      }
    }
    expect(checked).toBeGreaterThan(25)
  })

  it('the OpenAPI document lists every scope a key may carry, and nothing else', async () => {
    const doc = (await (await call('/api/v1/openapi.json')).json()) as {
      components: { schemas: Record<string, { enum?: string[]; description?: string }> }
    }
    const schema = doc.components.schemas.ApiKeyScope
    expect(schema?.enum).toEqual([...API_KEY_SCOPES])
    for (const scope of API_KEY_SCOPES) expect(schema?.description).toContain(scope)
  })

  it('the navigation lists exactly the pages the role may open, and forms match canEdit', async () => {
    for (const role of ROLES) {
      const clinic = await createTestClinic()
      const member = await clinic.as(role)
      const html = await (await call('/calls', { headers: member.headers })).text()
      const nav = /<nav class="main-nav"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? ''
      const hrefs = [...nav.matchAll(/href="([^"]+)"/g)].map((m) => m[1])
      // The Operator page is listed only in the operator's own tenant (test/billing.test.ts).
      expect(hrefs, role).toEqual(
        NAV.filter((n) => canView(role, n.key) && n.key !== 'operator').map((n) => n.href),
      )
      for (const key of Object.keys(PAGES) as PageKey[]) {
        const edit = PAGES[key].edit
        expect(canEdit(role, key)).toBe(edit !== null && roleCan(role, edit) && canView(role, key))
      }
    }
  })
})
