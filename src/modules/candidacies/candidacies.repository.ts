import { randomUUID } from 'node:crypto'
import { and, asc, desc, eq, inArray, isNotNull, lte, not, notInArray, or, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { anyOf, prepared } from '../../db/prepared'
import { messages } from '../messages/messages.tables'
import { people } from '../people/people.tables'
import { vacancies } from '../vacancies/vacancies.tables'
import { type ConsentState, candidacies, facts, type Stage, stageChanges } from './candidacies.tables'

export type CandidacyRow = typeof candidacies.$inferSelect
export type NewCandidacy = typeof candidacies.$inferInsert
export type FactRow = typeof facts.$inferSelect
export type NewFact = typeof facts.$inferInsert

export interface CandidacyContext {
  candidacy: CandidacyRow
  vacancy: {
    id: string
    clientId: string
    status: string
    legalBasis: 'legitimate_interest' | 'consent'
    language: 'nl' | 'en'
  }
}

const contextColumns = {
  candidacy: candidacies,
  vacancy: {
    id: vacancies.id,
    clientId: vacancies.clientId,
    status: vacancies.status,
    legalBasis: vacancies.legalBasis,
    language: vacancies.language,
  },
}

/** The candidacy with what decides the rules about it: its vacancy's basis, status and client. */
export const candidacyContextQuery = (db: Executor, which: SQL) =>
  db
    .select(contextColumns)
    .from(candidacies)
    .innerJoin(vacancies, eq(vacancies.id, candidacies.vacancyId))
    .where(which)

export async function findCandidacyContext(db: Executor, id: string): Promise<CandidacyContext | undefined> {
  const [row] = await prepared(candidacyContextQuery(db, eq(candidacies.id, id)))
  return row
}

/** Same, locking the candidacy row for the rest of the transaction (stage changes, consent, ledger). */
export async function lockCandidacyContext(db: Executor, id: string): Promise<CandidacyContext | undefined> {
  const [row] = await prepared(
    candidacyContextQuery(db, eq(candidacies.id, id)).for('update', { of: candidacies }),
  )
  return row
}

/**
 * The context of the candidacy a message is about, locked. The worker takes it before the
 * message's own lock: whatever changes a candidacy and its messages locks the candidacy first (a
 * withdrawal locks it, then cancels its messages), and the other order would deadlock with it.
 */
export async function lockContextOfMessage(
  db: Executor,
  messageId: string,
): Promise<CandidacyContext | undefined> {
  const ofMessage = db
    .select({ candidacyId: messages.candidacyId })
    .from(messages)
    .where(eq(messages.id, messageId))
  const [row] = await prepared(
    candidacyContextQuery(db, eq(candidacies.id, ofMessage)).for('update', { of: candidacies }),
  )
  return row
}

/**
 * Locks the vacancy a candidacy belongs to, for a change to both: the vacancy first, as closing
 * it takes the vacancy and then its candidacies.
 */
export async function lockVacancyOfCandidacy(tx: Executor, candidacyId: string): Promise<void> {
  await prepared(
    tx
      .select({ id: vacancies.id })
      .from(vacancies)
      .where(
        eq(
          vacancies.id,
          tx
            .select({ vacancyId: candidacies.vacancyId })
            .from(candidacies)
            .where(eq(candidacies.id, candidacyId)),
        ),
      )
      .for('no key update'),
  )
}

/** Locks candidacies in id order, so two transactions that lock several cannot deadlock. */
export async function lockCandidacies(tx: Executor, ids: string[]): Promise<void> {
  if (ids.length === 0) return
  await prepared(
    tx
      .select({ id: candidacies.id })
      .from(candidacies)
      .where(anyOf(candidacies.id, ids))
      .orderBy(asc(candidacies.id))
      .for('update'),
  )
}

export async function insertCandidacy(db: Executor, candidacy: NewCandidacy): Promise<CandidacyRow> {
  const [row] = await prepared(db.insert(candidacies).values(candidacy).returning())
  return row!
}

export async function candidacyExists(
  db: Executor,
  personId: string,
  vacancyId: string,
): Promise<string | undefined> {
  const [row] = await db
    .select({ id: candidacies.id })
    .from(candidacies)
    .where(and(eq(candidacies.personId, personId), eq(candidacies.vacancyId, vacancyId)))
  return row?.id
}

/** Art. 14: a notice that bounced informed nobody, so it is owed again. */
export async function markNoticesUndelivered(db: Executor, candidacyIds: string[], at: Date): Promise<void> {
  if (candidacyIds.length === 0) return
  await db
    .update(candidacies)
    .set({ noticeStatus: 'undelivered', updatedAt: at })
    .where(and(anyOf(candidacies.id, candidacyIds), eq(candidacies.noticeStatus, 'sent')))
}

export async function updateCandidacy(
  db: Executor,
  id: string,
  changes: Partial<NewCandidacy>,
): Promise<void> {
  await prepared(db.update(candidacies).set(changes).where(eq(candidacies.id, id)))
}

/** The facts as stored, in the order given. */
export async function insertFacts(db: Executor, rows: NewFact[]): Promise<FactRow[]> {
  if (rows.length === 0) return []
  const withIds = rows.map((row) => ({ ...row, id: row.id ?? randomUUID() }))
  const stored = await prepared(db.insert(facts).values(withIds).returning())
  // RETURNING promises no order: the ids put the rows back in the order given.
  const byId = new Map(stored.map((fact) => [fact.id, fact]))
  return withIds.map((row) => byId.get(row.id)!)
}

export function listFacts(db: Executor, candidacyIds: string[]): Promise<FactRow[]> {
  if (candidacyIds.length === 0) return Promise.resolve([])
  return db
    .select()
    .from(facts)
    .where(inArray(facts.candidacyId, candidacyIds))
    .orderBy(asc(facts.createdAt), asc(facts.id))
}

export async function lockFact(
  db: Executor,
  candidacyId: string,
  factId: string,
): Promise<FactRow | undefined> {
  const [row] = await db
    .select()
    .from(facts)
    .where(and(eq(facts.id, factId), eq(facts.candidacyId, candidacyId)))
    .for('update')
  return row
}

export async function updateFact(db: Executor, id: string, changes: Partial<NewFact>): Promise<void> {
  await db.update(facts).set(changes).where(eq(facts.id, id))
}

export async function insertStageChange(
  db: Executor,
  change: typeof stageChanges.$inferInsert,
): Promise<void> {
  await prepared(db.insert(stageChanges).values(change))
}

export function listStageChanges(db: Executor, candidacyId: string) {
  return db
    .select()
    .from(stageChanges)
    .where(eq(stageChanges.candidacyId, candidacyId))
    .orderBy(asc(stageChanges.decidedAt))
}

export interface CandidacyListItem {
  candidacy: CandidacyRow
  person: { id: string; fullName: string; headline: string | null; location: string | null } | null
}

export function listVacancyCandidacies(
  db: Executor,
  filter: {
    vacancyId: string
    stage?: Stage | undefined
    consentState?: ConsentState | undefined
    /** Consent requests and consents run out: filtering on a state needs the time. */
    now: Date
    introducedOnly: boolean
    limit: number
    offset: number
  },
): Promise<CandidacyListItem[]> {
  return db
    .select({
      candidacy: candidacies,
      person: {
        id: people.id,
        fullName: people.fullName,
        headline: people.headline,
        location: people.location,
      },
    })
    .from(candidacies)
    .leftJoin(people, eq(people.id, candidacies.personId))
    .where(
      and(
        eq(candidacies.vacancyId, filter.vacancyId),
        filter.stage ? eq(candidacies.stage, filter.stage) : undefined,
        filter.consentState ? consentStateIs(filter.consentState, filter.now) : undefined,
        filter.introducedOnly ? clientVisible() : undefined,
      ),
    )
    .orderBy(desc(candidacies.createdAt), asc(candidacies.id))
    .limit(filter.limit)
    .offset(filter.offset)
}

/** The consent state as shown: an unanswered request or a consent past its end counts as expired. */
export function consentStateIs(state: ConsentState, now: Date) {
  const requestRanOut = and(
    eq(candidacies.consentState, 'requested'),
    lte(candidacies.consentRequestExpiresAt, now),
  )
  const consentRanOut = and(eq(candidacies.consentState, 'given'), lte(candidacies.consentExpiresAt, now))
  switch (state) {
    case 'expired':
      return or(requestRanOut, consentRanOut)
    case 'requested':
    case 'given':
      // A null expiry never runs out: SQL's three-valued logic would otherwise drop the row.
      return and(
        eq(candidacies.consentState, state),
        not(sql`coalesce(${or(requestRanOut, consentRanOut)}, false)`),
      )
    default:
      return eq(candidacies.consentState, state)
  }
}

/** What a client may see: introduced, and not since withdrawn, objected or erased. */
export function clientVisible() {
  return and(
    isNotNull(candidacies.introducedAt),
    notInArray(candidacies.stage, ['withdrawn', 'objected', 'erased']),
  )
}

/** A person's candidacies in id order, the order they are locked in; `lock` locks them. */
export function listPersonCandidacies(
  db: Executor,
  personId: string,
  { lock = false } = {},
): Promise<Array<{ id: string; stage: Stage }>> {
  const query = db
    .select({ id: candidacies.id, stage: candidacies.stage })
    .from(candidacies)
    .where(eq(candidacies.personId, personId))
    .orderBy(asc(candidacies.id))
  return lock ? query.for('update') : query
}

/** Adds a DPIA reason to the vacancy once (Art. 35(3)(b)): special categories make one mandatory. */
export async function flagVacancyForDpia(
  db: Executor,
  vacancyId: string,
  reason: 'special_categories',
): Promise<void> {
  await db
    .update(vacancies)
    .set({ dpiaReasons: sql`array_append(${vacancies.dpiaReasons}, ${reason})` })
    .where(and(eq(vacancies.id, vacancyId), sql`not (${reason} = any(${vacancies.dpiaReasons}))`))
}
