/**
 * The demo clinic's website forms and leads, made through the real engine (createForm and the
 * submission store): an enquiry form on the clinic's site and a scorecard, and three people who
 * came from a Google ad, a Meta ad and a search, so `npm run dev` opens on a populated Leads page.
 */
import type { Db } from '../db/client'
import type { Bindings, Config } from '../env'
import { createForm, type FormKind, findPublicForm } from '../leads/forms.service'
import { storeSubmission } from '../leads/submissions'
import type { Principal } from '../lib/context'

const MINUTE = 60_000

const DEMO_LEADS = [
  {
    name: 'Amira Khan',
    email: 'amira.khan@example.com',
    phone: '+447700900301',
    treatment: 'Composite bonding',
    message: 'I have a chipped front tooth: could bonding fix it, and roughly what would it cost?',
    consent: { marketing: true, ads: true },
    attribution: {
      utmSource: 'google',
      utmMedium: 'cpc',
      utmCampaign: 'bonding',
      gclid: 'Cj0KCQiA-demo-gclid',
    },
    minutesAgo: 25,
  },
  {
    name: 'Tom Riley',
    phone: '+447700900302',
    treatment: 'Teeth whitening',
    message: 'Do you offer whitening for sensitive teeth?',
    consent: { marketing: false, ads: true },
    attribution: { utmSource: 'facebook', utmMedium: 'paid-social', fbclid: 'IwAR-demo-fbclid' },
    minutesAgo: 240,
  },
  {
    name: 'Grace Ellis',
    email: 'grace.ellis@example.com',
    treatment: 'Invisalign',
    message: 'Interested in Invisalign; are evening consultations possible?',
    consent: { marketing: false, ads: false },
    attribution: { referrer: 'https://www.google.com/' },
    minutesAgo: 60 * 30,
  },
] as const

/** Creates `kinds` forms for the clinic as its owner, embeddable on `origins`. */
export function createDemoForms(
  db: Db,
  env: Bindings,
  config: Config,
  owner: Principal,
  origins: string[],
  kinds: readonly (readonly [FormKind, string])[],
) {
  return Promise.all(
    kinds.map(([kind, name]) =>
      createForm(db, env, config, owner, { kind, name, allowedOrigins: origins }),
    ),
  )
}

export async function seedDemoLeads(
  env: Bindings,
  db: Db,
  config: Config,
  clinic: { id: string; name: string; ownerId: string },
  now: number,
): Promise<number> {
  const owner: Principal = {
    via: 'session',
    clinicId: clinic.id,
    actorId: clinic.ownerId,
    role: 'owner',
  }
  const [enquiry] = await createDemoForms(
    db,
    env,
    config,
    owner,
    ['https://www.demo.clinic'],
    [
      ['enquiry', 'Website enquiries'],
      ['scorecard', 'Missed-call scorecard'],
    ],
  )
  if (!enquiry) throw new Error('demo form not created')
  const form = await findPublicForm(db, enquiry.id)
  if (!form) throw new Error('demo form vanished')
  for (const lead of DEMO_LEADS) {
    const { minutesAgo, ...submission } = lead
    await storeSubmission(db, env, config, {
      form,
      clinicName: clinic.name,
      submission: { ...submission, attribution: { ...submission.attribution } },
      phone: 'phone' in lead ? lead.phone : null,
      photos: [],
      now: now - minutesAgo * MINUTE,
    })
  }
  return DEMO_LEADS.length
}
