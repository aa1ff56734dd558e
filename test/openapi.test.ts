import { describe, expect, it } from 'vitest'
import { call } from './helpers/clinic'

type Doc = {
  openapi: string
  paths: Record<
    string,
    Record<string, { security?: unknown[]; responses: Record<string, unknown> }>
  >
}

describe('the API reference', () => {
  it('serves OpenAPI 3.1 listing the auth, team and clinic set-up routes with their security', async () => {
    const res = await call('/api/v1/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as Doc
    expect(doc.openapi).toMatch(/^3\.1\./)
    const expected: [string, string][] = [
      ['/api/v1/auth/signup', 'post'],
      ['/api/v1/auth/login', 'post'],
      ['/api/v1/auth/logout', 'post'],
      ['/api/v1/auth/invites/accept', 'post'],
      ['/api/v1/auth/password-reset', 'post'],
      ['/api/v1/auth/password-reset/confirm', 'post'],
      ['/api/v1/me', 'get'],
      ['/api/v1/api-keys', 'post'],
      ['/api/v1/api-keys', 'get'],
      ['/api/v1/api-keys/{id}', 'delete'],
      ['/api/v1/users', 'post'],
      ['/api/v1/users', 'get'],
      ['/api/v1/users/{id}', 'patch'],
      ['/api/v1/users/{id}', 'delete'],
      ['/api/v1/clinic', 'get'],
      ['/api/v1/clinic', 'patch'],
      ['/api/v1/numbers', 'post'],
      ['/api/v1/numbers', 'get'],
      ['/api/v1/numbers/{id}', 'patch'],
      ['/api/v1/numbers/{id}', 'delete'],
      ['/api/v1/treatments', 'post'],
      ['/api/v1/treatments', 'get'],
      ['/api/v1/treatments/{id}', 'patch'],
      ['/api/v1/treatments/{id}', 'delete'],
    ]
    for (const [path, method] of expected) {
      expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined()
    }
    // Changing settings is a person's power (no key scope); reading them is a scope.
    expect(doc.paths['/api/v1/clinic']?.patch?.security).toEqual([{ session: [] }])
    expect(doc.paths['/api/v1/clinic']?.get?.security).toEqual([
      { session: [] },
      { apiKey: ['clinic:read'] },
    ])
    expect(doc.paths['/api/v1/api-keys']?.post?.security).toEqual([{ session: [] }])
    expect(doc.paths['/api/v1/auth/login']?.post?.responses).toHaveProperty('429')
  })

  it('serves an interactive reference at /api/docs', async () => {
    const res = await call('/api/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/html/)
    expect(await res.text()).toContain('/api/v1/openapi.json')
  })
})
