import type { Executor } from '../../db/client'
import { anyOf, prepared } from '../../db/prepared'
import { type SuppressionReason, suppressions } from './suppression.tables'

export async function anySuppressed(db: Executor, hashes: string[]): Promise<boolean> {
  if (hashes.length === 0) return false
  const rows = await prepared(
    db
      .select({ addressHash: suppressions.addressHash })
      .from(suppressions)
      .where(anyOf(suppressions.addressHash, hashes))
      .limit(1),
  )
  return rows.length > 0
}

export async function insertSuppressions(
  db: Executor,
  hashes: string[],
  reason: SuppressionReason,
  at: Date,
): Promise<void> {
  if (hashes.length === 0) return
  await db
    .insert(suppressions)
    .values(hashes.map((addressHash) => ({ addressHash, reason, createdAt: at })))
    .onConflictDoNothing()
}
