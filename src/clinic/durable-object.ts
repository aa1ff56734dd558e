/**
 * One Durable Object per clinic (`env.CLINIC.getByName(clinicId)`). It serialises what must never
 * interleave for a clinic: appending to the audit hash chain, and (see src/attribution) settling
 * attribution. Decisions use synchronous SQLite storage calls only; side effects (D1 writes,
 * queues) happen in the Worker after the decision returns.
 */
import { DurableObject } from 'cloudflare:workers'
import { AuditChain, type AuditEntry, type AuditInput } from '../audit/chain'
import type { Bindings } from '../env'
import { newId } from '../lib/ids'

export class ClinicDurableObject extends DurableObject<Bindings> {
  private readonly audit: AuditChain

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.audit = new AuditChain(ctx.storage.sql)
  }

  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    return this.audit.append(input, () => newId('aud'))
  }

  async listAudit(limit: number, beforeSeq: number | null): Promise<AuditEntry[]> {
    return this.audit.list(limit, beforeSeq)
  }

  async verifyAudit(): Promise<{ valid: boolean; checked: number; firstBrokenId: string | null }> {
    return this.audit.verify()
  }
}
