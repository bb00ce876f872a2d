import {
  and,
  asc,
  desc,
  eq,
  inArray,
  isNotNull,
  lte,
  not,
  notInArray,
  or,
  type SQL,
  type SQLWrapper,
  sql,
} from 'drizzle-orm'
import type { Database, Executor } from '../../db/client'
import { anyOf, rowInserter, rowUpdater, statement } from '../../db/prepared'
import { lockedPersonThrough } from '../people/people.repository'
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

/** The candidacy context of the candidacy `which` picks (by default the `id` placeholder). */
export const candidacyContextQuery = (db: Database, which: SQL = eq(candidacies.id, sql.placeholder('id'))) =>
  db
    .select(contextColumns)
    .from(candidacies)
    .innerJoin(vacancies, eq(vacancies.id, candidacies.vacancyId))
    .where(which)
const candidacyContext = statement((db) => candidacyContextQuery(db))
const lockedCandidacyContext = statement((db) => candidacyContextQuery(db).for('update', { of: candidacies }))

/** The candidacy with what decides the rules about it: its vacancy's basis, status and client. */
export async function findCandidacyContext(db: Executor, id: string): Promise<CandidacyContext | undefined> {
  const [row] = await candidacyContext(db, { id })
  return row
}

/** Same, locking the candidacy row for the rest of the transaction (stage changes, consent, ledger). */
export async function lockCandidacyContext(db: Executor, id: string): Promise<CandidacyContext | undefined> {
  const [row] = await lockedCandidacyContext(db, { id })
  return row
}

/** The person id of the candidacy `candidacyId` names, as a subquery. */
export const personOfCandidacy = (db: Database, candidacyId: SQLWrapper) =>
  db.select({ personId: candidacies.personId }).from(candidacies).where(eq(candidacies.id, candidacyId))

/** The person of a candidacy, locked, with their addresses: issue it right after locking the candidacy. */
export const lockPersonOfCandidacy = lockedPersonThrough<{ candidacyId: string }>((db) =>
  personOfCandidacy(db, sql.placeholder('candidacyId')),
)

const lockedCandidacies = statement((db) =>
  db
    .select({ id: candidacies.id })
    .from(candidacies)
    .where(anyOf(candidacies.id, 'ids'))
    .orderBy(asc(candidacies.id))
    .for('update'),
)

/**
 * Locks the vacancy a candidacy belongs to, for a change to both: the vacancy first, as closing
 * it takes the vacancy and then its candidacies.
 */
const lockedVacancyOfCandidacy = statement((db) =>
  db
    .select({ id: vacancies.id })
    .from(vacancies)
    .where(
      eq(
        vacancies.id,
        db
          .select({ vacancyId: candidacies.vacancyId })
          .from(candidacies)
          .where(eq(candidacies.id, sql.placeholder('id'))),
      ),
    )
    .for('no key update'),
)

export async function lockVacancyOfCandidacy(tx: Executor, candidacyId: string): Promise<void> {
  await lockedVacancyOfCandidacy(tx, { id: candidacyId })
}

/** Locks candidacies in id order, so two transactions that lock several cannot deadlock. */
export async function lockCandidacies(tx: Executor, ids: string[]): Promise<void> {
  if (ids.length > 0) await lockedCandidacies(tx, { ids })
}

const candidacyRows = rowInserter(candidacies)
const factRows = rowInserter(facts)

export function insertCandidacy(db: Executor, candidacy: NewCandidacy): Promise<CandidacyRow> {
  return candidacyRows.insertReturning(db, candidacy)
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

const candidacyUpdate = rowUpdater(candidacies, candidacies.id)

export async function updateCandidacy(
  db: Executor,
  id: string,
  changes: Partial<NewCandidacy>,
): Promise<void> {
  await candidacyUpdate(db, id, changes)
}

/** One statement a fact, sent together: the order of the rows is the order given. */
export function insertFacts(db: Executor, rows: NewFact[]): Promise<FactRow[]> {
  return Promise.all(rows.map((row) => factRows.insertReturning(db, row)))
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
  await db.insert(stageChanges).values(change)
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
