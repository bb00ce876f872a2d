import { index, pgEnum, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { at, createdAt, deletedWith, id, timestamps, updatedAt } from '../../db/columns'
import { languageEnum } from '../vacancies/vacancies.tables'

/**
 * The only place for a person's direct identifiers. A person exists only while some candidacy
 * (person × vacancy) needs them (Art. 5(1)(b), no CV hoarding): there is no route that makes one alone.
 */
export const people = pgTable('people', {
  id: id(),
  fullName: text('full_name').notNull(),
  phone: text('phone'),
  location: text('location'),
  headline: text('headline'),
  /** Language of mail and pages for this person, from the vacancy that first sourced them unless told. */
  language: languageEnum('language').notNull(),
  /** Art. 18 restriction: stored only, nothing else done with the data until lifted. */
  restrictedAt: at('restricted_at'),
  ...timestamps(),
})

export const personEmails = pgTable(
  'person_emails',
  {
    id: id(),
    personId: deletedWith('person_id', () => people.id).notNull(),
    /** As given (trimmed). */
    address: text('address').notNull(),
    /** Lower-cased and trimmed: how a person is found again (one person, many candidacies). */
    normalized: text('normalized').notNull(),
    /** Set by a hard bounce: no more mail to this address. */
    undeliverableAt: at('undeliverable_at'),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('person_emails_normalized_key').on(table.normalized),
    index('person_emails_person_idx').on(table.personId),
  ],
)

/** High-risk identifiers (Flexy seed): never in lists, never logged, encrypted per field. */
export const identifierKinds = ['bsn', 'national_insurance', 'passport', 'visa', 'right_to_work'] as const
export type IdentifierKind = (typeof identifierKinds)[number]
export const identifierKindEnum = pgEnum('identifier_kind', identifierKinds)

export const personIdentifiers = pgTable(
  'person_identifiers',
  {
    id: id(),
    personId: deletedWith('person_id', () => people.id).notNull(),
    kind: identifierKindEnum('kind').notNull(),
    /** AES-256-GCM: base64url(iv ‖ tag ‖ ciphertext), bound to person and kind as associated data. */
    ciphertext: text('ciphertext').notNull(),
    /** Which FIELD_ENCRYPTION_KEYS entry encrypted it; `keys:rotate` moves rows to the newest. */
    keyId: text('key_id').notNull(),
    updatedAt: updatedAt(),
  },
  (table) => [uniqueIndex('person_identifiers_person_kind_key').on(table.personId, table.kind)],
)
