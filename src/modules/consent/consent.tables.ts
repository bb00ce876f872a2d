import { sql } from 'drizzle-orm'
import { index, pgEnum, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { at, createdAt, deletedWith, id } from '../../db/columns'
import { candidacies } from '../candidacies/candidacies.tables'
import { people } from '../people/people.tables'
import { languageEnum } from '../vacancies/vacancies.tables'

/**
 * The exact text a candidate was shown, stored once by its SHA-256: a consent event names the
 * hash, so what was agreed can be reproduced word for word years later (Art. 7(1)). It names the
 * client and the vacancy, never the candidate, so it survives an erasure.
 */
export const consentTexts = pgTable('consent_texts', {
  hash: text('hash').primaryKey(),
  language: languageEnum('language').notNull(),
  body: text('body').notNull(),
  createdAt: createdAt(),
})

export const linkActions = ['consent', 'withdraw', 'self_service', 'download', 'talent_pool'] as const
export type LinkAction = (typeof linkActions)[number]
export const linkActionEnum = pgEnum('link_action', linkActions)

/**
 * Links in mail: 256 random bits, kept only as a SHA-256 hash, bound to one candidacy and one
 * action. Consent links expire; withdraw links never do (Art. 7(3): withdrawing is as easy as consenting).
 */
export const linkTokens = pgTable(
  'link_tokens',
  {
    id: id(),
    tokenHash: text('token_hash').notNull(),
    candidacyId: deletedWith('candidacy_id', () => candidacies.id),
    action: linkActionEnum('action').notNull(),
    /** What a consent link asks agreement to. */
    consentTextHash: text('consent_text_hash').references(() => consentTexts.hash),
    /** For download links, which belong to a request, not a candidacy. */
    subjectRequestId: uuid('subject_request_id'),
    /** For talent-pool links, which belong to the person, not a candidacy. */
    personId: deletedWith('person_id', () => people.id),
    expiresAt: at('expires_at'),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('link_tokens_hash_key').on(table.tokenHash),
    index('link_tokens_candidacy_idx').on(table.candidacyId),
    // Deleting a person cascades to their talent-pool links: without it, every erasure scanned the table.
    index('link_tokens_person_idx').on(table.personId).where(sql`${table.personId} is not null`),
  ],
)
