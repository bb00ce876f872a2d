import type { Executor } from '../../db/client'
import { anyOf, statement } from '../../db/prepared'
import { type SuppressionReason, suppressions } from './suppression.tables'

const suppressedAmong = statement((db) =>
  db
    .select({ addressHash: suppressions.addressHash })
    .from(suppressions)
    .where(anyOf(suppressions.addressHash, 'hashes'))
    .limit(1),
)

export async function anySuppressed(db: Executor, hashes: string[]): Promise<boolean> {
  if (hashes.length === 0) return false
  const rows = await suppressedAmong(db, { hashes })
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
