/**
 * The delivery state machine of a message we sent, driven by Twilio's status callbacks. Callbacks
 * can be duplicated and arrive out of order, so a status only ever moves forward, and the
 * terminal ones (delivered, undelivered, failed) never change again.
 */

export type OutboundStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'sandboxed'

const RANK: Record<OutboundStatus, number> = {
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  sandboxed: 3,
}

const TERMINAL = new Set<OutboundStatus>(['delivered', 'undelivered', 'failed', 'sandboxed'])

/**
 * Twilio's `MessageStatus` in our terms. Twilio's own `queued`/`accepted`/`sending` all mean it
 * has the message, which for us is `sent`; `read` (WhatsApp) implies delivered. Unknown → null.
 */
export function fromTwilioStatus(messageStatus: string | null | undefined): OutboundStatus | null {
  switch ((messageStatus ?? '').trim().toLowerCase()) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'sending':
    case 'sent':
      return 'sent'
    case 'delivered':
    case 'read':
      return 'delivered'
    case 'undelivered':
      return 'undelivered'
    case 'failed':
    case 'canceled':
      return 'failed'
    default:
      return null
  }
}

/** The status after a callback reporting `incoming`; equal to `current` when it changes nothing. */
export function nextOutboundStatus(
  current: OutboundStatus,
  incoming: OutboundStatus,
): OutboundStatus {
  if (TERMINAL.has(current)) return current
  return RANK[incoming] > RANK[current] ? incoming : current
}
