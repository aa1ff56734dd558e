/**
 * Forms and submissions in tests: a form made through the API by the clinic's owner (embeddable
 * on SITE), and a submission posted as a browser on that site would — JSON, or multipart when a
 * FormData is given — each from its own client address so the per-client limit stays out of the
 * way unless a test names one.
 */
import { expect } from 'vitest'
import { api, call, type TestClinic } from './clinic'

export const SITE = 'https://www.smile.example'

export type FormJson = {
  id: string
  embedSnippet: string
  hostedUrl: string
  allowedOrigins: string[]
}

export async function newForm(
  clinic: TestClinic,
  kind = 'enquiry',
  extra: object = {},
): Promise<FormJson> {
  const owner = await clinic.as('owner')
  const res = await api(
    'POST',
    '/api/v1/forms',
    { kind, name: `${kind} form`, allowedOrigins: [SITE], ...extra },
    owner.headers,
  )
  expect(res.status).toBe(201)
  return (await res.json()) as FormJson
}

let ip = 0

/** POSTs a submission to the form; `origin` null sends none. */
export function submit(
  formId: string,
  body: unknown,
  options: { origin?: string | null; clientIp?: string } = {},
): Promise<Response> {
  const origin = options.origin === undefined ? SITE : options.origin
  const multipart = body instanceof FormData
  return call(`/api/v1/forms/${formId}/submissions`, {
    method: 'POST',
    headers: {
      ...(multipart ? {} : { 'content-type': 'application/json' }),
      'cf-connecting-ip': options.clientIp ?? `198.51.100.${(ip++ % 250) + 1}`,
      ...(origin ? { origin } : {}),
    },
    body: multipart ? body : typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** A multipart body: the fields as the `data` part, and each photo as a `photos` part. */
export function multipart(
  data: unknown,
  photos: { bytes: Uint8Array; name: string; type?: string }[] = [],
) {
  const form = new FormData()
  form.set('data', JSON.stringify(data))
  for (const p of photos)
    form.append('photos', new File([p.bytes], p.name, { type: p.type ?? 'image/jpeg' }))
  return form
}
