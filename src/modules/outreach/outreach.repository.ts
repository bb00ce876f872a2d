import { and, asc, eq, gt, inArray, lt, lte, notInArray, type SQL, sql } from 'drizzle-orm'
import { type Executor, queryRows } from '../../db/client'
import { prepared } from '../../db/prepared'
import {
  type CandidacyContext,
  candidacyContextQuery,
  personOfCandidacy,
} from '../candidacies/candidacies.repository'
import { candidacies, facts, owedNoticeStatuses } from '../candidacies/candidacies.tables'
import { clients } from '../clients/clients.tables'
import { linkTokens } from '../consent/consent.tables'
import { lockPersonThrough } from '../people/people.repository'
import { vacancies } from '../vacancies/vacancies.tables'
import { type MessageStatus, messages, providerStatuses } from './outreach.tables'

export type MessageRow = typeof messages.$inferSelect
export type NewMessage = typeof messages.$inferInsert

/**
 * A finished message frees its dedupe key, so the same mail can be asked for again later —
 * except keys marked `once:` (a reminder for one request, the Art. 14 notice), which never repeat.
 */
export const releasedDedupeKey = sql<
  string | null
>`case when ${messages.dedupeKey} like 'once:%' then ${messages.dedupeKey} end`

/**
 * `sent`, unless the provider already reported something later about this mail (a delivery event
 * can overtake the worker's own bookkeeping): statuses only move forward.
 */
export const sentUnlessReported = sql<MessageStatus>`case when ${inArray(messages.status, [...providerStatuses])} then ${messages.status} else 'sent'::message_status end`

/** Inserts unless a pending message with the same dedupe key exists; returns the one that counts. */
export async function insertMessageOnce(
  db: Executor,
  message: NewMessage,
): Promise<{ row: MessageRow; created: boolean }> {
  const [created] = await db
    .insert(messages)
    .values(message)
    .onConflictDoNothing({ target: messages.dedupeKey })
    .returning()
  if (created) return { row: created, created: true }
  const [existing] = await db.select().from(messages).where(eq(messages.dedupeKey, message.dedupeKey!))
  return { row: existing!, created: false }
}

export async function lockMessage(db: Executor, id: string): Promise<MessageRow | undefined> {
  const [row] = await prepared(db.select().from(messages).where(eq(messages.id, id)).for('update'))
  return row
}

/** The candidacy id of the message `id` names, as a subquery. */
const candidacyOfMessage = (db: Executor, id: string) =>
  db.select({ candidacyId: messages.candidacyId }).from(messages).where(eq(messages.id, id))

/**
 * The context of the candidacy a message is about, locked. The worker sends it before the
 * message's own lock: whatever changes a candidacy and its messages locks the candidacy first (a
 * withdrawal locks it, then cancels its messages), and the other order would deadlock with it.
 */
export async function lockContextOfMessage(db: Executor, id: string): Promise<CandidacyContext | undefined> {
  const [row] = await prepared(
    candidacyContextQuery(db, eq(candidacies.id, candidacyOfMessage(db, id))).for('update', {
      of: candidacies,
    }),
  )
  return row
}

/** The person a message is for, locked, with their addresses: issue it right after `lockContextOfMessage`. */
export const lockPersonOfMessage = (db: Executor, id: string) =>
  lockPersonThrough(db, personOfCandidacy(db, candidacyOfMessage(db, id)))

export async function findMessage(db: Executor, id: string): Promise<MessageRow | undefined> {
  const [row] = await db.select().from(messages).where(eq(messages.id, id))
  return row
}

export type MessageChanges = { [K in keyof NewMessage]?: NewMessage[K] | SQL }

export async function updateMessage(db: Executor, id: string, changes: MessageChanges): Promise<void> {
  await prepared(db.update(messages).set(changes).where(eq(messages.id, id)))
}

/** Ends every message still waiting for a candidacy; returns their ids so their jobs can be removed. */
export async function cancelPendingMessages(
  db: Executor,
  candidacyId: string,
  reason: string,
  at: Date,
): Promise<string[]> {
  const rows = await db
    .update(messages)
    .set({ status: 'cancelled', statusReason: reason, statusAt: at, dedupeKey: releasedDedupeKey })
    .where(and(eq(messages.candidacyId, candidacyId), inArray(messages.status, ['queued', 'sending'])))
    .returning({ id: messages.id })
  return rows.map((row) => row.id)
}

/** Pending messages not touched for a while: the reconciler checks each still has its job. */
export function listStalePending(db: Executor, olderThan: Date, limit: number): Promise<MessageRow[]> {
  return db
    .select()
    .from(messages)
    .where(
      and(
        inArray(messages.status, ['queued', 'sending'] satisfies MessageStatus[]),
        lt(messages.statusAt, olderThan),
      ),
    )
    .orderBy(asc(messages.statusAt))
    .limit(limit)
}

