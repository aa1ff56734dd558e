/**
 * The demo clinic's simulated history, as a pure function of `now` and a fixed PRNG seed: the
 * same figures every time the demo is seeded. No bindings, no I/O — src/demo/seed.ts hashes the
 * fake numbers, seals the bodies and writes the rows.
 *
 * Numbers come from Ofcom's drama ranges (07700 900000–900999, 0113 496 0xxx, 020 7946 0xxx),
 * so no real person is ever texted or called by a demo that escapes into the wild.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../lib/time'
import { zoneOffsetMs } from '../metrics/local-time'

/** The demo clinic exactly as CONTRACT.md "Demo clinic" describes it. */
export const DEMO_CLINIC = {
  name: 'Demo Dental & Aesthetics',
  timezone: 'Europe/London',
  ownerEmail: 'owner@demo.clinic',
  ownerPassword: 'demo-password-123',
  trackingNumber: '+441134960000',
  forwardTo: '+441134960999',
  ringTimeoutSeconds: 20,
  historyDays: 120,
} as const

/** UK dental and aesthetic treatments with typical 2026 prices, and how often they are booked. */
export const DEMO_TREATMENTS = [
  { key: 'band1', name: 'NHS Band 1 check-up', valuePence: 2_680, weight: 26 },
  { key: 'band2', name: 'NHS Band 2 treatment', valuePence: 7_070, weight: 12 },
  { key: 'hygiene', name: 'Hygienist appointment', valuePence: 7_500, weight: 18 },
  { key: 'whitening', name: 'Teeth whitening', valuePence: 35_000, weight: 8 },
  { key: 'invisalign', name: 'Invisalign consultation', valuePence: 5_000, weight: 6 },
  { key: 'implant', name: 'Implant consultation', valuePence: 240_000, weight: 4 },
  { key: 'bonding', name: 'Composite bonding', valuePence: 28_000, weight: 6 },
  { key: 'wrinkle', name: 'Anti-wrinkle injections', valuePence: 25_000, weight: 11 },
  { key: 'filler', name: 'Dermal filler', valuePence: 30_000, weight: 9 },
] as const

export type TreatmentKey = (typeof DEMO_TREATMENTS)[number]['key']

export type PlannedCall = {
  sid: string
  direction: 'inbound' | 'outbound'
  /** Raw E.164 (fake) — only ever hashed by the seeder, never stored. Null when withheld. */
  e164: string | null
  callerKind: 'mobile' | 'other' | 'withheld'
  startedAt: number
  status: 'answered' | 'missed' | 'voicemail'
  dialOutcome: 'answered' | 'missed' | null
  finalCallStatus: string
  durationSeconds: number
  voicemailSeconds: number | null
  endedAt: number
  calledBackAt: number | null
  /** Index (in `calls`) of the callback that answered this missed call. */
  callbackIndex: number | null
  textBackStatus: 'none' | 'sent' | 'suppressed'
  textBackReason: string | null
  textedBackAt: number | null
}

export type PlannedTextBack = { callIndex: number; e164: string; sentAt: number; body: string }

export type PlannedInbound = {
  e164: string
  receivedAt: number
  body: string
  /** The text-back call it answers (a recovery touch); null for a STOP. */
  inReplyToCallIndex: number | null
  sid: string
}

export type PlannedOptOut = { e164: string; at: number }

export type PlannedAppointment = {
  e164: string
  createdAt: number
  scheduledFor: number
  treatment: TreatmentKey
  /** Sent explicitly by the "practice system" for most; null falls back to the treatment's value. */
  valuePence: number | null
  externalId: string
}

export type DemoHistory = {
  calls: PlannedCall[]
  textBacks: PlannedTextBack[]
  inbound: PlannedInbound[]
  optOuts: PlannedOptOut[]
  appointments: PlannedAppointment[]
  from: number
  to: number
}

export const DEMO_TEXT_BACK_BODY =
  'Sorry we missed your call at Demo Dental & Aesthetics. Reply here or call us back on 0113 496 0000 and we will find you a time.'

const REPLIES = [
  'Hi, yes please - I was calling to book a check-up',
  'Can I get an appointment for a clean this week?',
  'I wanted to ask about whitening prices',
  'Was ringing about a chipped tooth, any slots tomorrow?',
  'Hello, do you have anything on Saturday?',
  'Calling about Invisalign, could someone ring me back after 5?',
]

