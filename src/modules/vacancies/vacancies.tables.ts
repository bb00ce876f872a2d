import { boolean, index, integer, pgEnum, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { at, id, recorded, timestamps } from '../../db/columns'
import { languages } from '../../lib/languages'
import { users } from '../auth/auth.tables'
import { clients } from '../clients/clients.tables'

export const legalBases = ['legitimate_interest', 'consent'] as const
export type LegalBasis = (typeof legalBases)[number]
export const legalBasisEnum = pgEnum('legal_basis', legalBases)

export const vacancyStatuses = ['draft', 'open', 'closed'] as const
export type VacancyStatus = (typeof vacancyStatuses)[number]
export const vacancyStatusEnum = pgEnum('vacancy_status', vacancyStatuses)

export const languageEnum = pgEnum('language', languages)

/** Why a vacancy needs a DPIA (Art. 35(3)(a) profiling, 35(3)(b) special categories). */
export const dpiaReasons = ['special_categories', 'profiling'] as const
export type DpiaReason = (typeof dpiaReasons)[number]

/** A vacancy is the purpose (Art. 5(1)(b)): every candidacy, and so every person, hangs off one. */
export const vacancies = pgTable(
  'vacancies',
  {
    id: id(),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id),
    title: text('title').notNull(),
    /** The purpose text shown to candidates in mail and on the consent page. */
    purpose: text('purpose').notNull(),
    language: languageEnum('language').notNull(),
    legalBasis: legalBasisEnum('legal_basis').notNull(),
    /** Days personal data is kept after the vacancy closes (Dutch guideline: 4 weeks). */
    retentionDays: integer('retention_days').notNull().default(28),
    status: vacancyStatusEnum('status').notNull().default('draft'),
    /** Declared at creation or raised when a special-category fact is stored. */
    profiling: boolean('profiling').notNull().default(false),
    dpiaReasons: text('dpia_reasons').array().$type<DpiaReason[]>().notNull().default([]),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    ...timestamps(),
    openedAt: at('opened_at'),
    closedAt: at('closed_at'),
  },
  (table) => [
    index('vacancies_client_idx').on(table.clientId),
    index('vacancies_status_idx').on(table.status),
  ],
)

/** Art. 6(1)(f) legitimate-interest assessment: purpose, necessity and balancing tests; one per vacancy, revised in place until approved. */
export const legitimateInterestAssessments = pgTable('legitimate_interest_assessments', {
  vacancyId: uuid('vacancy_id')
    .primaryKey()
    .references(() => vacancies.id),
  purposeTest: text('purpose_test').notNull(),
  necessityTest: text('necessity_test').notNull(),
  balancingTest: text('balancing_test').notNull(),
  ...recorded(() => users.id),
  approvedBy: uuid('approved_by').references(() => users.id),
  approvedAt: at('approved_at'),
})

/** Art. 35 data protection impact assessment, recorded by a DPO or admin. */
export const dpias = pgTable('dpias', {
  vacancyId: uuid('vacancy_id')
    .primaryKey()
    .references(() => vacancies.id),
  reference: text('reference').notNull(),
  summary: text('summary').notNull(),
  ...recorded(() => users.id),
})
