/**
 * Property: any duplication and reordering of a call's webhook deliveries ends in the same call
 * row as the in-order run, with at most one text-back (outbox row and queue message).
 *
 * Orderings respect what Twilio makes causally impossible to reorder: the voice webhook comes
 * first (no other callback can exist before Twilio has our `<Dial>`), and the screening key press
 * precedes the dial's result (the whisper happens while the dial is still connecting).
 */
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { postTwilio } from './helpers/twilio'
import { callRow, createClinic, newCallSid, spyOnJobs, textBacksFor, voice } from './helpers/voice'

let jobs: ReturnType<typeof spyOnJobs>
beforeEach(() => {
  jobs = spyOnJobs()
})
afterEach(() => jobs.restore())

type Scenario = {
  from: string
  screening: boolean
  screenAccepted: boolean
  dialStatus: string | null
  recordingSeconds: number | null
  finalStatus: string
  holdOutPercent: number
}

type Delivery =
  | { kind: 'voice' }
  | { kind: 'screen-result' }
  | { kind: 'dial-result' }
  | { kind: 'recording' }
  | { kind: 'status' }

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    from: fc.oneof(
      fc.integer({ min: 0, max: 999 }).map((n) => `+447700900${String(n).padStart(3, '0')}`),
      fc.constant('+441134960777'),
      fc.constant('anonymous'),
    ),
    screening: fc.boolean(),
    screenAccepted: fc.boolean(),
    dialStatus: fc.constantFrom(
      null,
      'answered',
      'completed',
      'busy',
      'no-answer',
      'failed',
      'canceled',
    ),
    recordingSeconds: fc.option(fc.integer({ min: 0, max: 120 })),
    finalStatus: fc.constantFrom('completed', 'no-answer', 'busy', 'failed', 'canceled'),
    holdOutPercent: fc.constantFrom(0, 100),
  })
  .map((s) => ({
    ...s,
    // A dial result means the call was in progress: it then ends `completed`.
    finalStatus: s.dialStatus ? 'completed' : s.finalStatus,
    screenAccepted: s.screening && s.screenAccepted,
  }))

function deliveriesOf(s: Scenario): Delivery[] {
  const list: Delivery[] = [{ kind: 'voice' }]
  if (s.screenAccepted) list.push({ kind: 'screen-result' })
  if (s.dialStatus) list.push({ kind: 'dial-result' })
  // Voicemail is only offered when the dial reached nobody.
  const dialReached =
    (s.dialStatus === 'answered' || s.dialStatus === 'completed') &&
    (!s.screening || s.screenAccepted)
  if (s.recordingSeconds !== null && s.dialStatus && !dialReached) list.push({ kind: 'recording' })
  list.push({ kind: 'status' })
  return list
}

/** A shuffled, duplicated delivery plan: [delivery index, token suffix] pairs. */
const planArb = (count: number) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 1_000_000 }), {
        minLength: count - 1,
        maxLength: count - 1,
      }),
      fc.array(
        fc.record({ index: fc.integer({ min: 0, max: count - 1 }), sameToken: fc.boolean() }),
        { maxLength: 6 },
      ),
    )
    .map(([keys, dups]) => ({ keys, dups }))

function orderOf(deliveries: Delivery[], keys: number[]): number[] {
  const rest = deliveries
    .map((_, i) => i)
    .slice(1)
    .sort((a, b) => (keys[a - 1] ?? 0) - (keys[b - 1] ?? 0) || a - b)
  // The whisper's key press always comes before the dial result.
  const screen = rest.findIndex((i) => deliveries[i]?.kind === 'screen-result')
  const dial = rest.findIndex((i) => deliveries[i]?.kind === 'dial-result')
  if (screen >= 0 && dial >= 0 && screen > dial) {
    ;[rest[screen], rest[dial]] = [rest[dial]!, rest[screen]!]
  }
  return [0, ...rest]
}