/** mulberry32: tiny, fast, good enough for demo data, and deterministic across runtimes. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The UTC instant of a local wall-clock time (minutes after local midnight) on a local date. */
export function localToUtc(timeZone: string, localDateUtcMs: number, minuteOfDay: number): number {
  const wall = localDateUtcMs + minuteOfDay * MINUTE_MS
  // Two passes settle the offset across a daylight-saving change.
  let utc = wall - zoneOffsetMs(wall, timeZone)
  utc = wall - zoneOffsetMs(utc, timeZone)
  return utc
}

function pickWeighted<T>(rng: () => number, items: readonly T[], weight: (t: T) => number): T {
  const total = items.reduce((s, i) => s + weight(i), 0)
  let r = rng() * total
  for (const item of items) {
    r -= weight(item)
    if (r < 0) return item
  }
  return items[items.length - 1] as T
}

// Calls per local hour (weights) on weekdays; Saturdays open 9–13; Sundays a trickle.
type HourWeights = ReadonlyArray<readonly [hour: number, weight: number]>

const WEEKDAY_HOURS: HourWeights = [
  [8, 5],
  [9, 12],
  [10, 11],
  [11, 9],
  [12, 8],
  [13, 10],
  [14, 9],
  [15, 8],
  [16, 8],
  [17, 7],
  [18, 3],
]
const SATURDAY_HOURS: HourWeights = [
  [9, 10],
  [10, 10],
  [11, 8],
  [12, 6],
]
const SUNDAY_HOURS: HourWeights = [
  [10, 5],
  [11, 5],
  [12, 3],
]

/** Mean inbound calls by local weekday (0 = Sunday): about 30 a day on average over a week. */
const CALLS_BY_WEEKDAY = [5, 38, 35, 34, 34, 33, 18]

/** Chance a call rings out: higher when the desk is busiest (Monday morning, lunch, closing). */
function missChance(weekday: number, hour: number): number {
  let p = 0.22
  if (hour === 12 || hour === 13) p += 0.14
  if (hour <= 8 || hour >= 17) p += 0.12
  if (weekday === 1 && hour <= 10) p += 0.1
  if (weekday === 0 || weekday === 6) p += 0.08
  return p
}

function sidFrom(rng: () => number, prefix: string): string {
  let hex = ''
  for (let i = 0; i < 32; i++) hex += Math.floor(rng() * 16).toString(16)
  return `${prefix}${hex}`
}

/**
 * Plans `historyDays` of calls, callbacks, text-backs, replies, opt-outs and appointments ending at
 * `now`. Text-backs follow the product's own rules (mobiles only, one per caller per 24 hours, none
 * after an opt-out), and callbacks are the first outbound call to the caller after the missed one.
 */
