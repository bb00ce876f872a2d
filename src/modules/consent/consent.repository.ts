import { eq } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { prepared } from '../../db/prepared'
import { candidacies } from '../candidacies/candidacies.tables'
import { people } from '../people/people.tables'
import { vacancies } from '../vacancies/vacancies.tables'
import { consentTexts, linkTokens } from './consent.tables'

export type LinkTokenRow = typeof linkTokens.$inferSelect
export type NewLinkToken = typeof linkTokens.$inferInsert

export async function storeConsentText(db: Executor, text: typeof consentTexts.$inferInsert): Promise<void> {
  await db.insert(consentTexts).values(text).onConflictDoNothing()
}

export async function findConsentText(db: Executor, hash: string) {
  const [row] = await db.select().from(consentTexts).where(eq(consentTexts.hash, hash))
  return row
}

/** Links in one statement (a mail's withdraw and see-or-delete links). */
export async function insertLinkTokens(db: Executor, rows: NewLinkToken[]): Promise<void> {
  if (rows.length > 0) await prepared(db.insert(linkTokens).values(rows))
}

const linkColumns = {
  link: linkTokens,
  candidacy: candidacies,
  vacancy: {
    id: vacancies.id,
    legalBasis: vacancies.legalBasis,
    language: vacancies.language,
    status: vacancies.status,
  },
  personLanguage: people.language,
}

const linkContextQuery = (db: Executor, tokenHash: string) =>
  db
    .select(linkColumns)
    .from(linkTokens)
    .innerJoin(candidacies, eq(candidacies.id, linkTokens.candidacyId))
    .innerJoin(vacancies, eq(vacancies.id, candidacies.vacancyId))
    .leftJoin(people, eq(people.id, candidacies.personId))
    .where(eq(linkTokens.tokenHash, tokenHash))

/** A link with its candidacy and vacancy; `lock` takes the candidacy's row lock for the rest of the transaction. */
export async function findLinkContext(db: Executor, tokenHash: string, lock = false) {
  const query = linkContextQuery(db, tokenHash)
  const [row] = await prepared(lock ? query.for('update', { of: candidacies }) : query)
  return row
}

/**
 * What answering a consent link needs, with the candidacy's row locked: only these columns,
 * since every consent POST decodes them (the full link context is three times as many).
 */
export async function lockAnswerContext(tx: Executor, tokenHash: string) {
  const [row] = await prepared(
    tx
      .select({
        link: {
          id: linkTokens.id,
          action: linkTokens.action,
          consentTextHash: linkTokens.consentTextHash,
          expiresAt: linkTokens.expiresAt,
        },
        candidacy: {
          id: candidacies.id,
          personId: candidacies.personId,
          vacancyId: candidacies.vacancyId,
          stage: candidacies.stage,
          consentState: candidacies.consentState,
          consentRequestExpiresAt: candidacies.consentRequestExpiresAt,
          consentExpiresAt: candidacies.consentExpiresAt,
          noticeStatus: candidacies.noticeStatus,
          ledgerSeq: candidacies.ledgerSeq,
          ledgerHead: candidacies.ledgerHead,
        },
        vacancy: { language: vacancies.language },
        personLanguage: people.language,
      })
      .from(linkTokens)
      .innerJoin(candidacies, eq(candidacies.id, linkTokens.candidacyId))
      .innerJoin(vacancies, eq(vacancies.id, candidacies.vacancyId))
      .leftJoin(people, eq(people.id, candidacies.personId))
      .where(eq(linkTokens.tokenHash, tokenHash))
      .for('update', { of: candidacies }),
  )
  return row
}

/** A link by its hash alone (download links belong to a request, not a candidacy). */
export async function findLink(db: Executor, tokenHash: string) {
  const [row] = await db.select().from(linkTokens).where(eq(linkTokens.tokenHash, tokenHash))
  return row
}
