/**
 * The receptionist's safety rules as plain functions (no I/O): red flags found by rules before any
 * model call, the intent rules the sandbox uses, the fixed wordings, and the check every reply
 * passes before it may be sent (no price outside the clinic's list, no medical advice).
 */
import { formatPence } from '../dashboard/format'
import type { ClinicFacts } from './facts'

/** What a patient's message is about; drives the reply and the inbox's filters. */
export const INTENTS = [
  'booking',
  'price',
  'hours',
  'location',
  'clinical',
  'complaint',
  'cancel',
  'other',
] as const
export type Intent = (typeof INTENTS)[number]

/**
 * The one reply to a red flag, fixed so that no model and no rule can word it differently. It
 * discloses that it is automated itself, so it is sent alone even as a first message, and it
 * gives no advice beyond where to get urgent care.
 */
export const RED_FLAG_REPLY =
  'This is an automated message. What you describe may need urgent care: if it is an emergency, call 999 now; otherwise please call NHS 111 or visit 111.nhs.uk. We have also told our team, who will contact you as soon as they can.'

/** What the patient gets whenever the assistant hands over (invalid output, unsafe wording…). */
export const HOLDING_REPLY =
  'Thank you for your message. A member of the team will reply as soon as they can.'

/** The hand-over for a clinical question: no advice, only where urgent care is. */
export const CLINICAL_HOLDING_REPLY =
  "Thank you for your message. We can't give medical advice by message, so a member of the team will reply as soon as they can. If it is urgent, call NHS 111, or 999 in an emergency."

/** The line that opens the first AI message of a conversation (CONTRACT: disclosure). */
export function disclosureLine(clinicName: string): string {
  return `This is ${clinicName}'s automated assistant; our team can see this chat and will step in when needed.`
}

// --- Normalising a message for rules ---------------------------------------------------------

/** Common misspellings, mapped onto the words the rules look for. */
const TYPOS: Record<string, string> = {
  tooht: 'tooth',
  toth: 'tooth',
  tooh: 'tooth',
  toof: 'tooth',
  tothe: 'tooth',
  toothe: 'tooth',
  teath: 'teeth',
  teeht: 'teeth',
  teef: 'teeth',
  nocked: 'knocked',
  knoked: 'knocked',
  knokced: 'knocked',
  swolen: 'swollen',
  swolled: 'swollen',
  swollan: 'swollen',
  sollen: 'swollen',
  sweling: 'swelling',
  swelin: 'swelling',
  swellin: 'swelling',
  bleading: 'bleeding',
  bledding: 'bleeding',
  bleding: 'bleeding',
  bleeing: 'bleeding',
  bleedin: 'bleeding',
  bleedding: 'bleeding',
  brething: 'breathing',
  breating: 'breathing',
  breathin: 'breathing',
  breahting: 'breathing',
  breth: 'breath',
  brethe: 'breathe',
  swalow: 'swallow',
  swollow: 'swallow',
  swalowing: 'swallowing',
  swollowing: 'swallowing',
  swallowin: 'swallowing',
  temprature: 'temperature',
  temperture: 'temperature',
  tempreture: 'temperature',
  tempature: 'temperature',
  feaver: 'fever',
  fevre: 'fever',
  fevor: 'fever',
  excrutiating: 'excruciating',
  excruitating: 'excruciating',
  unbearble: 'unbearable',
  unberable: 'unbearable',
  unbareable: 'unbearable',
  agnoy: 'agony',
  extration: 'extraction',
  extrction: 'extraction',
  extractoin: 'extraction',
  anaphalaxis: 'anaphylaxis',
  anafalaxis: 'anaphylaxis',
  anaphylactic: 'anaphylaxis',
  unconcious: 'unconscious',
  unconscous: 'unconscious',
  collasped: 'collapsed',
  colapsed: 'collapsed',
  stoping: 'stopping',
  stopp: 'stop',
  stoped: 'stopped',
  wouldnt: 'wont',
  doesent: 'doesnt',
  dosnt: 'doesnt',
  dosent: 'doesnt',
  cnt: 'cant',
  cannae: 'cant',
  paracetemol: 'paracetamol',
  ibuprofin: 'ibuprofen',
  ibroprofen: 'ibuprofen',
  painkiller: 'painkillers',
}

