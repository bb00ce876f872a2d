import { index, pgEnum, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { at, deletedWith, id } from '../../db/columns'
import { users } from '../auth/auth.tables'
import { people } from '../people/people.tables'

export const talentPoolStatuses = ['requested', 'given', 'declined'] as const
export const talentPoolStatusEnum = pgEnum('talent_pool_status', talentPoolStatuses)

/**
 * Keeping a person for future vacancies needs its own consent (no CV hoarding, Art. 5(1)(b)),
 * for at most 12 months, renewed only by the person. The exact text agreed is kept by hash.
 */
export const talentPool = pgTable(
  'talent_pool',
  {
    id: id(),
    personId: deletedWith('person_id', () => people.id).notNull(),
    status: talentPoolStatusEnum('status').notNull(),
    consentTextHash: text('consent_text_hash').notNull(),
    requestedAt: at('requested_at').notNull(),
    requestedBy: uuid('requested_by').references(() => users.id),
    /** Through which link the answer came (Art. 7(1) proof). */
    answeredVia: uuid('answered_via'),
    answeredAt: at('answered_at'),
    /** When the consent stops counting: 12 months after it was given or renewed. */
    expiresAt: at('expires_at'),
    /** When the person was asked to renew (one month before expiry), once per period. */
    renewalRequestedAt: at('renewal_requested_at'),
  },
  (table) => [
    index('talent_pool_person_idx').on(table.personId),
    index('talent_pool_expiry_idx').on(table.expiresAt),
  ],
)
