/**
 * Routes: forms (managed by owners and admins), public submissions (CORS and Origin limited to
 * the form's allowed origins plus the hosted page, Turnstile, a per-client rate limit, photos
 * checked and stripped), and leads (read and worked by the front desk).
 */
import type { Context } from 'hono'
import { afterChatMessage, chatToken } from '../conversations/web-chat'
import type { AppEnv } from '../lib/context'
import { createRouter } from '../lib/create-app'
import { logError } from '../lib/logger'
import { badRequest, forbidden, notFound, ProblemError, zodErrors } from '../lib/problem'
import { clientIpOf, enforceRateLimit } from '../lib/rate-limit'
import { requireTurnstile } from '../lib/turnstile'
import { clientIpLookup } from '../privacy/crypto'
import { listConversions } from './conversions'
import { followUpSubmission, guideKey } from './follow-up'
import {
  createForm,
  type FormRow,
  findPublicForm,
  listForms,
  originsOf,
  updateForm,
} from './forms.service'
import { formRoutes, leadRoutes } from './leads.routes'
import { getLead, listLeads, readLeadPhoto, updateLead } from './leads.service'
import {
  MAX_PHOTO_BYTES,
  MAX_PHOTOS,
  sniffPhotoType,
  stripLocation,
  UnreadableMetadataError,
} from './photos'
import {
  type CleanPhoto,
  kindErrors,
  phoneOf,
  type Submission,
  SubmissionSchema,
  storeSubmission,
} from './submissions'

/** A whole submission at most: five full-size photos and the fields. */
const MAX_SUBMISSION_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 256 * 1024
const MAX_JSON_BYTES = 64 * 1024

const MAX_GUIDE_BYTES = 20 * 1024 * 1024
const ascii = (b: Uint8Array) => String.fromCharCode(...b)

const invalid = (path: string, message: string) =>
  badRequest('The request is not valid.', [{ path, message }])

/** The request's Origin when the form may be posted from it (its allowed origins, or the hosted page). */
function allowedOrigin(c: Context<AppEnv>, form: FormRow): string {
  const origin = c.req.header('origin')
  if (!origin) throw forbidden('Submissions come from a web page with an Origin.')
  if (origin === c.var.config.publicOrigin || originsOf(form).includes(origin)) return origin
  throw forbidden('This form may not be posted from this site.')
}

function corsHeaders(c: Context<AppEnv>, origin: string): void {
  c.header('Access-Control-Allow-Origin', origin)
  c.header('Vary', 'Origin')
}

/** The submission's fields and photo parts, from JSON or multipart (400, 413, 415 otherwise). */
async function readSubmission(req: Request): Promise<{ submission: Submission; files: File[] }> {
  const length = Number(req.headers.get('content-length') ?? '0')
  if (length > MAX_SUBMISSION_BYTES) throw new ProblemError(413, 'The submission is too large.')
  const type = (req.headers.get('content-type') ?? '').toLowerCase()
  let data: unknown
  let files: File[] = []
  if (type.startsWith('application/json')) {
    const text = await req.text()
    if (text.length > MAX_JSON_BYTES) throw new ProblemError(413, 'The submission is too large.')
    data = parseJson(text)
  } else if (type.startsWith('multipart/form-data')) {
    const form = await req.formData().catch(() => {
      throw badRequest('The multipart body could not be read.')
    })
    const part = form.get('data')
    if (typeof part !== 'string') throw invalid('data', 'A part named data with the JSON fields.')
    data = parseJson(part)
    files = form.getAll('photos').filter((p): p is File => typeof p !== 'string' && p.size > 0)
  } else {
    throw new ProblemError(415, 'Send application/json or multipart/form-data.')
  }
  const parsed = SubmissionSchema.safeParse(data)
  if (!parsed.success) throw badRequest('The request is not valid.', zodErrors(parsed.error))
  return { submission: parsed.data, files }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw badRequest('The body is not valid JSON.')
  }
}

/** Each photo checked by its bytes (type, size) and stripped of location. */
async function cleanPhotos(form: FormRow, files: File[]): Promise<CleanPhoto[]> {
  if (files.length === 0) return []
  if (form.kind !== 'enquiry') throw invalid('photos', 'Only enquiry forms take photos.')
  if (files.length > MAX_PHOTOS) throw invalid('photos', `At most ${MAX_PHOTOS} photos.`)
  const photos: CleanPhoto[] = []
  for (const [i, file] of files.entries()) {
    if (file.size > MAX_PHOTO_BYTES) throw new ProblemError(413, `Photo ${i + 1} is over 10 MB.`)
    const bytes = new Uint8Array(await file.arrayBuffer())
    const type = sniffPhotoType(bytes)
    if (!type) throw new ProblemError(415, `Photo ${i + 1} is not a JPEG, PNG, WebP or HEIC image.`)
    try {
      photos.push({ type, bytes: stripLocation(bytes, type) })
    } catch (err) {
      if (err instanceof UnreadableMetadataError) {
        throw invalid(`photos.${i}`, 'This photo’s details could not be read; try another.')
      }
      throw err
    }
  }
  return photos
}