/**
 * Lower case, accents and apostrophes gone (`can't` → `cant`), every other run of punctuation or
 * space a single space, known misspellings corrected. Rules match on this, so case, spacing and
 * punctuation never change a result.
 */
export function normaliseForRules(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/['’‘`´]/g, '')
      .replace(/[^a-z0-9]+/g, ' ')
      .trim()
      .split(' ')
      .map((word) => TYPOS[word] ?? word)
      .join(' ')
      .replace(/\bpain killers\b/g, 'painkillers')
      // "A problem with bad breath" is halitosis (a booking), not an airway.
      .replace(/\b(?:bad|smelly|fresh|stinky) breath\b|\bbreath (?:smells|stinks)\b/g, 'halitosis')
      .replace(/\bcan not\b/g, 'cannot')
  )
}

// --- Red flags --------------------------------------------------------------------------------

/** A pattern; with `unless`, it does not count when the message also matches `unless`. */
type Rule = { re: RegExp; unless?: RegExp }
const W = (source: string) => new RegExp(`\\b(?:${source})\\b`)
/** `a` and `b` within `words` words of each other, in either order. */
function near(a: string, b: string, words: number): RegExp {
  const gap = `(?: [a-z0-9]+){0,${words}} `
  return new RegExp(`\\b(?:${a})\\b${gap}\\b(?:${b})\\b|\\b(?:${b})\\b${gap}\\b(?:${a})\\b`)
}
/** Every one of `parts` somewhere in the message. */
function allOf(...parts: string[]): Rule {
  // Lookaheads from the start: order-free conjunction in one RegExp.
  return { re: new RegExp(`^${parts.map((p) => `(?=.*\\b(?:${p})\\b)`).join('')}`) }
}

const TOOTH = 'tooth|teeth|incisor|incisors|front one|crown of my tooth'
const KNOCK = '(?:knock|knok|nock|smash|punch|whack|bash|kick)[a-z]*'
const OUT_VERB =
  '(?:fell|fallen|falled|fall|falls|come|came|comes|coming|popped|pulled|ripped|flew|flown|got knocked|been knocked|knocked|gone|come clean|is|was|has been|is completely|was completely|came right|come right|came clean|came completely) out'
const SWELL =
  'swollen|swelling|swell|swells|swelled|puffy|puffed up|puffing up|bloated|ballooned|ballooning|lump|blown up|blew up|swollen up'
const FACE =
  'face|facial|cheek|cheeks|jaw|jawline|eye|eyes|eyelid|neck|chin|under my tongue|floor of my mouth|side of my face|whole side'
const FEVER =
  'fever|feverish|temperature|temp|high temp|hot and cold|shivering|shivery|shivers|chills|the sweats|sweating|flu like|burning up|feel really ill|feeling really ill|feel very unwell|feeling very unwell'
const BLEED = 'bleed|bleeds|bleeding|bled|blood|bloody|haemorrhage|haemorrhaging|hemorrhage'
const NOT_STOPPING =
  'wont stop|will not stop|not stopping|not stopped|hasnt stopped|has not stopped|havent stopped|doesnt stop|does not stop|didnt stop|cant stop|cannot stop|wont clot|not clotting|still bleeding|non stop|nonstop|constantly|for hours|hours later|all night|all day|pouring|gushing|streaming|soaked|soaking|everywhere|so much|loads of|lots of|a lot of|heavy|heavily|badly|keeps coming|keep coming|full of blood|mouthful'
const DIFFICULTY =
  'cant|cannot|couldnt|struggling|struggle|struggles|difficult|difficulty|trouble|hard|hardly|barely|unable|not able|problems|problem|hurts to|painful to|pain when'
const BREATHE_SWALLOW =
  'breath|breathe|breathing|breathes|swallow|swallowing|swallows|get air|catch my breath'
const PAIN =
  'pain|pains|painful|hurts|hurt|hurting|ache|aching|agony|throbbing|excruciating|unbearable|killing me'
const SEVERE =
  'severe|severely|agony|agonising|agonizing|excruciating|unbearable|worst|killing me|screaming|crying|cant sleep|cant eat|cant cope|10 out of 10|ten out of ten|10 10|extreme|extremely|really bad|so bad|terrible|horrendous|awful|intense|worse and worse|getting worse'
