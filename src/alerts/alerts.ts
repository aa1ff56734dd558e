/** PLACEHOLDER in wip/lead until wip/alerts lands (its file replaces this one at merge). */
import type { Bindings } from '../env'

export async function raiseStaffAlert(
  _env: Bindings,
  _alert: { clinicId: string; kind: 'needs-human' | 'missed-call'; ref: string; at: number },
): Promise<void> {}
