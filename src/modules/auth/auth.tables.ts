import { sql } from 'drizzle-orm'
import { check, index, pgEnum, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { at, createdAt, id } from '../../db/columns'
import { clients } from '../clients/clients.tables'

export const roles = ['admin', 'recruiter', 'dpo', 'client'] as const
export type Role = (typeof roles)[number]
export const roleEnum = pgEnum('role', roles)

/** Staff and client users. A `client` user is bound to exactly one client (checked in the database too). */
export const users = pgTable(
  'users',
  {
    id: id(),
    /** Stored lower-cased: the login name. */
    email: text('email').notNull(),
    /** scrypt, self-describing: `scrypt$N$r$p$salt$hash` (base64). */
    passwordHash: text('password_hash').notNull(),
    role: roleEnum('role').notNull(),
    clientId: uuid('client_id').references(() => clients.id),
    displayName: text('display_name').notNull(),
    createdAt: createdAt(),
    disabledAt: at('disabled_at'),
  },
  (table) => [
    uniqueIndex('users_email_key').on(table.email),
    index('users_client_idx').on(table.clientId),
    check('users_client_binding', sql`(${table.role} = 'client') = (${table.clientId} is not null)`),
  ],
)
