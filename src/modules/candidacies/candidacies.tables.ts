import { sql } from 'drizzle-orm'
import { check, index, integer, pgEnum, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { at, deletedWith, id, timestamps } from '../../db/columns'
import { users } from '../auth/auth.tables'
import { people } from '../people/people.tables'
import { vacancies } from '../vacancies/vacancies.tables'

export const stages = [
  'sourced',
  'contacted',
  'consented',
  'introduced',
  'hired',
  'rejected',
  'withdrawn',
  'objected',
  'erased',
] as const
export type Stage = (typeof stages)[number]
export const stageEnum = pgEnum('stage', stages)

export const sourceTypes = [
  'linkedin',
  'github',
  'stackoverflow',
  'website',
  'referral',
  'application',
  'other',
] as const
export type SourceType = (typeof sourceTypes)[number]
export const sourceTypeEnum = pgEnum('source_type', sourceTypes)

/** Derived from the ledger, kept here so lists can filter on it. */
export const consentStates = ['missing', 'requested', 'given', 'declined', 'expired', 'withdrawn'] as const
export type ConsentState = (typeof consentStates)[number]
export const consentStateEnum = pgEnum('consent_state', consentStates)

/** Art. 14: whether the person has been told about data not obtained from them. */
export const noticeStatuses = ['not_required', 'pending', 'sent', 'undelivered'] as const
export type NoticeStatus = (typeof noticeStatuses)[number]
export const noticeStatusEnum = pgEnum('notice_status', noticeStatuses)
/** A notice still owed: not yet sent, or sent and bounced (it informed nobody). */
export const owedNoticeStatuses: readonly NoticeStatus[] = ['pending', 'undelivered']

/**
 * Person × vacancy: the purpose every fact is held for. After erasure the row stays as a
 * tombstone without the person (person_id null), so its ledger still proves what happened.
 */
export const candidacies = pgTable(
  'candidacies',
  {
    id: id(),
    personId: uuid('person_id').references(() => people.id, { onDelete: 'set null' }),
    vacancyId: uuid('vacancy_id')
      .notNull()
      .references(() => vacancies.id),
    stage: stageEnum('stage').notNull().default('sourced'),
    /** Where the contact data came from (Art. 14(2)(f)), when and by whom. */
    sourceType: sourceTypeEnum('source_type').notNull(),
    sourceUrl: text('source_url'),
    obtainedAt: at('obtained_at').notNull(),
    sourcedBy: uuid('sourced_by')
      .notNull()
      .references(() => users.id),
    noticeStatus: noticeStatusEnum('notice_status').notNull(),
    /** Art. 14(3)(a): one month after obtaining the data (Regulation 1182/71), null when not required. */
    noticeDueAt: at('notice_due_at'),
    noticeSentAt: at('notice_sent_at'),
    consentState: consentStateEnum('consent_state').notNull().default('missing'),
    /** When the latest consent link runs out: an unanswered request then counts as expired. */
    consentRequestExpiresAt: at('consent_request_expires_at'),
    /** When given consent stops counting (it ends with the vacancy's retention). */
    consentExpiresAt: at('consent_expires_at'),
    introducedAt: at('introduced_at'),
    /** Set when the vacancy closes: the end of this candidacy's retention. */
    retainUntil: at('retain_until'),
    /** Art. 22: the latest stage decision and the human who took it; history in stage_changes. */
    stageChangedAt: at('stage_changed_at').notNull(),
    stageChangedBy: uuid('stage_changed_by').references(() => users.id),
    /** Hash chain head of this candidacy's ledger: appends lock this row, so chains never fork. */
    ledgerSeq: integer('ledger_seq').notNull().default(0),
    ledgerHead: text('ledger_head').notNull().default('0'.repeat(64)),
    ...timestamps(),
  },
  (table) => [
    uniqueIndex('candidacies_person_vacancy_key').on(table.personId, table.vacancyId),
    index('candidacies_vacancy_stage_idx').on(table.vacancyId, table.stage),
    index('candidacies_notice_due_idx')
      .on(table.noticeDueAt)
      .where(sql`${table.noticeStatus} in ('pending', 'undelivered')`),
    check('candidacies_tombstone', sql`${table.personId} is not null or ${table.stage} = 'erased'`),
  ],
)

/** Art. 22: every stage decision, with the human who took it and why. Erased with the person. */
export const stageChanges = pgTable(
  'stage_changes',
  {
    id: id(),
    candidacyId: deletedWith('candidacy_id', () => candidacies.id).notNull(),
    fromStage: stageEnum('from_stage').notNull(),
    toStage: stageEnum('to_stage').notNull(),
    /** Null only for the changes the system makes itself: withdrawal, objection, erasure. */
    decidedBy: uuid('decided_by').references(() => users.id),
    reason: text('reason'),
    decidedAt: at('decided_at').notNull(),
  },
  (table) => [index('stage_changes_candidacy_idx').on(table.candidacyId, table.decidedAt)],
)

export const factKinds = ['skill', 'experience', 'education', 'note', 'link'] as const
export type FactKind = (typeof factKinds)[number]
export const factKindEnum = pgEnum('fact_kind', factKinds)

/** Art. 9(1) special categories of personal data. */
export const specialCategories = [
  'religion',
  'ethnicity',
  'union_membership',
  'biometric',
  'health',
  'sex_life_or_orientation',
  'political_opinion',
] as const
export type SpecialCategory = (typeof specialCategories)[number]
export const specialCategoryEnum = pgEnum('special_category', specialCategories)

/** Art. 9(2)(a) explicit consent, or Art. 9(2)(e) manifestly made public by the person. */
export const specialBases = ['explicit_consent', 'manifestly_public'] as const
export type SpecialBasis = (typeof specialBases)[number]
export const specialBasisEnum = pgEnum('special_basis', specialBases)

/** What we hold about a person for one candidacy, each with its own source (Art. 14(2)(f), 15(1)(g)). */
export const facts = pgTable(
  'facts',
  {
    id: id(),
    candidacyId: deletedWith('candidacy_id', () => candidacies.id).notNull(),
    kind: factKindEnum('kind').notNull(),
    value: text('value').notNull(),
    specialCategory: specialCategoryEnum('special_category'),
    specialBasis: specialBasisEnum('special_basis'),
    sourceType: sourceTypeEnum('source_type').notNull(),
    sourceUrl: text('source_url'),
    collectedAt: at('collected_at').notNull(),
    collectedBy: uuid('collected_by')
      .notNull()
      .references(() => users.id),
    ...timestamps(),
  },
  (table) => [
    index('facts_candidacy_idx').on(table.candidacyId),
    check(
      'facts_special_basis',
      sql`(${table.specialCategory} is null) = (${table.specialBasis} is null) and (${table.specialBasis} is distinct from 'manifestly_public' or ${table.sourceUrl} is not null)`,
    ),
  ],
)