export function planDemoHistory(
  now: number,
  options: { seed?: number; days?: number; timeZone?: string } = {},
): DemoHistory {
  const rng = createRng(options.seed ?? 20_261_123)
  const days = options.days ?? DEMO_CLINIC.historyDays
  const timeZone = options.timeZone ?? DEMO_CLINIC.timezone
  const ringMs = DEMO_CLINIC.ringTimeoutSeconds * 1000

  // Caller pools: drama-range mobiles and landlines (the clinic's own 0000 and 0999 excluded).
  const mobiles = Array.from({ length: 1000 }, (_, i) => `+447700900${String(i).padStart(3, '0')}`)
  const landlines = [
    ...Array.from({ length: 998 }, (_, i) => `+441134960${String(i + 1).padStart(3, '0')}`),
    ...Array.from({ length: 1000 }, (_, i) => `+442079460${String(i).padStart(3, '0')}`),
  ]
  const pick = (pool: string[]) => pool[Math.floor(rng() * pool.length)] as string

  // The local calendar date of `now`, as a UTC-midnight number for calendar arithmetic.
  const nowLocal = now + zoneOffsetMs(now, timeZone)
  const todayUtcMidnight = Math.floor(nowLocal / DAY_MS) * DAY_MS
  const from = localToUtc(timeZone, todayUtcMidnight - (days - 1) * DAY_MS, 0)

  const inbound: PlannedCall[] = []
  for (let d = days - 1; d >= 0; d--) {
    const localDate = todayUtcMidnight - d * DAY_MS
    const weekday = new Date(localDate).getUTCDay()
    const hours = weekday === 0 ? SUNDAY_HOURS : weekday === 6 ? SATURDAY_HOURS : WEEKDAY_HOURS
    const mean = CALLS_BY_WEEKDAY[weekday] as number
    const count = Math.max(0, Math.round(mean * (0.8 + rng() * 0.4)))
    for (let i = 0; i < count; i++) {
      const [hour] = pickWeighted(rng, hours, (h) => h[1])
      const startedAt = localToUtc(timeZone, localDate, hour * 60 + Math.floor(rng() * 60))
      const jitter = Math.floor(rng() * 60_000)
      if (startedAt + jitter >= now) continue
      const kindRoll = rng()
      const callerKind = kindRoll < 0.04 ? 'withheld' : kindRoll < 0.72 ? 'mobile' : 'other'
      const e164 =
        callerKind === 'withheld' ? null : callerKind === 'mobile' ? pick(mobiles) : pick(landlines)
      const missed = rng() < missChance(weekday, hour)
      const voicemail = missed && callerKind !== 'withheld' && rng() < 0.3
      const durationSeconds = missed ? DEMO_CLINIC.ringTimeoutSeconds : 45 + Math.floor(rng() * 360)
      const voicemailSeconds = voicemail ? 8 + Math.floor(rng() * 50) : null
      inbound.push({
        sid: sidFrom(rng, 'CA'),
        direction: 'inbound',
        e164,
        callerKind,
        startedAt: startedAt + jitter,
        status: voicemail ? 'voicemail' : missed ? 'missed' : 'answered',
        dialOutcome: missed ? 'missed' : 'answered',
        finalCallStatus: 'completed',
        durationSeconds: durationSeconds + (voicemailSeconds ?? 0),
        voicemailSeconds,
        endedAt: startedAt + jitter + (durationSeconds + (voicemailSeconds ?? 0)) * 1000,
        calledBackAt: null,
        callbackIndex: null,
        textBackStatus: 'none',
        textBackReason: null,
        textedBackAt: null,
      })
    }
  }
  inbound.sort((a, b) => a.startedAt - b.startedAt)

  // Text-backs, replies and opt-outs, in time order so the 24-hour and opt-out rules hold.
  const textBacks: PlannedTextBack[] = []
  const replies: PlannedInbound[] = []
  const optOuts: PlannedOptOut[] = []
  const optedOut = new Set<string>()
  const lastTextBack = new Map<string, number>()
  const repliedCalls = new Set<number>()
  inbound.forEach((call, index) => {
    if (call.status === 'answered') return
    if (call.callerKind === 'withheld' || !call.e164) {
      call.textBackStatus = 'suppressed'
      call.textBackReason = 'withheld'
      return
    }
    if (call.callerKind === 'other') {
      call.textBackStatus = 'suppressed'
      call.textBackReason = 'landline'
      return
    }
    if (optedOut.has(call.e164)) {
      call.textBackStatus = 'suppressed'
      call.textBackReason = 'opted-out'
      return
    }
    const last = lastTextBack.get(call.e164)
    if (last !== undefined && call.startedAt - last < DAY_MS) {
      call.textBackStatus = 'suppressed'
      call.textBackReason = 'rate-limited'
      return
    }
    const sentAt = call.startedAt + ringMs + 3_000 + Math.floor(rng() * 9_000)
    if (sentAt >= now) return
    call.textBackStatus = 'sent'
    call.textedBackAt = sentAt
    lastTextBack.set(call.e164, call.startedAt)
    textBacks.push({ callIndex: index, e164: call.e164, sentAt, body: DEMO_TEXT_BACK_BODY })
    const roll = rng()
    if (roll < 0.02) {
      const at = sentAt + (2 + Math.floor(rng() * 120)) * MINUTE_MS
      if (at < now) {
        optedOut.add(call.e164)
        optOuts.push({ e164: call.e164, at })
        replies.push({
          e164: call.e164,
          receivedAt: at,
          body: 'STOP',
          inReplyToCallIndex: null,
          sid: sidFrom(rng, 'SM'),
        })
      }
    } else if (roll < 0.2) {
      const at = sentAt + (1 + Math.floor(rng() * 90)) * MINUTE_MS
      if (at < now) {
        repliedCalls.add(index)
        replies.push({
          e164: call.e164,
          receivedAt: at,
          body: REPLIES[Math.floor(rng() * REPLIES.length)] as string,
          inReplyToCallIndex: index,
          sid: sidFrom(rng, 'SM'),
        })
      }
    }
  })

  // Callbacks: most missed numbered callers are rung back, within minutes to a few hours.
  const callbacks: PlannedCall[] = []
  for (const call of inbound) {
    if (call.status === 'answered' || !call.e164 || rng() > 0.78) continue
    const roll = rng()
    const delayMin =
      roll < 0.45
        ? 2 + rng() * 13
        : roll < 0.8
          ? 15 + rng() * 105
          : 120 + rng() * 240 + (rng() < 0.3 ? 18 * 60 : 0)
    const startedAt = Math.floor(call.endedAt + delayMin * MINUTE_MS)
    if (startedAt >= now) continue
    const pickedUp = rng() < 0.7
    const durationSeconds = pickedUp ? 60 + Math.floor(rng() * 300) : 25
    callbacks.push({
      sid: sidFrom(rng, 'CA'),
      direction: 'outbound',
      e164: call.e164,
      callerKind: call.callerKind,
      startedAt,
      status: pickedUp ? 'answered' : 'missed',
      dialOutcome: null,
      finalCallStatus: pickedUp ? 'completed' : 'no-answer',
      durationSeconds,
      voicemailSeconds: null,
      endedAt: startedAt + durationSeconds * 1000,
      calledBackAt: null,
      callbackIndex: null,
      textBackStatus: 'none',
      textBackReason: null,
      textedBackAt: null,
    })
  }

  const calls = [...inbound, ...callbacks]
  // A missed call's callback is the first outbound call to the caller after it rang (DESIGN.md).
  const outboundByCaller = new Map<string, number[]>()
  calls.forEach((c, i) => {
    if (c.direction !== 'outbound' || !c.e164) return
    const list = outboundByCaller.get(c.e164) ?? []
    list.push(i)
    outboundByCaller.set(c.e164, list)
  })
  for (const list of outboundByCaller.values())
    list.sort((a, b) => (calls[a]?.startedAt ?? 0) - (calls[b]?.startedAt ?? 0))
  for (const call of inbound) {
    if (call.status === 'answered' || !call.e164) continue
    const next = (outboundByCaller.get(call.e164) ?? []).find(
      (i) => (calls[i]?.startedAt ?? 0) > call.startedAt,
    )
    if (next !== undefined) {
      call.calledBackAt = calls[next]?.startedAt ?? null
      call.callbackIndex = next
    }
  }

  // Appointments. A missed caller books more often after a touch: a reply to the text-back, a
  // callback they picked up; some book anyway. Answered callers often book on the call.
  const appointments: PlannedAppointment[] = []
  let externalSeq = 10_000
  const treatment = () => pickWeighted(rng, DEMO_TREATMENTS, (t) => t.weight).key
  const book = (e164: string, createdAt: number) => {
    if (createdAt >= now) return
    const t = treatment()
    const scheduledFor = localToUtc(
      timeZone,
      Math.floor((createdAt + (2 + Math.floor(rng() * 20)) * DAY_MS) / DAY_MS) * DAY_MS,
      (9 + Math.floor(rng() * 8)) * 60 + (rng() < 0.5 ? 0 : 30),
    )
    appointments.push({
      e164,
      createdAt,
      scheduledFor,
      treatment: t,
      valuePence:
        rng() < 0.7 ? (DEMO_TREATMENTS.find((x) => x.key === t)?.valuePence ?? null) : null,
      externalId: `PMS-${externalSeq++}`,
    })
  }
  inbound.forEach((call, index) => {
    if (!call.e164) return
    if (call.status === 'answered') {
      if (rng() < 0.25) book(call.e164, call.endedAt + Math.floor(rng() * 4 * MINUTE_MS))
      return
    }
    const callback = call.callbackIndex !== null ? calls[call.callbackIndex] : undefined
    const pickedUp = callback?.status === 'answered'
    const chance = repliedCalls.has(index) ? 0.45 : pickedUp ? 0.22 : 0.05
    if (rng() >= chance) return
    const touchAt = repliedCalls.has(index)
      ? (replies.find((r) => r.inReplyToCallIndex === index)?.receivedAt ?? call.endedAt)
      : pickedUp && callback
        ? callback.endedAt
        : call.endedAt
    // Most book within the hour of the touch; a few days later for the rest (inside 14 days).
    const delay =
      rng() < 0.7 ? (2 + rng() * 55) * MINUTE_MS : (1 + rng() * 9) * DAY_MS + rng() * 8 * HOUR_MS
    book(call.e164, Math.floor(touchAt + delay))
  })
  // Bookings that never came through the phone (website, walk-ins): about two a day.
  for (let d = days - 1; d >= 0; d--) {
    const n = Math.floor(rng() * 5)
    for (let i = 0; i < n; i++) {
      const localDate = todayUtcMidnight - d * DAY_MS
      const at = localToUtc(timeZone, localDate, 8 * 60 + Math.floor(rng() * 12 * 60))
      book(pick(mobiles), at)
    }
  }
  appointments.sort((a, b) => a.createdAt - b.createdAt)

  return { calls, textBacks, inbound: replies, optOuts, appointments, from, to: now }
}
