import { and, desc, eq, gt, isNull, lte } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { talentPool } from './talent-pool.tables'

export type TalentPoolRow = typeof talentPool.$inferSelect

export async function insertMembership(db: Executor, row: typeof talentPool.$inferInsert): Promise<void> {
  await db.insert(talentPool).values(row)
}

/** The membership a link answers, locked: the newest request for the same text. */
export async function lockRequestedMembership(
  db: Executor,
  personId: string,
  consentTextHash: string,
): Promise<TalentPoolRow | undefined> {
  const [row] = await db
    .select()
    .from(talentPool)
    .where(
      and(
        eq(talentPool.personId, personId),
        eq(talentPool.consentTextHash, consentTextHash),
        eq(talentPool.status, 'requested'),
      ),
    )
    .orderBy(desc(talentPool.requestedAt))
    .limit(1)
    .for('update')
  return row
}

export async function updateMembership(
  db: Executor,
  id: string,
  changes: Partial<typeof talentPool.$inferInsert>,
): Promise<void> {
  await db.update(talentPool).set(changes).where(eq(talentPool.id, id))
}

/** Consents that end between `now` and `until` and whose renewal was not asked for yet. */
export function membershipsEndingBy(db: Executor, now: Date, until: Date): Promise<TalentPoolRow[]> {
  return db
    .select()
    .from(talentPool)
    .where(
      and(
        eq(talentPool.status, 'given'),
        gt(talentPool.expiresAt, now),
        lte(talentPool.expiresAt, until),
        isNull(talentPool.renewalRequestedAt),
      ),
    )
}
