import type { Executor } from '../../db/client'
import { suppressionHash } from '../../lib/email-address'
import { anySuppressed, insertSuppressions } from './suppression.repository'
import type { SuppressionReason } from './suppression.tables'

/** Art. 17/21: once erased or objected, an address is never sourced or mailed again. */
export function isSuppressed(db: Executor, secret: string, addresses: string[]): Promise<boolean> {
  return anySuppressed(
    db,
    addresses.map((address) => suppressionHash(address, secret)),
  )
}

export function suppress(
  db: Executor,
  secret: string,
  addresses: string[],
  reason: SuppressionReason,
  at: Date,
): Promise<void> {
  return insertSuppressions(
    db,
    addresses.map((address) => suppressionHash(address, secret)),
    reason,
    at,
  )
}