const AFTER_TREATMENT =
  '(?:after|since|following|post)(?: [a-z0-9]+){0,4} (?:extraction|extracted|pulled|out|removed|removal|root canal|filling|implant|surgery|op|operation|treatment|procedure|appointment|visit|wisdom)'
const PAINKILLERS_FAILING =
  '(?:painkillers|paracetamol|ibuprofen|co codamol|cocodamol|tablets)(?: [a-z0-9]+){0,3} (?:arent|are not|not|dont|do not|havent|have not|isnt|is not|doesnt|does not) (?:working|helping|touching|doing anything|work|help)|nothing (?:is )?(?:helping|working)'

/** Red flags by stable id; the order is the order flags are reported in. */
const RED_FLAGS: Record<string, Rule[]> = {
  'knocked-out-tooth': [
    { re: near(KNOCK, TOOTH, 4) },
    {
      re: new RegExp(`\\b(?:${TOOTH})\\b(?: [a-z0-9]+){0,4} ${OUT_VERB}\\b`),
      unless: W('baby (?:tooth|teeth)|milk (?:tooth|teeth)|wobbly|wobbling|loose'),
    },
    { re: W('avulsed|avulsion|avulsions') },
    { re: W(`(?:${TOOTH}) (?:is )?(?:in|into) (?:a )?(?:glass of |cup of )?milk`) },
    {
      re: near(
        `lost (?:a|my|his|her|their|one|two) (?:[a-z]+ )?(?:${TOOTH})`,
        'today|just|accident|fell|fall|hit|football|rugby|hockey|fight|punched|bike|blood|bleeding|trampoline|playground',
        8,
      ),
    },
  ],
  'facial-swelling': [
    { re: near(SWELL, FACE, 5) },
    { re: near(`${SWELL}|abscess|abcess|abscesses|infection|infected`, FEVER, 10) },
    {
      re: near(
        'spreading|spread|spreads|getting bigger|growing',
        `${SWELL}|abscess|infection|infected|redness|red|ear|eye|neck|throat|face|cheek|jaw`,
        5,
      ),
    },
    { re: W('(?:cant|cannot) open (?:my|his|her|their) (?:eye|mouth)') },
  ],
  'uncontrolled-bleeding': [
    { re: near(BLEED, NOT_STOPPING, 6), unless: W('brush|brushing|brushed|floss|flossing') },
    {
      re: W(
        'still bleeding|keeps bleeding|keep bleeding|bleeding for (?:hours|ages|[0-9]+ hours)|bleeding all (?:night|day)|bleeding non stop|bleeding nonstop',
      ),
      unless: W('brush|brushing|brushed|floss|flossing'),
    },
    { re: W('krwotok|krwawi[a-z]*|sangrando|sangra|hemorragia|saignement|saigne') },
  ],
  'breathing-or-swallowing': [
    { re: near(DIFFICULTY, BREATHE_SWALLOW, 4) },
    {
      re: near(
        'throat|airway|windpipe',
        'closing|close up|closing up|tight|tightening|swelling|swollen|blocked',
        4,
      ),
    },
    {
      re: W(
        'short of breath|shortness of breath|breathless|out of breath|choking|choke|wheezing|wheezy|gasping|airway|tongue (?:is )?(?:swelling|swollen|huge)|swollen tongue',
      ),
    },
    {
      re: W(
        'respirar|respira|oddychac|oddycha|oddychac|respirer|atmen|nefes|saans|ich bekomme keine luft',
      ),
    },
  ],
  'severe-pain-after-treatment': [
    allOf(SEVERE, PAIN, AFTER_TREATMENT),
    allOf(PAINKILLERS_FAILING, AFTER_TREATMENT),
    { re: W('dry socket|dry sockets') },
  ],
  'severe-pain': [
    { re: new RegExp(PAINKILLERS_FAILING) },
    { re: near('excruciating|unbearable|agony|agonising|agonizing|screaming', PAIN, 4) },
    { re: W('(?:in|such) agony|excruciating|unbearable pain') },
    {
      re: near(
        'severe|severely|extreme|worst|horrendous|crippling',
        'pain|toothache|ache|aching|hurts',
        3,
      ),
    },
  ],
  'chest-pain': [
    {
      re: W(
        'chest (?:pain|pains|hurts|hurting|is tight|tightness|tight|pressure)|pain (?:in|across) (?:my |his |her |the )?chest|heart attack|tight chest|crushing pain',
      ),
    },
  ],
  anaphylaxis: [
    {
      re: W('anaphylaxis|anaphylactic shock|allergic reaction|epipen|epi pen|adrenaline pen|hives'),
    },
    {
      re: near(
        'lip|lips|tongue|throat|mouth',
        'swelling|swollen|swelled|swell|puffy|puffed up|massive|huge|twice the size',
        3,
      ),
    },
  ],
  unconscious: [
    {
      re: W(
        'unconscious|passed out|pass out|passing out|fainted|fainting|feel faint|feeling faint|felt faint|collapsed|collapse|unresponsive|not responding|wont wake|cant wake|seizure|seizures|fitting|having a fit|had a fit|blacked out|blackout|keeled over',
      ),
    },
  ],
  'facial-injury': [
    {
      re: W(
        'broken jaw|jaw (?:is )?(?:broken|fractured|dislocated|locked|stuck)|fractured jaw|dislocated jaw|(?:cant|cannot) close (?:my |his |her )?(?:mouth|jaw)|head injury|concussion|concussed|car (?:crash|accident)|road accident|hit by a car',
      ),
    },
    {
      re: near(
        'hit|smacked|smashed|punched|kicked|fell|fallen|headbutted',
        'face|head|mouth|jaw',
        3,
      ),
    },
    { re: near('broke|broken|fractured|fracture|dislocated|dislocate', 'jaw|jaws|cheekbone', 2) },
    // Dental trauma from a fall or a blow (a tooth pushed in, loosened or broken) is urgent too.
    {
      re: near(
        `fell over|fell off|fell down|fell on|fell and|had a fall|falling|tripped|slipped|hit|smacked|punched|kicked|accident|crash|crashed|pushed (?:up|in|back)|knocked (?:in|back|loose)`,
        TOOTH,
        5,
      ),
    },
  ],
  stroke: [
    { re: W('stroke|face (?:is )?drooping|droopy face|drooping|slurred|slurring|slurred speech') },
  ],
  sepsis: [
    {
      re: W(
        'sepsis|septic|very high temperature|really high temperature|temperature of 3[89]|temperature of 4[0-2]|confused and (?:hot|feverish)',
      ),
    },
  ],
  overdose: [
    {
      re: W(
        'overdose|overdosed|overdosing|too many (?:[a-z]+ ){0,2}(?:painkillers|paracetamol|ibuprofen|tablets|pills|co codamol|cocodamol)|double (?:the )?dose|took the whole (?:box|packet)',
      ),
    },
  ],
  'self-harm': [
    {
      re: W(
        'kill myself|killing myself|suicide|suicidal|end my life|end it all|want to die|wanna die|self harm|self harming|harm myself|dont want to be here|dont want to live|better off dead|no reason to live',
      ),
    },
  ],
}

