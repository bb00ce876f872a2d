import { sql } from 'drizzle-orm'
import { index, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { at, createdAt, id, timestamps } from '../../db/columns'
import { users } from '../auth/auth.tables'
import { languageEnum } from '../vacancies/vacancies.tables'

export const requestTypes = [
  'access',
  'rectification',
  'erasure',
  'restriction',
  'objection',
  'portability',
] as const
export type RequestType = (typeof requestTypes)[number]
export const requestTypeEnum = pgEnum('request_type', requestTypes)

export const requestStatuses = ['received', 'verified', 'in_progress', 'completed', 'rejected'] as const
export type RequestStatus = (typeof requestStatuses)[number]
export const requestStatusEnum = pgEnum('request_status', requestStatuses)

export const requestChannels = ['email', 'phone', 'letter', 'self_service'] as const
export const requestChannelEnum = pgEnum('request_channel', requestChannels)

export interface RequestTransition {
  status: RequestStatus | 'step'
  at: string
  by: string | null
  step?: string
}

/**
 * A data subject request (Art. 12, 15–18, 20, 21) with its one-month deadline. It outlives an
 * erasure as proof: the contact address and note are cleared when it completes, what remains is
 * ids, dates, steps and the result of the erasure check.
 */
export const subjectRequests = pgTable(
  'subject_requests',
  {
    id: id(),
    type: requestTypeEnum('type').notNull(),
    status: requestStatusEnum('status').notNull(),
    /** Where a long request (erasure) stands, so a restarted worker resumes it. */
    currentStep: text('current_step'),
    /** The person it concerns, when we hold anything on them; null for an address we hold nothing on, and after erasure. */
    personId: uuid('person_id'),
    /** Where to answer; cleared once the request is closed. */
    contactEmail: text('contact_email'),
    language: languageEnum('language').notNull(),
    channel: requestChannelEnum('channel').notNull(),
    note: text('note'),
    receivedAt: at('received_at').notNull(),
    /** Art. 12(3): one month after receipt (Regulation 1182/71), or three after an extension. */
    dueAt: at('due_at').notNull(),
    extendedDueAt: at('extended_due_at'),
    extensionReason: text('extension_reason'),
    verifiedAt: at('verified_at'),
    verificationMethod: text('verification_method'),
    ownerId: uuid('owner_id').references(() => users.id),
    closedAt: at('closed_at'),
    rejectionReason: text('rejection_reason'),
    transitions: jsonb('transitions').$type<RequestTransition[]>().notNull().default([]),
    /** The outcome: erasure check, package summary; never personal data. */
    result: jsonb('result').$type<Record<string, unknown>>(),
    /** While an erasure runs: the person's identifiers, encrypted, for the final no-trace check. Deleted after it. */
    erasureSubject: text('erasure_subject'),
    erasureKeyId: text('erasure_key_id'),
    createdBy: uuid('created_by').references(() => users.id),
    ...timestamps(),
  },
  (table) => [
    index('subject_requests_open_idx').on(table.status, table.dueAt),
    index('subject_requests_person_idx').on(table.personId),
    // One open request of a type per person (Art. 12(3): one request, one deadline), or per
    // address for someone we hold nothing on; a second one joins the first.
    uniqueIndex('subject_requests_one_open_per_person')
      .on(table.personId, table.type)
      .where(
        sql`${table.personId} is not null and ${table.status} in ('received', 'verified', 'in_progress')`,
      ),
    uniqueIndex('subject_requests_one_open_per_address')
      .on(sql`lower(${table.contactEmail})`, table.type)
      .where(sql`${table.personId} is null and ${table.status} in ('received', 'verified', 'in_progress')`),
  ],
)

/** Work an erasure cannot do itself (a recruiter's mailbox …), each confirmed by a named user before it completes. */
export const erasureTasks = pgTable(
  'erasure_tasks',
  {
    id: id(),
    requestId: uuid('request_id')
      .notNull()
      .references(() => subjectRequests.id),
    description: text('description').notNull(),
    confirmedBy: uuid('confirmed_by').references(() => users.id),
    confirmedAt: at('confirmed_at'),
    createdAt: createdAt(),
  },
  (table) => [index('erasure_tasks_request_idx').on(table.requestId)],
)

/** An access or portability answer (Art. 15, 20), downloadable through a time-limited link, then deleted. */
export const requestArtefacts = pgTable('request_artefacts', {
  requestId: uuid('request_id')
    .primaryKey()
    .references(() => subjectRequests.id),
  json: text('json').notNull(),
  html: text('html').notNull(),
  expiresAt: at('expires_at').notNull(),
  createdAt: createdAt(),
})
