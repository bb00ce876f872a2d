import { index, pgEnum, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { at, createdAt, id, recorded } from '../../db/columns'
import { users } from '../auth/auth.tables'

/** The recruiter's customer (opdrachtgever) whose vacancies we source for. */
export const clients = pgTable('clients', {
  id: id(),
  name: text('name').notNull(),
  /** Shown to candidates as the recipient of their data (Art. 14(1)(e)). */
  country: text('country').notNull(),
  createdAt: createdAt(),
})

export const agreementRoles = ['controller', 'processor', 'joint'] as const
export const agreementRoleEnum = pgEnum('agreement_role', agreementRoles)

/** Art. 28 / Art. 26: the signed agreement that governs what we do for the client; versions accumulate. */
export const processingAgreements = pgTable(
  'processing_agreements',
  {
    id: id(),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id),
    version: text('version').notNull(),
    signedAt: at('signed_at').notNull(),
    /** Our role towards the client's data subjects under this agreement. */
    role: agreementRoleEnum('role').notNull(),
    documentRef: text('document_ref').notNull(),
    ...recorded(() => users.id),
  },
  (table) => [index('processing_agreements_client_idx').on(table.clientId, table.signedAt)],
)