/** Every red-flag id the rules can report, in report order. */
export const RED_FLAG_IDS = Object.keys(RED_FLAGS)

/** Each red flag in words, for staff (the inbox shows these, never the patient's text). */
export const RED_FLAG_LABELS: Record<string, string> = {
  'knocked-out-tooth': 'Knocked-out tooth',
  'facial-swelling': 'Facial swelling (fever or spreading)',
  'uncontrolled-bleeding': 'Bleeding that will not stop',
  'breathing-or-swallowing': 'Trouble breathing or swallowing',
  'severe-pain-after-treatment': 'Severe pain after treatment',
  'severe-pain': 'Severe pain not controlled by painkillers',
  'chest-pain': 'Chest pain',
  anaphylaxis: 'Possible allergic reaction',
  unconscious: 'Collapse, fainting or seizure',
  'facial-injury': 'Injury to the face, jaw or teeth',
  stroke: 'Possible stroke',
  sepsis: 'Possible sepsis or very high temperature',
  overdose: 'Possible overdose',
  'self-harm': 'Mentions self-harm',
}

/** Hand-over reasons (Triage.reason) in words for staff; unknown ones pass through unchanged. */
const REASON_LABELS: Record<string, string> = {
  clinical: 'Clinical question',
  complaint: 'Complaint',
  cancel: 'Cancellation or change',
  booking: 'Wants an appointment',
  'price-unknown': 'Asked a price the clinic has not listed',
  'hours-unknown': 'Asked opening hours (none set)',
  'location-unknown': 'Asked the address (none set)',
  'not-english': 'Message not in English',
  unknown: 'The assistant did not know',
  urgent: 'Urgent',
  other: 'Needs a person',
  'invalid-model-output': 'The assistant gave no usable answer',
}

