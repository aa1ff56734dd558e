/**
 * The TwiML documents the voice webhooks answer with. Pure string builders; every value that
 * comes from data (a clinic's name, a forwarding number) is XML-escaped. URLs are relative paths,
 * as the contract states: Twilio resolves them against the URL it just requested.
 */

export const VOICE_PATHS = {
  dialResult: '/webhooks/twilio/voice/dial-result',
  screen: '/webhooks/twilio/voice/screen',
  screenResult: '/webhooks/twilio/voice/screen-result',
  recording: '/webhooks/twilio/voice/recording',
} as const

/** Longest voicemail we take, in seconds. */
export const VOICEMAIL_MAX_SECONDS = 120

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'

/** Escapes text and attribute values for XML. */
export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

function document(body: string): string {
  return `${XML_HEAD}<Response>${body}</Response>`
}

/** An unknown tracking number: refuse the call (the caller hears busy, nothing is billed). */
export function rejectTwiml(): string {
  return document('<Reject/>')
}

/** Nothing more to do: the empty `<Response/>` the contract names (every webhook's no-op answer). */
export function emptyTwiml(): string {
  return `${XML_HEAD}<Response/>`
}

/** A webhook's answer: the TwiML document, as Twilio expects it. */
export function twimlResponse(xml: string): Response {
  return new Response(xml, { status: 200, headers: { 'content-type': 'text/xml; charset=utf-8' } })
}

export function hangupTwiml(): string {
  return document('<Hangup/>')
}

/** Forward the call to the clinic's front desk; with screening, the answering leg hears a whisper first. */
export function dialTwiml(input: {
  forwardTo: string
  ringTimeoutSeconds: number
  screening: boolean
}): string {
  const number = input.screening
    ? `<Number url="${VOICE_PATHS.screen}">${escapeXml(input.forwardTo)}</Number>`
    : `<Number>${escapeXml(input.forwardTo)}</Number>`
  const timeout = Math.max(5, Math.min(120, Math.round(input.ringTimeoutSeconds)))
  return document(
    `<Dial action="${VOICE_PATHS.dialResult}" timeout="${timeout}" answerOnBridge="true">${number}</Dial>`,
  )
}

/** The whisper the forwarded leg hears: press a key to take the call, otherwise it is not connected. */
export function screenTwiml(clinicName: string | null): string {
  const who = clinicName ? `Ringback call for ${clinicName}.` : 'Ringback call.'
  return document(
    `<Gather numDigits="1" timeout="5" action="${VOICE_PATHS.screenResult}"><Say>${escapeXml(who)} Press any key to accept.</Say></Gather><Hangup/>`,
  )
}

/** The dial did not reach anyone: offer the caller voicemail. */
export function voicemailTwiml(clinicName: string): string {
  return document(
    `<Say>Sorry, nobody at ${escapeXml(clinicName)} could take your call. Please leave a message after the tone.</Say>` +
      `<Record maxLength="${VOICEMAIL_MAX_SECONDS}" playBeep="true" recordingStatusCallback="${VOICE_PATHS.recording}" recordingStatusCallbackEvent="completed"/>`,
  )
}