export async function hasSentMessage(db: Executor, candidacyId: string): Promise<boolean> {
  const rows = await db
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        eq(messages.candidacyId, candidacyId),
        inArray(messages.status, ['sent', 'delivered', 'opened', 'clicked']),
      ),
    )
    .limit(1)
  return rows.length > 0
}

export type MailSubjectMatter = NonNullable<Awaited<ReturnType<typeof mailSubjectMatter>>>

/**
 * What a candidacy's mail is about, in one statement: the vacancy and its client (who we write
 * for), and the kinds of facts held, which are the categories of data it must name (Art. 14(1)(d)).
 */
export async function mailSubjectMatter(db: Executor, candidacyId: string) {
  const [row] = await prepared(
    db
      .select({
        vacancy: {
          title: vacancies.title,
          purpose: vacancies.purpose,
          legalBasis: vacancies.legalBasis,
          retentionDays: vacancies.retentionDays,
        },
        client: { name: clients.name, country: clients.country },
        // As text: a driver hands an array of an enum type over unparsed.
        factKinds: sql<
          string[]
        >`array(select distinct ${facts.kind}::text from ${facts} where ${facts.candidacyId} = ${candidacies.id})`,
      })
      .from(candidacies)
      .innerJoin(vacancies, eq(vacancies.id, candidacies.vacancyId))
      .innerJoin(clients, eq(clients.id, vacancies.clientId))
      .where(eq(candidacies.id, candidacyId)),
  )
  row?.factKinds.sort()
  return row
}

/** The consent text and expiry of the candidacy's newest consent link (a reminder repeats that request). */
export async function latestConsentLink(db: Executor, candidacyId: string) {
  const [row] = await db
    .select()
    .from(linkTokens)
    .where(and(eq(linkTokens.candidacyId, candidacyId), eq(linkTokens.action, 'consent')))
    .orderBy(sql`${linkTokens.createdAt} desc`)
    .limit(1)
  return row
}

/** Legitimate-interest candidacies whose Art. 14 notice is due by `dueBy` and to whom nothing was ever sent or queued. */
export async function uncontactedNoticesDueBy(db: Executor, dueBy: Date): Promise<string[]> {
  const rows = await db
    .select({ id: candidacies.id })
    .from(candidacies)
    .innerJoin(vacancies, eq(vacancies.id, candidacies.vacancyId))
    .where(
      and(
        eq(candidacies.noticeStatus, 'pending'),
        lte(candidacies.noticeDueAt, dueBy),
        eq(vacancies.legalBasis, 'legitimate_interest'),
        notInArray(candidacies.stage, ['withdrawn', 'objected', 'erased']),
        sql`not exists (select 1 from ${messages} m where m.candidacy_id = ${candidacies.id} and m.status not in ('cancelled', 'failed'))`,
      ),
    )
  return rows.map((row) => row.id)
}

/** Consent requests still unanswered whose link runs out between `now` and `until`. */
export async function openConsentRequests(db: Executor, now: Date, until: Date) {
  const rows = await db
    .select({ candidacyId: candidacies.id, expiresAt: candidacies.consentRequestExpiresAt })
    .from(candidacies)
    .where(
      and(
        eq(candidacies.consentState, 'requested'),
        gt(candidacies.consentRequestExpiresAt, now),
        lte(candidacies.consentRequestExpiresAt, until),
        notInArray(candidacies.stage, ['withdrawn', 'objected', 'erased']),
      ),
    )
  return rows.map((row) => ({ candidacyId: row.candidacyId, expiresAt: row.expiresAt! }))
}

/** Art. 14 notices not (successfully) given whose deadline falls before `dueBefore`, earliest first. */
export function noticesDue(db: Executor, dueBefore: Date) {
  return db
    .select({
      candidacyId: candidacies.id,
      vacancyId: vacancies.id,
      vacancyTitle: vacancies.title,
      legalBasis: vacancies.legalBasis,
      noticeStatus: candidacies.noticeStatus,
      noticeDueAt: candidacies.noticeDueAt,
    })
    .from(candidacies)
    .innerJoin(vacancies, eq(vacancies.id, candidacies.vacancyId))
    .where(
      and(
        inArray(candidacies.noticeStatus, [...owedNoticeStatuses]),
        lte(candidacies.noticeDueAt, dueBefore),
        notInArray(candidacies.stage, ['withdrawn', 'objected', 'erased']),
      ),
    )
    .orderBy(asc(candidacies.noticeDueAt))
}

/** Whether a mail answers an erasure request (it must not keep the address once sent). */
export async function isErasureRequest(db: Executor, requestId: string): Promise<boolean> {
  const rows = await queryRows<{ type: string }>(
    db,
    sql`select type from subject_requests where id = ${requestId}`,
  )
  return rows[0]?.type === 'erasure'
}