/**
 * A triage reason as staff read it: `red-flag:chest-pain` → `Red flag: Chest pain`,
 * `unsafe-reply:invented-price` → `Reply held back (invented-price)`.
 */
export function triageReasonInWords(reason: string): string {
  const [kind, detail = ''] = reason.split(/:(.*)/s)
  if (kind === 'red-flag') return `Red flag: ${RED_FLAG_LABELS[detail] ?? detail}`
  if (kind === 'unsafe-reply') return `Reply held back (${detail})`
  if (kind === 'model-refused') return `The AI service refused the request (${detail})`
  // The conversation engine's priority reasons (src/conversations/ai-reply.ts).
  if (kind === 'needs-human') {
    if (detail === 'billing-paused')
      return 'Automated replies are paused (payment overdue): a person must reply'
    return detail === 'model-unavailable'
      ? 'The AI could not answer in time: a person must reply'
      : triageReasonInWords(detail)
  }
  if (kind === 'intent') return INTENT_LABELS[detail as Intent] ?? 'General question'
  return REASON_LABELS[reason] ?? reason
}

const INTENT_LABELS: Record<Intent, string> = {
  booking: 'Wants to book',
  price: 'Asks about prices',
  hours: 'Asks about opening hours',
  location: 'Asks where you are',
  clinical: 'Clinical question',
  complaint: 'Complaint',
  cancel: 'Cancellation or change',
  other: 'General question',
}

function matches(text: string, rule: Rule): boolean {
  return rule.re.test(text) && !(rule.unless?.test(text) ?? false)
}

/**
 * The red flags a patient's message raises, by stable id (see RED_FLAG_IDS), in a fixed order.
 * Plain rules, run before any model call; they lean to false positives (a human reads those).
 * @example detectRedFlags("my son's front TOOTH got knocked out at football!!") // ['knocked-out-tooth', …]
 */
export function detectRedFlags(text: string): string[] {
  const normalised = normaliseForRules(text)
  if (normalised === '') return []
  return RED_FLAG_IDS.filter((id) =>
    (RED_FLAGS[id] ?? []).some((rule) => matches(normalised, rule)),
  )
}

// --- Intent rules (the sandbox assistant) ------------------------------------------------------

/** Words that mark a message as not in English (the sandbox hands those over). */
const OTHER_LANGUAGE = W(
  'hola|buenos dias|buenas|quiero|necesito|cita|gracias|por favor|dzien dobry|czesc|chcialbym|chcialabym|wizyte|wizyta|dziekuje|prosze|bonjour|je voudrais|rendez vous|merci|guten tag|ich mochte|termin|danke|bom dia|gostaria|consulta|obrigad[oa]|buna ziua|programare|multumesc|merhaba|randevu|tesekkurler|salam|assalamu alaikum|shukriya|buongiorno|vorrei|appuntamento|grazie|zdravstvuyte|privet',
)

