#!/usr/bin/env node
/**
 * `npm run simulate [-- --base http://localhost:8787]`: plays a morning at the demo clinic's front
 * desk against a running `npm run dev`, as correctly signed Twilio webhooks — answered calls,
 * missed mobile callers (text-back), a voicemail, a withheld caller, a landline, a repeat caller
 * within 24 hours (no second text-back), a STOP, and a callback — then shows what Ringback made
 * of it through the API, signed in as the demo owner.
 *
 * Callers are fake drama-range numbers (07700 900xxx, 0113 496 0xxx); text-backs stay in the
 * outbox because .dev.vars keeps Twilio in sandbox mode.
 */
import { join } from 'node:path'
import { argValue, fakeSid, readVars, root, signedWebhook } from './lib/local.mjs'

const args = process.argv.slice(2)
const vars = readVars(join(root, '.dev.vars'))
const base = (argValue(args, '--base') ?? 'http://localhost:8787').replace(/\/+$/, '')
// Twilio signs the public URL the Worker believes it is served at (PUBLIC_BASE_URL), which need
// not be the address we reach it by (127.0.0.1 vs localhost): ask the dev Worker, unless told.
let signBase = argValue(args, '--public-base-url')?.replace(/\/+$/, '')
const authToken = vars.TWILIO_AUTH_TOKEN ?? 'dev-twilio-auth-token'
const accountSid = /^AC/.test(vars.TWILIO_ACCOUNT_SID ?? '')
  ? vars.TWILIO_ACCOUNT_SID
  : 'AC00000000000000000000000000000000'
const CLINIC_NUMBER = '+441134960000'

const pad = (n) => String(n).padStart(3, '0')
const randomMobile = () => `+447700900${pad(Math.floor(Math.random() * 1000))}`
const masked = (e164) => (e164 ? `•••${e164.slice(-3)}` : 'withheld')

function say(line) {
  console.log(line)
}

async function post(path, params) {
  const { url, init } = signedWebhook({ base, signBase, path, params, authToken })
  const res = await fetch(url, init)
  const text = await res.text()
  if (res.status >= 400) {
    throw new Error(`${path} answered ${res.status}: ${text.slice(0, 200)}`)
  }
  return text
}

function describeTwiml(xml) {
  if (/<Reject/.test(xml)) return 'rejected (unknown number)'
  if (/<Dial/.test(xml)) return 'forwarded to the front desk'
  if (/<Record/.test(xml)) return 'offered voicemail'
  if (/<Hangup/.test(xml)) return 'hung up'
  return 'acknowledged'
}

function callParams(callSid, from, extra = {}) {
  return {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    CallSid: callSid,
    From: from,
    Caller: from,
    To: CLINIC_NUMBER,
    Called: CLINIC_NUMBER,
    Direction: 'inbound',
    ...extra,
  }
}

