/** The one audit writer: appends to the clinic's hash chain through its Durable Object. */
import type { Bindings } from '../env'
import { withDurableRetry } from '../lib/durable'
import type { AuditEntry, AuditInput } from './chain'

export async function audit(
  env: Bindings,
  clinicId: string,
  input: AuditInput,
): Promise<AuditEntry> {
  return withDurableRetry(() => env.CLINIC.getByName(clinicId).appendAudit(input))
}