export const leadsRouter = createRouter()
  .openapi(formRoutes.create, async (c) => {
    const { db, config, principal } = c.var
    return c.json(await createForm(db, c.env, config, principal, c.req.valid('json')), 201)
  })
  .openapi(formRoutes.list, async (c) => {
    const { db, config, principal } = c.var
    return c.json(await listForms(db, config, principal.clinicId, c.req.valid('query')), 200)
  })
  .openapi(formRoutes.patch, async (c) => {
    const { db, config, principal } = c.var
    const { id } = c.req.valid('param')
    return c.json(await updateForm(db, c.env, config, principal, id, c.req.valid('json')), 200)
  })
  .openapi(formRoutes.guide, async (c) => {
    const { db, principal } = c.var
    const form = await findPublicForm(db, c.req.valid('param').id)
    if (!form || form.clinicId !== principal.clinicId) throw notFound()
    if (form.kind !== 'guide') throw invalid('id', 'Only guide forms have a guide file.')
    if (!(c.req.header('content-type') ?? '').startsWith('application/pdf')) {
      throw new ProblemError(415, 'Send the guide as application/pdf.')
    }
    if (Number(c.req.header('content-length') ?? '0') > MAX_GUIDE_BYTES) {
      throw new ProblemError(413, 'The guide is over 20 MB.')
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer())
    if (bytes.length > MAX_GUIDE_BYTES) throw new ProblemError(413, 'The guide is over 20 MB.')
    if (ascii(bytes.subarray(0, 5)) !== '%PDF-') throw new ProblemError(415, 'That is not a PDF.')
    await c.env.BLOBS.put(guideKey(form.clinicId, form.id), bytes, {
      httpMetadata: { contentType: 'application/pdf' },
    })
    return c.body(null, 204)
  })
  .openapi(formRoutes.submit, async (c) => {
    const { db, config } = c.var
    const form = await findPublicForm(db, c.req.valid('param').id)
    if (!form) throw notFound()
    corsHeaders(c, allowedOrigin(c, form))
    const ip = clientIpOf(c)
    const client = ip ? await clientIpLookup(config, ip) : 'unknown'
    await enforceRateLimit(c.env.SUBMISSION_LIMITER, `submit:${form.id}:${client}`)
    const { submission, files } = await readSubmission(c.req.raw)
    const phone = phoneOf(submission.phone, form.clinic.country)
    if (phone === 'invalid') throw invalid('phone', 'Not a phone number we can call.')
    const missing = kindErrors(form.kind, submission)
    if (missing.length) throw badRequest('The request is not valid.', missing)
    await requireTurnstile(config, submission['cf-turnstile-response'], ip)
    const photos = await cleanPhotos(form, files)
    const now = Date.now()
    const stored = await storeSubmission(db, c.env, config, {
      form,
      clinicName: form.clinic.name,
      submission,
      phone,
      photos,
      now,
    })
    // The guide, the scorecard's email, the staff's notice: queued; the submission is stored
    // whatever happens to them (a failed queue send is logged, and the lead shows the request).
    await followUpSubmission(c.env, db, config, { form, submission, stored, now }).catch((err) =>
      logError('submission follow-up not queued', err, {
        clinicId: form.clinicId,
        kind: form.kind,
      }),
    )
    const { chat, createdLead: _, ...answer } = stored
    if (!chat) return c.json(answer, 201)
    // A chat's first message: the AI's turn, and the session the page connects with.
    await afterChatMessage(c.env, form.clinicId, chat)
    const session = {
      clinicId: form.clinicId,
      conversationId: chat.conversationId,
      formId: form.id,
    }
    const token = await chatToken(config, { ...session, since: now })
    return c.json({ ...answer, chat: { conversationId: chat.conversationId, token } }, 201)
  })
  .openapi(leadRoutes.conversions, async (c) =>
    c.json(await listConversions(c.var.db, c.var.principal.clinicId, c.req.valid('query')), 200),
  )
  .openapi(leadRoutes.list, async (c) => {
    const { limit, cursor, ...filters } = c.req.valid('query')
    const { db, principal } = c.var
    const page = await listLeads(db, principal.clinicId, filters, { limit, cursor }, Date.now())
    return c.json(page, 200)
  })
  .openapi(leadRoutes.get, async (c) => {
    const { db, config, principal } = c.var
    const lead = await getLead(db, c.env, config, principal, c.req.valid('param').id, Date.now())
    return c.json(lead, 200)
  })
  .openapi(leadRoutes.photo, async (c) => {
    const { id, photoId } = c.req.valid('param')
    const photo = await readLeadPhoto(c.var.db, c.env, c.var.principal, id, photoId)
    return new Response(photo.body, {
      headers: {
        'content-type': photo.contentType,
        'content-length': String(photo.bytes),
        'cache-control': 'private, no-store',
      },
    })
  })
  .openapi(leadRoutes.patch, async (c) => {
    const { db, principal } = c.var
    const { id } = c.req.valid('param')
    return c.json(await updateLead(db, c.env, principal, id, c.req.valid('json'), Date.now()), 200)
  })

/** CORS preflight for submissions: only the form's allowed origins (and the hosted page) pass. */
leadsRouter.options('/forms/:id/submissions', async (c) => {
  const form = await findPublicForm(c.var.db, c.req.param('id'))
  if (!form) throw notFound()
  corsHeaders(c, allowedOrigin(c, form))
  c.header('Access-Control-Allow-Methods', 'POST')
  c.header('Access-Control-Allow-Headers', 'content-type')
  c.header('Access-Control-Max-Age', '600')
  return c.body(null, 204)
})