/** One inbound call from ring to hang-up: voice → dial-result → (recording) → status. */
async function inboundCall(label, from, outcome, { voicemailSeconds = 0 } = {}) {
  const sid = fakeSid('CA')
  const twiml = await post(
    '/webhooks/twilio/voice',
    callParams(sid, from, { CallStatus: 'ringing' }),
  )
  const dial = await post(
    '/webhooks/twilio/voice/dial-result',
    callParams(sid, from, {
      CallStatus: 'in-progress',
      DialCallStatus: outcome,
      DialCallSid: fakeSid('CA'),
      DialCallDuration:
        outcome === 'completed' ? String(60 + Math.floor(Math.random() * 200)) : '0',
    }),
  )
  if (voicemailSeconds > 0) {
    await post('/webhooks/twilio/voice/recording', {
      AccountSid: accountSid,
      CallSid: sid,
      RecordingSid: fakeSid('RE'),
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Recordings/${fakeSid('RE')}`,
      RecordingStatus: 'completed',
      RecordingDuration: String(voicemailSeconds),
      RecordingChannels: '1',
      RecordingSource: 'RecordVerb',
    })
  }
  await post(
    '/webhooks/twilio/voice/status',
    callParams(sid, from, { CallStatus: 'completed', CallDuration: '35' }),
  )
  const after = outcome === 'completed' ? 'answered' : `${outcome} → ${describeTwiml(dial)}`
  say(
    `  ☎  ${label.padEnd(34)} ${masked(from === 'anonymous' ? null : from).padEnd(9)} ${describeTwiml(twiml)}; ${after}${voicemailSeconds ? `; left a ${voicemailSeconds}s voicemail` : ''}`,
  )
  return sid
}

async function signIn() {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: new URL(signBase).origin },
    body: JSON.stringify({ email: 'owner@demo.clinic', password: 'demo-password-123' }),
  })
  if (!res.ok) return null
  const cookies = res.headers.getSetCookie?.() ?? [res.headers.get('set-cookie') ?? '']
  return cookies.map((c) => c.split(';')[0]).join('; ')
}

async function main() {
  try {
    const health = await fetch(`${base}/healthz`)
    if (!health.ok) throw new Error(`healthz answered ${health.status}`)
  } catch (error) {
    console.error(`No Ringback at ${base} (${error.message}). Start it with \`npm run dev\` first.`)
    process.exit(1)
  }

  signBase ??= await fetch(`${base}/__dev/public-base-url`)
    .then((r) => (r.ok ? r.json() : {}))
    .then((body) => body.publicBaseUrl)
    .catch(() => undefined)
  signBase ??= base
  const startedAt = new Date()
  // Seven distinct callers, so each line of the story is about one person.
  const mobiles = new Set()
  while (mobiles.size < 7) mobiles.add(randomMobile())
  const [mobileA, mobileB, mobileC, ...answering] = [...mobiles]
  const landline = `+441134960${pad(100 + Math.floor(Math.random() * 800))}`

  say(`\nSimulating a busy morning at Demo Dental & Aesthetics (${CLINIC_NUMBER}) on ${base}\n`)
  say('A burst of calls the front desk picks up:')
  await Promise.all(
    answering.map((from, i) => inboundCall(`patient ${i + 1} books a check-up`, from, 'completed')),
  )

  say('\nThe desk is busy — calls ring out:')
  await inboundCall('mobile caller A, no answer', mobileA, 'no-answer')
  await inboundCall('mobile caller B, no answer', mobileB, 'no-answer')
  await inboundCall('mobile caller C, line busy', mobileC, 'busy', { voicemailSeconds: 18 })
  await inboundCall('a withheld number, no answer', 'anonymous', 'no-answer')
  await inboundCall('a landline, no answer', landline, 'no-answer')
  await inboundCall('caller A rings again', mobileA, 'no-answer')

  say('\nPatients and staff react:')
  await post('/webhooks/twilio/messaging', {
    AccountSid: accountSid,
    MessageSid: fakeSid('SM'),
    From: mobileB,
    To: CLINIC_NUMBER,
    Body: 'STOP',
    NumMedia: '0',
  })
  say(
    `  ✉  caller B replies STOP             ${masked(mobileB).padEnd(9)} opted out of the clinic's texts`,
  )
  await post('/webhooks/twilio/voice/status', {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    CallSid: fakeSid('CA'),
    From: CLINIC_NUMBER,
    To: mobileA,
    Direction: 'outbound-api',
    CallStatus: 'completed',
    CallDuration: '95',
  })
  say(
    `  ☎  receptionist calls caller A back  ${masked(mobileA).padEnd(9)} a callback from the clinic's number`,
  )

  // Text-backs leave through the queue (batched for up to a second): give it a moment.
  await new Promise((r) => setTimeout(r, 3000))

  say('\nWhat Ringback recorded (GET /api/v1/calls, signed in as owner@demo.clinic):')
  const cookie = await signIn()
  if (!cookie) {
    say('  (sign-in is not available on this build yet: open the dashboard to see the calls)')
    return
  }
  const res = await fetch(
    `${base}/api/v1/calls?from=${encodeURIComponent(startedAt.toISOString().replace(/\.\d+Z$/, 'Z'))}&limit=50`,
    { headers: { cookie } },
  )
  if (!res.ok) {
    say(`  (the calls list answered ${res.status}; open the dashboard instead)`)
    return
  }
  const { items } = await res.json()
  say('  time      dir       status     caller     text-back            called back')
  for (const call of [...items].reverse()) {
    say(
      `  ${call.startedAt.slice(11, 19)}  ${call.direction.padEnd(8)}  ${call.status.padEnd(9)}  ${(call.callerHash ? `${call.callerHash.slice(0, 8)}…` : 'withheld').padEnd(9)}  ${(call.textedBackAt ? `sent ${call.textedBackAt.slice(11, 19)}` : '—').padEnd(19)}  ${call.calledBackAt ? call.calledBackAt.slice(11, 19) : '—'}`,
    )
  }
  say(
    '\n  Callers appear only as keyed hashes: no phone number is stored. Caller A got one text-back\n  however often they rang; the landline and the withheld caller got none.',
  )
  const outbox = await fetch(`${base}/api/v1/outbox?limit=5`, { headers: { cookie } })
  if (outbox.ok) {
    const { items: messages } = await outbox.json()
    say('\nSandbox outbox (what would have gone to Twilio), newest first:')
    for (const m of messages) say(`  ${m.createdAt}  ${m.to}  ${m.status.padEnd(9)} ${m.body}`)
  }
  say(`\nOpen ${base}/ to see it on the dashboard.\n`)
}

await main()
