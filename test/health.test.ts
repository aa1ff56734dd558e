import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'

describe('health and errors', () => {
  it('answers /healthz with ok and the version', async () => {
    const res = await exports.default.fetch('https://ringback.test/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, version: expect.any(String) })
  })

  it('answers unknown paths with a problem+json 404', async () => {
    const res = await exports.default.fetch('https://ringback.test/api/v1/nope')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ status: 404, title: 'Not found' })
  })
})
