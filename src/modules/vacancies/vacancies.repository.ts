import { and, desc, eq, getTableColumns, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { prepared, preparedOnce } from '../../db/prepared'
import { dpias, legitimateInterestAssessments, type VacancyStatus, vacancies } from './vacancies.tables'

export type VacancyRow = typeof vacancies.$inferSelect
export type AssessmentRow = typeof legitimateInterestAssessments.$inferSelect
export type DpiaRow = typeof dpias.$inferSelect
export type VacancyDetail = VacancyRow & { assessment: AssessmentRow | null; dpia: DpiaRow | null }

const detailColumns = {
  ...getTableColumns(vacancies),
  assessment: legitimateInterestAssessments,
  dpia: dpias,
}

function detailQuery(db: Executor, where: SQL | undefined) {
  return db
    .select(detailColumns)
    .from(vacancies)
    .leftJoin(legitimateInterestAssessments, eq(legitimateInterestAssessments.vacancyId, vacancies.id))
    .leftJoin(dpias, eq(dpias.vacancyId, vacancies.id))
    .where(where)
}

/**
 * What sourcing decides by (status, basis, DPIA, the approved assessment it names) and what a
 * candidacy's context holds, without the texts: every sourcing reads it, locked. Shared:
 * sourcings go on side by side, but a vacancy closing meanwhile waits for them (and one that
 * starts during the close sees it closed), so no candidacy lands without its retention clock.
 */
const sourcingVacancyQuery = (db: Executor, id: string) =>
  db
    .select({
      id: vacancies.id,
      clientId: vacancies.clientId,
      status: vacancies.status,
      legalBasis: vacancies.legalBasis,
      language: vacancies.language,
      dpiaReasons: vacancies.dpiaReasons,
      dpiaRecorded: sql<boolean>`${dpias.vacancyId} is not null`,
      assessmentApprovedBy: legitimateInterestAssessments.approvedBy,
      assessmentApprovedAt: legitimateInterestAssessments.approvedAt,
    })
    .from(vacancies)
    .leftJoin(legitimateInterestAssessments, eq(legitimateInterestAssessments.vacancyId, vacancies.id))
    .leftJoin(dpias, eq(dpias.vacancyId, vacancies.id))
    .where(eq(vacancies.id, id))

/**
 * `willUpdate`: the sourcing changes the vacancy too (a special-category fact flags it for a
 * DPIA); two sourcings that share-locked it and then both updated it would deadlock.
 */
export async function lockSourcingVacancy(db: Executor, id: string, { willUpdate = false } = {}) {
  const [row] = await prepared(
    sourcingVacancyQuery(db, id).for(willUpdate ? 'no key update' : 'share', { of: vacancies }),
  )
  return row
}

const vacancyDetail = preparedOnce<{ id: string }, VacancyDetail[]>((db) =>
  detailQuery(db, eq(vacancies.id, sql.placeholder('id'))),
)
const clientVacancyDetail = preparedOnce<{ id: string; clientId: string }, VacancyDetail[]>((db) =>
  detailQuery(
    db,
    and(eq(vacancies.id, sql.placeholder('id')), eq(vacancies.clientId, sql.placeholder('clientId'))),
  ),
)

/** One round trip: the vacancy with its assessment and DPIA; scoped to a client when given. */
export async function findVacancyDetail(
  db: Executor,
  id: string,
  scope: { clientId: string | null } = { clientId: null },
): Promise<VacancyDetail | undefined> {
  const [row] = scope.clientId
    ? await clientVacancyDetail(db, { id, clientId: scope.clientId })
    : await vacancyDetail(db, { id })
  return row
}

export interface VacancyFilter {
  clientId?: string | undefined
  status?: VacancyStatus | undefined
  limit: number
  offset: number
}

export function listVacancyDetails(db: Executor, filter: VacancyFilter): Promise<VacancyDetail[]> {
  const conditions = [
    filter.clientId ? eq(vacancies.clientId, filter.clientId) : undefined,
    filter.status ? eq(vacancies.status, filter.status) : undefined,
  ]
  return detailQuery(db, and(...conditions))
    .orderBy(desc(vacancies.createdAt))
    .limit(filter.limit)
    .offset(filter.offset)
}

/**
 * Locks the vacancy row for the rest of the transaction: status changes and their preconditions
 * are decided together. NO KEY UPDATE: the foreign keys of ledger events and candidacies only
 * share-lock the key, so appends to the vacancy's chains go on meanwhile (a full UPDATE lock made
 * a closing vacancy and a withdrawal wait on each other: a deadlock).
 */
export async function lockVacancy(db: Executor, id: string): Promise<VacancyRow | undefined> {
  const [row] = await db.select().from(vacancies).where(eq(vacancies.id, id)).for('no key update').limit(1)
  return row
}

export async function insertVacancy(
  db: Executor,
  vacancy: typeof vacancies.$inferInsert,
): Promise<VacancyRow> {
  const [row] = await db.insert(vacancies).values(vacancy).returning()
  return row!
}

export async function updateVacancy(
  db: Executor,
  id: string,
  changes: Partial<typeof vacancies.$inferInsert>,
): Promise<void> {
  await db.update(vacancies).set(changes).where(eq(vacancies.id, id))
}

export async function upsertAssessment(
  db: Executor,
  assessment: typeof legitimateInterestAssessments.$inferInsert,
): Promise<void> {
  await db
    .insert(legitimateInterestAssessments)
    .values(assessment)
    .onConflictDoUpdate({
      target: legitimateInterestAssessments.vacancyId,
      // A revised assessment must be approved again.
      set: { ...assessment, approvedBy: null, approvedAt: null },
    })
}

export async function approveAssessment(
  db: Executor,
  vacancyId: string,
  by: string,
  at: Date,
): Promise<boolean> {
  const rows = await db
    .update(legitimateInterestAssessments)
    .set({ approvedBy: by, approvedAt: at })
    .where(eq(legitimateInterestAssessments.vacancyId, vacancyId))
    .returning({ vacancyId: legitimateInterestAssessments.vacancyId })
  return rows.length > 0
}

export async function upsertDpia(db: Executor, dpia: typeof dpias.$inferInsert): Promise<void> {
  await db.insert(dpias).values(dpia).onConflictDoUpdate({ target: dpias.vacancyId, set: dpia })
}

/** Closing a vacancy starts its candidacies' clocks; consent ends with the retention (issue rule). */
export async function startRetentionClocks(
  db: Executor,
  vacancyId: string,
  closedAt: Date,
  retentionDays: number,
): Promise<void> {
  const until = new Date(closedAt.getTime() + retentionDays * 86_400_000).toISOString()
  // Locked in id order first, as every transaction that locks several candidacies does.
  await db.execute(sql`
    with locked as (
      select id from candidacies where vacancy_id = ${vacancyId} and person_id is not null
      order by id for update
    )
    update candidacies c set retain_until = ${until}::timestamptz,
      consent_expires_at = case when c.consent_state = 'given' then ${until}::timestamptz else c.consent_expires_at end
    from locked where c.id = locked.id`)
}
