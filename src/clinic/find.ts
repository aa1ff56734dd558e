/** The one clinic loader: every setting of a clinic, by id, through Drizzle. */
import { eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { clinics } from '../db/schema'

export type ClinicRow = typeof clinics.$inferSelect

/** The clinic's row with every setting; null if it is gone (a session outliving its clinic). */
export async function findClinic(db: Db, clinicId: string): Promise<ClinicRow | null> {
  const [row] = await db.select().from(clinics).where(eq(clinics.id, clinicId)).limit(1)
  return row ?? null
}
