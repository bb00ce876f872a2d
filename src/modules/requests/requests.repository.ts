import { and, asc, desc, eq, inArray, isNull, lte, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { users } from '../auth/auth.tables'
import { erasureTasks, type RequestStatus, requestArtefacts, subjectRequests } from './requests.tables'

export type SubjectRequestRow = typeof subjectRequests.$inferSelect
export type NewSubjectRequest = typeof subjectRequests.$inferInsert
export type ErasureTaskRow = typeof erasureTasks.$inferSelect

export const OPEN_STATUSES: RequestStatus[] = ['received', 'verified', 'in_progress']

/**
 * Inserts a request unless one of its type is open for the same person (or, for someone we hold
 * nothing on, the same address): the unique indexes decide, so two arriving at once make one.
 */
export async function insertRequestOnce(
  db: Executor,
  request: NewSubjectRequest,
): Promise<{ row: SubjectRequestRow; created: boolean }> {
  // The open one may close between the conflict and the read: then the insert goes through.
  for (;;) {
    const [created] = await db.insert(subjectRequests).values(request).onConflictDoNothing().returning()
    if (created) return { row: created, created: true }
    const [open] = await db
      .select()
      .from(subjectRequests)
      .where(
        and(
          eq(subjectRequests.type, request.type),
          inArray(subjectRequests.status, OPEN_STATUSES),
          request.personId
            ? eq(subjectRequests.personId, request.personId)
            : and(
                isNull(subjectRequests.personId),
                sql`lower(${subjectRequests.contactEmail}) = lower(${request.contactEmail ?? null})`,
              ),
        ),
      )
    if (open) return { row: open, created: false }
  }
}

export async function findRequest(db: Executor, id: string): Promise<SubjectRequestRow | undefined> {
  const [row] = await db.select().from(subjectRequests).where(eq(subjectRequests.id, id))
  return row
}

export async function lockRequest(db: Executor, id: string): Promise<SubjectRequestRow | undefined> {
  const [row] = await db.select().from(subjectRequests).where(eq(subjectRequests.id, id)).for('update')
  return row
}

export async function updateRequest(
  db: Executor,
  id: string,
  changes: Partial<NewSubjectRequest>,
): Promise<void> {
  await db.update(subjectRequests).set(changes).where(eq(subjectRequests.id, id))
}

export function listRequests(
  db: Executor,
  filter: { status?: RequestStatus | undefined; dueBefore?: Date | undefined; limit: number; offset: number },
): Promise<SubjectRequestRow[]> {
  return db
    .select()
    .from(subjectRequests)
    .where(
      and(
        filter.status ? eq(subjectRequests.status, filter.status) : undefined,
        filter.dueBefore
          ? lte(
              sql`coalesce(${subjectRequests.extendedDueAt}, ${subjectRequests.dueAt})`,
              sql`${filter.dueBefore.toISOString()}::timestamptz`,
            )
          : undefined,
      ),
    )
    .orderBy(asc(sql`coalesce(${subjectRequests.extendedDueAt}, ${subjectRequests.dueAt})`))
    .limit(filter.limit)
    .offset(filter.offset)
}

/** Open requests, earliest effective deadline first. */
export function openRequests(db: Executor): Promise<SubjectRequestRow[]> {
  return db
    .select()
    .from(subjectRequests)
    .where(inArray(subjectRequests.status, OPEN_STATUSES))
    .orderBy(asc(sql`coalesce(${subjectRequests.extendedDueAt}, ${subjectRequests.dueAt})`))
}

/** Whether a person has a request still open: retention must not erase them under it. */
export async function hasOpenRequest(db: Executor, personId: string): Promise<boolean> {
  const rows = await db
    .select({ id: subjectRequests.id })
    .from(subjectRequests)
    .where(and(eq(subjectRequests.personId, personId), inArray(subjectRequests.status, OPEN_STATUSES)))
    .limit(1)
  return rows.length > 0
}

export function requestsOfPerson(db: Executor, personId: string): Promise<SubjectRequestRow[]> {
  return db
    .select()
    .from(subjectRequests)
    .where(eq(subjectRequests.personId, personId))
    .orderBy(desc(subjectRequests.receivedAt))
}

export async function insertTasks(
  db: Executor,
  rows: Array<typeof erasureTasks.$inferInsert>,
): Promise<void> {
  if (rows.length > 0) await db.insert(erasureTasks).values(rows)
}

/**
 * Erasures under way that nothing has moved for a while and that wait on no person: their job
 * may be gone (Redis lost it, or a worker died twice). A request waiting on manual tasks is not stuck.
 */
export async function stalledErasures(db: Executor, untouchedSince: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: subjectRequests.id })
    .from(subjectRequests)
    .where(
      and(
        eq(subjectRequests.type, 'erasure'),
        eq(subjectRequests.status, 'in_progress'),
        lte(subjectRequests.updatedAt, untouchedSince),
        sql`not (${subjectRequests.currentStep} = 'tasks' and exists (
          select 1 from ${erasureTasks}
          where ${erasureTasks.requestId} = ${subjectRequests.id} and ${erasureTasks.confirmedAt} is null))`,
      ),
    )
    .orderBy(asc(subjectRequests.updatedAt))
    .limit(limit)
  return rows.map((row) => row.id)
}

export function listTasks(db: Executor, requestId: string): Promise<ErasureTaskRow[]> {
  return db
    .select()
    .from(erasureTasks)
    .where(eq(erasureTasks.requestId, requestId))
    .orderBy(asc(erasureTasks.createdAt), asc(erasureTasks.id))
}

export async function confirmTask(
  db: Executor,
  requestId: string,
  taskId: string,
  by: string,
  at: Date,
): Promise<boolean> {
  const rows = await db
    .update(erasureTasks)
    .set({ confirmedBy: by, confirmedAt: at })
    .where(
      and(
        eq(erasureTasks.id, taskId),
        eq(erasureTasks.requestId, requestId),
        isNull(erasureTasks.confirmedAt),
      ),
    )
    .returning({ id: erasureTasks.id })
  return rows.length > 0
}

export async function storeArtefact(
  db: Executor,
  artefact: typeof requestArtefacts.$inferInsert,
): Promise<void> {
  await db
    .insert(requestArtefacts)
    .values(artefact)
    .onConflictDoUpdate({ target: requestArtefacts.requestId, set: artefact })
}

export async function findArtefact(db: Executor, requestId: string) {
  const [row] = await db.select().from(requestArtefacts).where(eq(requestArtefacts.requestId, requestId))
  return row
}

export async function deleteExpiredArtefacts(db: Executor, now: Date): Promise<number> {
  const rows = await db
    .delete(requestArtefacts)
    .where(lte(requestArtefacts.expiresAt, now))
    .returning({ id: requestArtefacts.requestId })
  return rows.length
}

export async function isPrivilegedUser(db: Executor, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ role: users.role, disabledAt: users.disabledAt })
    .from(users)
    .where(eq(users.id, userId))
  return row !== undefined && row.disabledAt === null && (row.role === 'dpo' || row.role === 'admin')
}

/** The owner of a request nobody privileged registered: the longest-serving DPO, else an admin. */
export async function defaultOwner(db: Executor): Promise<string | null> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(inArray(users.role, ['dpo', 'admin']), isNull(users.disabledAt)))
    .orderBy(sql`${users.role} = 'dpo' desc`, asc(users.createdAt))
    .limit(1)
  return row?.id ?? null
}

export function dpoAddresses(db: Executor) {
  return db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.role, 'dpo'), isNull(users.disabledAt)))
}
