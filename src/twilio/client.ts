/**
 * The one Twilio REST client: sends SMS/WhatsApp through the Messages API with fetch and Basic
 * auth, or — in sandbox mode (no account SID/token) — sends nothing and says so.
 */
import type { Config } from '../env'
import { isTwilioSid } from './sid'

export type SendMessageInput = {
  to: string
  from: string
  body: string
  statusCallback?: string
}

export type SendResult = { mode: 'sent'; sid: string; status: string } | { mode: 'sandbox' }

export class TwilioApiError extends Error {
  override name = 'TwilioApiError'
  constructor(
    readonly status: number,
    readonly code: number | null,
    message: string,
  ) {
    super(message)
  }
  /** 4xx other than 429 will fail the same way again: do not retry. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 429
  }
}

export interface MessagingClient {
  readonly sandbox: boolean
  sendMessage(input: SendMessageInput): Promise<SendResult>
  /** The recording's audio (MP3), or null in sandbox mode or when Twilio no longer has it. */
  downloadRecording(recordingSid: string): Promise<ArrayBuffer | null>
  /** Deletes the recording at Twilio, so the only copy is ours, under our retention. */
  deleteRecording(recordingSid: string): Promise<void>
  /**
   * The caller's number from Twilio's own record of a call (`From` of an inbound call), or null
   * when Twilio has no such call or no number. In memory only: never store, log or queue it.
   */
  fetchCallFrom(callSid: string): Promise<string | null>
  /** Places a call to `to` from `from` that runs the given TwiML once answered. */
  createCall(input: CreateCallInput): Promise<CreateCallResult>
}

export type CreateCallInput = { to: string; from: string; twiml: string }

export type CreateCallResult = { mode: 'sent'; sid: string; status: string } | { mode: 'sandbox' }

export function createTwilioClient(config: Config, fetcher: typeof fetch = fetch): MessagingClient {
  const { accountSid, authToken, apiBaseUrl, sandbox } = config.twilio
  if (sandbox || !accountSid || !authToken) {
    return {
      sandbox: true,
      sendMessage: async () => ({ mode: 'sandbox' }),
      downloadRecording: async () => null,
      deleteRecording: async () => {},
      fetchCallFrom: async () => null,
      createCall: async () => ({ mode: 'sandbox' }),
    }
  }
  const auth = `Basic ${btoa(`${accountSid}:${authToken}`)}`
  const recordingUrl = (sid: string, ext: string) => {
    if (!isTwilioSid(sid)) throw new TwilioApiError(400, null, 'Invalid recording SID')
    return `${apiBaseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Recordings/${sid}.${ext}`
  }
  const accountUrl = `${apiBaseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}`
  /** POSTs a form to an account resource; Twilio's error text can quote a number: keep the code only. */
  const postForm = async (resource: string, form: URLSearchParams) => {
    const res = await fetcher(`${accountUrl}/${resource}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    })
    const json = (await res.json().catch(() => ({}))) as {
      sid?: string
      status?: string
      code?: number
    }
    if (!res.ok || !json.sid) {
      throw new TwilioApiError(
        res.status,
        json.code ?? null,
        `Twilio API error ${res.status}${json.code ? ` (code ${json.code})` : ''}`,
      )
    }
    return { mode: 'sent' as const, sid: json.sid, status: json.status ?? 'queued' }
  }
  return {
    sandbox: false,
    async fetchCallFrom(callSid) {
      if (!isTwilioSid(callSid)) throw new TwilioApiError(400, null, 'Invalid call SID')
      const res = await fetcher(`${accountUrl}/Calls/${callSid}.json`, {
        headers: { authorization: auth },
      })
      if (res.status === 404) return null
      if (!res.ok) throw new TwilioApiError(res.status, null, `Twilio API error ${res.status}`)
      const json = (await res.json().catch(() => ({}))) as { from?: unknown }
      return typeof json.from === 'string' && json.from !== '' ? json.from : null
    },
    async createCall(input) {
      return postForm(
        'Calls.json',
        new URLSearchParams({ To: input.to, From: input.from, Twiml: input.twiml }),
      )
    },
    async downloadRecording(recordingSid) {
      const res = await fetcher(recordingUrl(recordingSid, 'mp3'), {
        headers: { authorization: auth },
      })
      if (res.status === 404) return null
      if (!res.ok) throw new TwilioApiError(res.status, null, `Twilio API error ${res.status}`)
      return res.arrayBuffer()
    },
    async deleteRecording(recordingSid) {
      const res = await fetcher(recordingUrl(recordingSid, 'json'), {
        method: 'DELETE',
        headers: { authorization: auth },
      })
      if (!res.ok && res.status !== 404)
        throw new TwilioApiError(res.status, null, `Twilio API error ${res.status}`)
    },
    async sendMessage(input) {
      const form = new URLSearchParams({ To: input.to, From: input.from, Body: input.body })
      if (input.statusCallback) form.set('StatusCallback', input.statusCallback)
      return postForm('Messages.json', form)
    },
  }
}
