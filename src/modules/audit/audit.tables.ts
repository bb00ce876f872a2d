import { bigserial, index, pgEnum, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { at } from '../../db/columns'
import { users } from '../auth/auth.tables'
import { people } from '../people/people.tables'

export const accessActions = ['read', 'list', 'export'] as const
export type AccessAction = (typeof accessActions)[number]
export const accessActionEnum = pgEnum('access_action', accessActions)

/**
 * Who read or exported whose data, when and through which route (Flexy seed; Art. 5(2)
 * accountability). On erasure the person is cut from the entries; who looked, and when, remains.
 */
export const accessLog = pgTable(
  'access_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    personId: uuid('person_id').references(() => people.id, { onDelete: 'set null' }),
    candidacyId: uuid('candidacy_id'),
    action: accessActionEnum('action').notNull(),
    /** The route pattern, e.g. GET /candidacies/:id — never a URL with values in it. */
    route: text('route').notNull(),
    at: at('at').notNull(),
  },
  (table) => [
    index('access_log_person_idx').on(table.personId, table.at),
    index('access_log_at_idx').on(table.at),
  ],
)
