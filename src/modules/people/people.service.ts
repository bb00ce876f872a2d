import type { Executor } from '../../db/client'
import type { FieldKeyring } from '../../lib/field-crypto'
import { listIdentifiersNotUnder, replaceIdentifierCiphertext } from './people.repository'
import type { IdentifierKind } from './people.tables'

// A person's stored data as other modules reach it: through this service, never the repository.
export {
  deleteEmailsExcept,
  deleteIdentifier,
  emailsHeldByOthers,
  findPerson,
  findPersonIdsByEmails,
  insertEmails,
  insertPerson,
  listEmails,
  listIdentifiers,
  lockPerson,
  lockPersonOfCandidacy,
  lockPersonOfMessage,
  type PersonEmailRow,
  type PersonIdentifierRow,
  type PersonRow,
  sharePerson,
  updatePerson,
  upsertIdentifiers,
} from './people.repository'

/** Associated data of an encrypted identifier: its ciphertext decrypts only on its own person and kind. */
export const identifierBinding = (personId: string, kind: IdentifierKind) => `person:${personId}:${kind}`

/**
 * Re-encrypts every identifier under the newest key (`keys:rotate`). Safe to run again after an
 * interruption; an old key may be removed from FIELD_ENCRYPTION_KEYS once this reports 0 left.
 */
export async function rotateIdentifierKeys(
  db: Executor,
  keyring: FieldKeyring,
  batchSize = 500,
): Promise<{ rotated: number }> {
  let rotated = 0
  for (;;) {
    const batch = await listIdentifiersNotUnder(db, keyring.currentKeyId, batchSize)
    if (batch.length === 0) return { rotated }
    for (const row of batch) {
      const binding = identifierBinding(row.personId, row.kind)
      const plaintext = keyring.decrypt(row, binding)
      await replaceIdentifierCiphertext(db, row.id, row, keyring.encrypt(plaintext, binding))
      rotated++
    }
  }
}
