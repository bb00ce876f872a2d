import { sql } from 'drizzle-orm'
import { index, integer, pgEnum, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { at } from '../../db/columns'
import { users } from '../auth/auth.tables'
import { candidacies } from '../candidacies/candidacies.tables'
import { languageEnum } from '../vacancies/vacancies.tables'
import { mailTemplates } from './mail-templates'

export const mailTemplateEnum = pgEnum('mail_template', mailTemplates)

/**
 * Forward-only except for the ends: queued → sending → sent → delivered → opened → clicked;
 * bounced, failed and cancelled end a message. A late event never moves a message back.
 */
export const messageStatuses = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'failed',
  'cancelled',
] as const
export type MessageStatus = (typeof messageStatuses)[number]
export const messageStatusEnum = pgEnum('message_status', messageStatuses)
/** What only the mail provider reports, after our own `sent`: the worker never records over it. */
export const providerStatuses = [
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'failed',
] as const satisfies readonly MessageStatus[]

/**
 * Outreach mail. PostgreSQL is its system of record: the BullMQ job (id = this id) can be
 * re-derived from a queued row if Redis loses it. Bodies are kept as sent, for access requests
 * (Art. 15), and erased with the person.
 */
export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey(),
    candidacyId: uuid('candidacy_id').references(() => candidacies.id),
    /** Mail about a subject request, which may concern an address we hold nothing else on. */
    subjectRequestId: uuid('subject_request_id'),
    template: mailTemplateEnum('template').notNull(),
    language: languageEnum('language').notNull(),
    status: messageStatusEnum('status').notNull(),
    /** Why a message was not sent, as a code (never personal data). */
    statusReason: text('status_reason'),
    /** Who asked for it; null for the system's own mail (notices, reminders). */
    requestedBy: uuid('requested_by').references(() => users.id),
    /** One pending message per purpose: a retried request returns the same message. */
    dedupeKey: text('dedupe_key'),
    toAddress: text('to_address'),
    subject: text('subject'),
    /** Stored uncompressed (STORAGE EXTERNAL, migration 0011): written on every send, erased soon. */
    bodyText: text('body_text'),
    bodyHtml: text('body_html'),
    /** Our Message-ID header, and the provider's id (SparkPost transmission id / SMTP response). */
    messageIdHeader: text('message_id_header'),
    providerMessageId: text('provider_message_id'),
    attempts: integer('attempts').notNull().default(0),
    queuedAt: at('queued_at').notNull(),
    sentAt: at('sent_at'),
    statusAt: at('status_at').notNull(),
  },
  (table) => [
    uniqueIndex('messages_dedupe_key').on(table.dedupeKey),
    index('messages_candidacy_idx').on(table.candidacyId),
    index('messages_pending_idx').on(table.statusAt).where(sql`${table.status} in ('queued', 'sending')`),
    index('messages_provider_idx').on(table.providerMessageId),
    // Erasure finds the mail sent to an address, whichever candidacy or request it was for.
    index('messages_recipient_idx').on(sql`lower(${table.toAddress})`),
  ],
)
