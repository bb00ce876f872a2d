import {
  bigserial,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { at } from '../../db/columns'
import { candidacies } from '../candidacies/candidacies.tables'
import { legalBasisEnum, vacancies } from '../vacancies/vacancies.tables'

export const ledgerEventTypes = [
  'basis_asserted',
  'notice_sent',
  'consent_requested',
  'consent_given',
  'consent_declined',
  'consent_expired',
  'consent_withdrawn',
  'objection',
  'restricted',
  'restriction_lifted',
  'introduced',
  'rectified',
  'exported',
  'erasure_requested',
  'erased',
  'retention_expired',
] as const
export type LedgerEventType = (typeof ledgerEventTypes)[number]
export const ledgerEventTypeEnum = pgEnum('ledger_event_type', ledgerEventTypes)

/** Who caused an event: a staff user, the data subject through a link, the system, or the mail provider. */
export const actorTypes = ['user', 'data_subject', 'system', 'mail_provider'] as const
export type ActorType = (typeof actorTypes)[number]
export const actorTypeEnum = pgEnum('actor_type', actorTypes)

/**
 * Append-only, hash-chained per candidacy (the database refuses UPDATE, DELETE and TRUNCATE).
 * No direct identifiers: events outlive an erasure and still prove what happened (Art. 5(2), 7(1)).
 * hash = SHA-256(prevHash ‖ "\n" ‖ JCS(event)) — see ledger.chain.ts.
 */
export const ledgerEvents = pgTable(
  'ledger_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    candidacyId: uuid('candidacy_id')
      .notNull()
      .references(() => candidacies.id),
    vacancyId: uuid('vacancy_id')
      .notNull()
      .references(() => vacancies.id),
    seq: integer('seq').notNull(),
    type: ledgerEventTypeEnum('type').notNull(),
    legalBasis: legalBasisEnum('legal_basis'),
    actorType: actorTypeEnum('actor_type').notNull(),
    /** The user's id when actorType is user; null otherwise. */
    actorId: uuid('actor_id'),
    /** Ids, hashes and codes only: never names, addresses or free text about the person. */
    evidence: jsonb('evidence').$type<Record<string, string | number | boolean | null>>().notNull(),
    occurredAt: at('occurred_at').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (table) => [
    uniqueIndex('ledger_events_chain_key').on(table.candidacyId, table.seq),
    index('ledger_events_vacancy_idx').on(table.vacancyId),
    index('ledger_events_type_idx').on(table.type, table.occurredAt),
  ],
)
