/**
 * The platform operator's own tenant (CONTRACT "Forms, enquiries and leads"): Ringback sells to
 * clinics with the same forms clinics use — a guide download (its PDF in R2), the missed-call
 * scorecard and book-a-call — on a tenant of its own, created with the demo. Its team signs in as
 * `team@ringback.example` (development only). `/__dev/site` is a stand-in for the operator's
 * marketing site: a page that embeds the three forms with /embed.js.
 */
import { eq } from 'drizzle-orm'
import { hashPassword } from '../auth/passwords'
import type { Db } from '../db/client'
import { clinics, forms, users } from '../db/schema'
import type { Bindings, Config } from '../env'
import { guideKey } from '../leads/follow-up'
import type { Principal } from '../lib/context'
import { newId } from '../lib/ids'
import { clinicKeyring, userEmailLookup } from '../privacy/crypto'
import { createDemoForms } from './leads'
import { clinicOfEmail } from './seed'

export const OPERATOR = {
  name: 'Ringback',
  ownerEmail: 'team@ringback.example',
  ownerPassword: 'operator-password-123',
} as const

/** A one-page PDF saying what the guide covers (a real guide is uploaded with PUT …/guide). */
const GUIDE_PDF = `%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj
4 0 obj<</Length 88>>stream
BT /F1 18 Tf 72 770 Td (Missed calls: the clinic owner's guide to winning them back) Tj ET
endstream endobj
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj
trailer<</Root 1 0 R>>
%%EOF
`

/** Creates the operator's tenant and its three forms once; answers its id and the forms' ids. */
export async function seedOperatorTenant(
  env: Bindings,
  db: Db,
  config: Config,
): Promise<{ clinicId: string; forms: Record<'guide' | 'scorecard' | 'book-call', string> }> {
  const existing = await clinicOfEmail(db, config, OPERATOR.ownerEmail)
  const clinicId = existing ?? newId('cln')
  if (!existing) {
    const ownerId = newId('usr')
    const keyring = await clinicKeyring(db, config, clinicId)
    await db.batch([
      db.insert(clinics).values({ id: clinicId, name: OPERATOR.name, isOperator: true }),
      db.insert(users).values({
        id: ownerId,
        clinicId,
        emailLookup: await userEmailLookup(config, OPERATOR.ownerEmail),
        emailSealed: await keyring.seal(OPERATOR.ownerEmail),
        passwordHash: await hashPassword(OPERATOR.ownerPassword),
        role: 'owner',
      }),
    ])
    const owner: Principal = { via: 'session', clinicId, actorId: ownerId, role: 'owner' }
    const [guide] = await createDemoForms(
      db,
      env,
      config,
      owner,
      [config.publicOrigin],
      [
        ['guide', 'Missed-call guide'],
        ['scorecard', 'Missed-call scorecard'],
        ['book-call', 'Book a demo call'],
      ],
    )
    if (!guide) throw new Error('operator guide form not created')
    await env.BLOBS.put(guideKey(clinicId, guide.id), GUIDE_PDF, {
      httpMetadata: { contentType: 'application/pdf' },
    })
  }
  const rows = await db
    .select({ id: forms.id, kind: forms.kind })
    .from(forms)
    .where(eq(forms.clinicId, clinicId))
  const idOf = (kind: string) => rows.find((r) => r.kind === kind)?.id ?? ''
  return {
    clinicId,
    forms: { guide: idOf('guide'), scorecard: idOf('scorecard'), 'book-call': idOf('book-call') },
  }
}

/** The stand-in marketing page: the operator's three forms, embedded as a clinic would. */
export function operatorSitePage(base: string, ids: Record<string, string>): string {
  const embed = (id: string, title: string) =>
    `<section><h2>${title}</h2><script src="${base}/embed.js" data-form="${id}" data-title="${title}" async></script></section>`
  return `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Ringback: stop losing patients to missed calls</title></head><body><main><h1>Stop losing patients to missed calls</h1>${embed(ids.scorecard ?? '', 'What do missed calls cost you?')}${embed(ids.guide ?? '', 'Get the guide')}${embed(ids['book-call'] ?? '', 'Book a demo call')}</main></body></html>`
}