const INTENT_RULES: [Intent, RegExp][] = [
  [
    'complaint',
    W(
      'complain|complaint|complaining|disgusted|disgusting|disgraceful|unacceptable|rude|appalling|shocking|ombudsman|solicitor|lawyer|refund|useless|incompetent|furious|ridiculous|never coming back|not happy|unhappy|very disappointed|really disappointed|so disappointed|terrible service|awful service|worst (?:service|clinic|dentist|practice|experience)|sort it out|nobody (?:ever )?(?:answers|calls|rings)|no one (?:ever )?(?:answers|calls|rings)|waste of time|fuming|joke',
    ),
  ],
  [
    'cancel',
    W(
      'cancel|cancelling|canceling|cancellation|cant make|cannot make|wont make|unable to make|cant come|cannot come|cant attend|cannot attend|wont be able to (?:make|come|attend)|reschedule|rearrange|move my appointment|change my appointment|postpone',
    ),
  ],
  [
    'clinical',
    W(
      'pain|painful|ache|aching|toothache|hurts|hurt|hurting|sore|sensitive|sensitivity|swollen|swelling|bleed|bleeding|blood|infection|infected|abscess|broken|broke|chipped|cracked|snapped|filling (?:fell|came|has come) out|crown (?:fell|came|has come) off|crown (?:fell|came|has come) out|lost a filling|wisdom tooth|antibiotic|antibiotics|medication|medicine|pregnant|pregnancy|should i|is it normal|what should|numb|numbness|ulcer|lump|rash|bruise|bruised|bruising|reaction|throbbing|loose tooth|wobbly|gum|gums|jaw|pus|bad taste|is it safe',
    ),
  ],
  [
    'price',
    W(
      'how much|price|prices|pricing|cost|costs|costing|fee|fees|charge|charges|expensive|cheap|quote|payment plan|finance|pay monthly|afford|nhs band|band 1|band 2|band 3|pounds|[0-9]+ quid|payment plans',
    ),
  ],
  [
    'hours',
    W(
      'are you open|opening hours|opening times|open on|open at|open till|open until|open late|open today|open tomorrow|open saturday|open sunday|open now|still open|closed on|close at|closing time|what time do you|when do you (?:open|close)|hours|bank holiday|weekends',
    ),
  ],
  [
    'location',
    W(
      'where are you|where is the|address|located|location|directions|parking|park nearby|car park|postcode|how do i get|how to get|nearest station|bus|train|tube|wheelchair|step free',
    ),
  ],
  [
    'booking',
    W(
      'book|booking|booked|appointment|appt|appointments|slot|slots|available|availability|check up|checkup|see (?:a|the) (?:dentist|hygienist|nurse|doctor)|register|registering|new patient|consultation|come in|get in|fit me in|any space|any spaces|wizyte|wizyta|wizyty|cita|rendez vous|termin|programare|randevu|appuntamento|marcar|whitening|hygienist|invisalign|implant|implants|botox|filler|fillers|bonding|veneers|braces',
    ),
  ],
]

/**
 * The intent by plain rules, strongest first: a complaint or a cancellation outranks a question;
 * anything clinical outranks booking (a human answers it).
 * @example classifyIntent('How much is teeth whitening?') // 'price'
 */
export function classifyIntent(text: string): Intent {
  const normalised = normaliseForRules(text)
  for (const [intent, re] of INTENT_RULES) {
    if (re.test(normalised)) return intent
    // `£` does not survive normalising: an amount of money is a price question by itself.
    if (intent === 'price' && /£\s?\d/.test(text)) return intent
  }
  return 'other'
}

/** True when the message looks like it is not in English (non-Latin script or known words). */
export function looksNonEnglish(text: string): boolean {
  const letters = text.match(/\p{L}/gu) ?? []
  const nonLatin = letters.filter((ch) => !/\p{Script=Latin}/u.test(ch)).length
  if (letters.length > 0 && nonLatin / letters.length > 0.3) return true
  return OTHER_LANGUAGE.test(normaliseForRules(text))
}

/** A message that needs no answer: thanks, ok, a thumbs-up. */
export function isAcknowledgement(text: string): boolean {
  const normalised = normaliseForRules(text)
  if (normalised === '') return /^[\p{Extended_Pictographic}\s]+$/u.test(text.trim())
  return /^(?:(?:ok|okay|k|kk|thanks|thank you|thank you so much|thanks a lot|thanks very much|cheers|ta|great|perfect|lovely|brilliant|fab|super|cool|will do|got it|see you then|see you soon|that s great|thats great|no worries|much appreciated|many thanks)\s?)+$/.test(
    normalised,
  )
}

// --- The check every reply passes --------------------------------------------------------------

export type ReplyCheck =
  | { ok: true }
  | {
      ok: false
      reason:
        | 'empty'
        | 'too-long'
        | 'invented-price'
        | 'medical-advice'
        | 'unknown-link'
        | 'phone-number'
    }

/** The longest reply the assistant may send (four SMS segments of plain text). */
export const MAX_REPLY_LENGTH = 600