async function runCall(
  s: Scenario,
  sequence: { index: number; token: string }[],
  deliveries: Delivery[],
) {
  const clinic = await createClinic({
    name: 'Property Clinic',
    callScreening: s.screening,
    holdOutPercent: s.holdOutPercent,
  })
  const p = { CallSid: newCallSid(), From: s.from, To: clinic.trackingNumber }
  const twiml = new Map<number, string>()
  for (const { index, token: tokenSuffix } of sequence) {
    const d = deliveries[index]!
    // Twilio's tokens are unique per request: scope the plan's tokens to this call.
    const token = `${p.CallSid}:${tokenSuffix}`
    let res: Response
    if (d.kind === 'voice') res = await voice.incoming(p, token)
    else if (d.kind === 'dial-result') res = await voice.dialResult(p, s.dialStatus!, token)
    else if (d.kind === 'recording')
      res = await voice.recording(p.CallSid, s.recordingSeconds!, token)
    else if (d.kind === 'status') res = await voice.status(p, s.finalStatus, token)
    else
      res = await postTwilio(
        '/webhooks/twilio/voice/screen-result',
        { CallSid: `CA${p.CallSid.slice(3)}x`, ParentCallSid: p.CallSid, Digits: '5' },
        { idempotencyToken: token },
      )
    expect(res.status).toBe(200)
    const body = (await res.text()).replaceAll(clinic.forwardTo, 'FORWARD')
    const before = twiml.get(index)
    if (before !== undefined) expect(body).toBe(before)
    twiml.set(index, body)
  }
  const row = await callRow(clinic.clinicId, p.CallSid)
  expect(row).not.toBeNull()
  const outbox = await textBacksFor(clinic.clinicId)
  const queued = jobs.sent.filter((j) => j.clinicId === clinic.clinicId)
  expect(outbox.length).toBeLessThanOrEqual(1)
  expect(queued.length).toBe(outbox.length)
  return {
    twiml,
    outboxCount: outbox.length,
    row: {
      direction: row!.direction,
      status: row!.status,
      callerKind: row!.callerKind,
      hasCallerHash: row!.callerHash !== null,
      dialOutcome: row!.dialOutcome,
      finalCallStatus: row!.finalCallStatus,
      screeningRequired: row!.screeningRequired,
      screeningAccepted: row!.screeningAccepted,
      voicemailSeconds: row!.voicemailSeconds,
      hasRecording: row!.recordingKey !== null,
      durationSeconds: row!.durationSeconds,
      textBackStatus: row!.textBackStatus,
      textBackReason: row!.textBackReason,
      calledBackAt: row!.calledBackAt,
    },
  }
}

describe('voice webhook idempotency (property)', () => {
  it('any duplication and reordering of a call’s deliveries converges on the in-order result', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArb.chain((s) => planArb(deliveriesOf(s).length).map((plan) => ({ s, plan }))),
        async ({ s, plan }) => {
          const deliveries = deliveriesOf(s)
          const inOrder = deliveries.map((_, index) => ({ index, token: `t${index}` }))
          const shuffled = orderOf(deliveries, plan.keys).map((index) => ({
            index,
            token: `t${index}`,
          }))
          // Duplicates: the same token again (a Twilio retry) or a new token (same natural key).
          for (const [n, dup] of plan.dups.entries()) {
            const at = Math.min(shuffled.length, 1 + ((n * 7) % shuffled.length))
            shuffled.splice(at, 0, {
              index: dup.index,
              token: dup.sameToken ? `t${dup.index}` : `t${dup.index}-dup${n}`,
            })
          }
          // A duplicate inserted before its original would be the first delivery: keep `voice` first.
          const firstVoice = shuffled.findIndex((x) => x.index === 0)
          const [voiceFirst] = shuffled.splice(firstVoice, 1)
          shuffled.unshift(voiceFirst!)
          const screenAt = shuffled.findIndex((x) => deliveries[x.index]?.kind === 'screen-result')
          const dialAt = shuffled.findIndex((x) => deliveries[x.index]?.kind === 'dial-result')
          if (screenAt > dialAt && dialAt >= 0) {
            const [screen] = shuffled.splice(screenAt, 1)
            shuffled.splice(dialAt, 0, screen!)
          }

          const expected = await runCall(s, inOrder, deliveries)
          const actual = await runCall(s, shuffled, deliveries)
          expect(actual.row).toEqual(expected.row)
          expect(actual.outboxCount).toBe(expected.outboxCount)
          for (const [index, body] of expected.twiml) expect(actual.twiml.get(index)).toBe(body)
        },
      ),
      { numRuns: 60 },
    )
  }, 180_000)
})
