/**
 * How the rest of the Worker tells the clinic's attribution engine about events. Calls and
 * messaging code call these after they have stored an event; the engine (src/attribution,
 * the clinic Durable Object) settles appointments from them.
 *
 * PLACEHOLDER BODIES: replaced by the attribution implementation (issue 3).
 */
import type { Bindings } from '../env'

export type AttributionEvent =
  /** An inbound call whose outcome is known (or changed, e.g. missed → voicemail). `at` = when it first rang. */
  | {
      kind: 'inbound-call'
      callId: string
      callerHash: string
      at: number
      status: 'answered' | 'missed' | 'voicemail'
    }
  /** An outbound call (or a logged callback) to the caller. */
  | { kind: 'callback'; callId: string; callerHash: string; at: number }
  /** The caller replied to a text-back we sent them. */
  | { kind: 'text-back-reply'; messageId: string; callerHash: string; at: number }

export async function notifyAttribution(
  env: Bindings,
  clinicId: string,
  event: AttributionEvent,
): Promise<void> {
  void env
  void clinicId
  void event
}

/** Re-settles every open attribution window of a clinic from its stored events (seed, imports). */
export async function resettleClinic(env: Bindings, clinicId: string): Promise<void> {
  void env
  void clinicId
}