/** Every amount of money in a reply, in pence: `£350`, `£2,400.00`, `350 pounds`, `GBP 75`. */
export function pricesInPence(reply: string): number[] {
  const found: number[] = []
  const amount = '(\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.(\\d{1,2}))?'
  const patterns = [
    new RegExp(`£\\s?${amount}(k)?`, 'gi'),
    new RegExp(`\\bGBP\\s?${amount}(k)?`, 'gi'),
    new RegExp(`${amount}(k)?\\s?(?:pounds|quid|gbp)\\b`, 'gi'),
  ]
  for (const re of patterns) {
    for (const m of reply.matchAll(re)) {
      const whole = Number((m[1] ?? '0').replace(/,/g, ''))
      const fraction = Number((m[2] ?? '').padEnd(2, '0'))
      const pence = whole * 100 + fraction
      found.push(m[3] ? pence * 1000 : pence)
    }
  }
  return found
}

/** Wording that advises, diagnoses or reassures about a clinical matter: never the assistant's job. */
const MEDICAL_ADVICE = W(
  'ibuprofen|paracetamol|aspirin|codeine|co codamol|cocodamol|antibiotic|antibiotics|amoxicillin|metronidazole|penicillin|painkillers|painkiller|anbesol|bonjela|clove oil|salt water|saltwater|warm water rinse|mouthwash|ice pack|cold compress|[0-9]+ ?mg|dosage|dose|diagnos[a-z]*|sounds like (?:you have|an?|it is|its)|looks like (?:you have|an?|it is|its)|(?:probably|likely|might be|could be|may be|most likely) (?:an? |just |your )?(?:infection|abscess|cavity|decay|gum disease|wisdom tooth|dry socket|sinus|sinusitis|cracked|nerve|pulpitis|gingivitis|periodontitis|tmj|grinding)|you (?:have|ve got) (?:an? )?(?:infection|abscess|cavity|decay|gum disease|dry socket|pulpitis|gingivitis)|nothing to worry about|(?:its|it is|thats|that is) (?:perfectly |completely |quite |very )?(?:normal|nothing serious|not serious|common after)|you should (?:take|use|rinse|apply|try|avoid|stop|keep)|try (?:taking|rinsing|using|applying)|(?:rinse|apply) (?:some|a|with|the)',
)

/**
 * Whether a reply may be sent: within length, every price one of the clinic's treatments' prices,
 * no medical advice or diagnosis, no link but the clinic's booking link, no phone number but 999
 * and 111. A failing reply is never sent: the conversation is handed to a human.
 */
export function checkReply(reply: string, facts: ClinicFacts): ReplyCheck {
  const text = reply.trim()
  if (text === '') return { ok: false, reason: 'empty' }
  if (text.length > MAX_REPLY_LENGTH) return { ok: false, reason: 'too-long' }
  const allowed = new Set(facts.treatments.map((t) => t.valuePence))
  if (pricesInPence(text).some((p) => !allowed.has(p)))
    return { ok: false, reason: 'invented-price' }
  if (MEDICAL_ADVICE.test(normaliseForRules(text))) return { ok: false, reason: 'medical-advice' }
  const booking = facts.bookingUrl?.toLowerCase() ?? null
  for (const link of text.match(/\b(?:https?:\/\/|www\.)[^\s<>"]+/gi) ?? []) {
    const bare = link.replace(/[.,;:!?)]+$/, '').toLowerCase()
    if (booking === null || !(booking.startsWith(bare) || bare.startsWith(booking))) {
      return { ok: false, reason: 'unknown-link' }
    }
  }
  // Any run of seven or more digits (spaces and dashes allowed) reads as a phone number.
  const withoutLinks = text.replace(/\b(?:https?:\/\/|www\.)[^\s<>"]+/gi, ' ')
  if (/(?:\+?\d[\s-]?){7,}/.test(withoutLinks)) return { ok: false, reason: 'phone-number' }
  return { ok: true }
}

/** `£350` or `£26.80`: the one way replies write a treatment's price. */
export function formatPrice(pence: number): string {
  return pence % 100 === 0 ? `£${(pence / 100).toLocaleString('en-GB')}` : formatPence(pence)
}
