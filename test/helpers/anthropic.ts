/**
 * A fake Anthropic Messages API for tests: an injected `fetch` that answers only at
 * FAKE_ANTHROPIC (anything else throws), records each request, and replies with the responses
 * a test queues — a tool call, an error with headers, or a network failure.
 */
import type { Config } from '../../src/env'

export const FAKE_ANTHROPIC = 'https://anthropic.fake.test'
export const FAKE_KEY = 'sk-ant-test-key'
export const FAKE_MODEL = 'claude-haiku-4-5'

export type RecordedRequest = {
  url: string
  method: string
  headers: Headers
  body: {
    model: string
    max_tokens: number
    system: string
    messages: { role: string; content: string }[]
    tools: { name: string; input_schema: unknown }[]
    tool_choice: { type: string; name: string }
  }
}

/** What the fake does for one request: answer with a Response, or fail as the network would. */
export type FakeAnswer = Response | 'network-error'

/** The assistant's config pointed at the fake (a real-looking key, so the SDK path runs). */
export function modelConfig(): Pick<Config, 'anthropic'> {
  return { anthropic: { apiKey: FAKE_KEY, baseUrl: FAKE_ANTHROPIC, model: FAKE_MODEL } }
}

/** The fake: answers in order; the last answer repeats when the queue runs out. */
export function fakeAnthropic(...answers: FakeAnswer[]) {
  const requests: RecordedRequest[] = []
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    if (!request.url.startsWith(`${FAKE_ANTHROPIC}/`)) {
      throw new Error(`unexpected request outside the fake Anthropic: ${request.url}`)
    }
    requests.push({
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: await request.json(),
    })
    const answer = answers.length > 1 ? answers.shift() : answers[0]
    if (answer === undefined) throw new Error('no answer queued')
    if (answer === 'network-error') throw new TypeError('Network connection lost.')
    return answer.clone()
  }
  return { fetch: fetch as typeof globalThis.fetch, requests }
}

/** A Messages API response whose content is one call of the `reply` tool with `input`. */
export function toolReply(
  input: unknown,
  usage: { input_tokens: number; output_tokens: number } = { input_tokens: 812, output_tokens: 64 },
): Response {
  return Response.json({
    id: 'msg_01FAKE',
    type: 'message',
    role: 'assistant',
    model: FAKE_MODEL,
    content: [{ type: 'tool_use', id: 'toolu_01FAKE', name: 'reply', input }],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage,
  })
}

/** A Messages API response with plain text and no tool call (a model ignoring tool_choice). */
export function textReply(text: string): Response {
  return Response.json({
    id: 'msg_01TEXT',
    type: 'message',
    role: 'assistant',
    model: FAKE_MODEL,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 700, output_tokens: 20 },
  })
}

/** An API error as Anthropic sends it: `{type: 'error', error: {type, message}}`. */
export function apiError(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    { type: 'error', error: { type, message }, request_id: 'req_01FAKE' },
    { status, headers: { 'request-id': 'req_01FAKE', ...headers } },
  )
}
