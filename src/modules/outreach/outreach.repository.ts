import { and, asc, eq, gt, inArray, lte, notInArray, sql } from 'drizzle-orm'
import { type Executor, queryRows } from '../../db/client'
import { prepared } from '../../db/prepared'
import { candidacies, facts } from '../candidacies/candidacies.tables'
import { owedNoticeStatuses } from '../candidacies/candidacy-rules'
import { clients } from '../clients/clients.tables'
import { linkTokens } from '../consent/consent.tables'
import { messages } from '../messages/messages.tables'
import { vacancies } from '../vacancies/vacancies.tables'

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
