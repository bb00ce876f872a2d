import { and, asc, eq, inArray, ne, type SQLWrapper, sql } from 'drizzle-orm'
import type { Database, Executor } from '../../db/client'
import { anyOf, rowInserter, rowUpdater, statement } from '../../db/prepared'
import { type IdentifierKind, people, personEmails, personIdentifiers } from './people.tables'

export type PersonRow = typeof people.$inferSelect
export type PersonEmailRow = typeof personEmails.$inferSelect
export type PersonIdentifierRow = typeof personIdentifiers.$inferSelect

/** The distinct people holding any of these normalised addresses. */
const personIdsByEmails = statement((db) =>
  db
    .selectDistinct({ personId: personEmails.personId })
    .from(personEmails)
    .where(anyOf(personEmails.normalized, 'normalized')),
)

export async function findPersonIdsByEmails(db: Executor, normalized: string[]): Promise<string[]> {
  const rows = await personIdsByEmails(db, { normalized })
  return rows.map((row) => row.personId)
}

/** The person by id, unlocked or locked (for update, or shared). */
const personStatement = (lock?: 'update' | 'share') =>
  statement((db) => {
    const query = db
      .select()
      .from(people)
      .where(eq(people.id, sql.placeholder('id')))
    return lock ? query.for(lock) : query
  })
const personById = personStatement()
const lockedPersonById = personStatement('update')
const sharedPersonById = personStatement('share')

export async function findPerson(db: Executor, id: string): Promise<PersonRow | undefined> {
  const [row] = await personById(db, { id })
  return row
}

export async function lockPerson(db: Executor, id: string): Promise<PersonRow | undefined> {
  const [row] = await lockedPersonById(db, { id })
  return row
}

/**
 * The person, locked against change but not against other readers: a sourcing holds this while it
 * adds a candidacy, so a restriction or objection (which lock the person for update) waits for it,
 * or it waits for them and reads what they committed.
 */
export async function sharePerson(db: Executor, id: string): Promise<PersonRow | undefined> {
  const [row] = await sharedPersonById(db, { id })
  return row
}

const peopleRows = rowInserter(people)

export async function insertPerson(db: Executor, person: typeof people.$inferInsert): Promise<void> {
  await peopleRows.insert(db, person)
}

const personUpdate = rowUpdater(people, people.id)

export async function updatePerson(db: Executor, id: string, changes: Partial<typeof people.$inferInsert>) {
  await personUpdate(db, id, changes)
}

/** Adds addresses; ones the person already has are skipped. */
export async function insertEmails(
  db: Executor,
  emails: Array<typeof personEmails.$inferInsert>,
): Promise<PersonEmailRow[]> {
  const added = await Promise.all(emails.map((email) => insertEmail(db, email)))
  return added.flat()
}

const insertEmail = statement((db) =>
  db
    .insert(personEmails)
    .values({
      personId: sql.placeholder('personId'),
      address: sql.placeholder('address'),
      normalized: sql.placeholder('normalized'),
      createdAt: sql.placeholder('createdAt'),
    } as never)
    .onConflictDoNothing()
    .returning(),
) as (db: Executor, email: typeof personEmails.$inferInsert) => Promise<PersonEmailRow[]>

/** A person's addresses in the order they were added: the first deliverable one is where mail goes. */
const emailOrder = [asc(personEmails.createdAt), asc(personEmails.normalized)]

const emailsOf = statement((db) =>
  db
    .select()
    .from(personEmails)
    .where(anyOf(personEmails.personId, 'personIds'))
    .orderBy(...emailOrder),
)

export function listEmails(db: Executor, personIds: string[]): Promise<PersonEmailRow[]> {
  if (personIds.length === 0) return Promise.resolve([])
  return emailsOf(db, { personIds })
}

/**
 * A person, locked, and their addresses, found through a subquery for their id (the person of a
 * candidacy, of a message): both can then leave in the round trip that locks the candidacy,
 * after that lock, as the lock order wants (candidacy, then person).
 */
export function lockedPersonThrough<Values extends Record<string, unknown>>(
  personId: (db: Database) => SQLWrapper,
): (db: Executor, values: Values) => Promise<{ person: PersonRow | undefined; emails: PersonEmailRow[] }> {
  const lockedPerson = statement<Values, PersonRow[]>((db) =>
    db
      .select()
      .from(people)
      .where(eq(people.id, personId(db)))
      .for('update'),
  )
  const emails = statement<Values, PersonEmailRow[]>((db) =>
    db
      .select()
      .from(personEmails)
      .where(eq(personEmails.personId, personId(db)))
      .orderBy(...emailOrder),
  )
  return async (db, values) => {
    const [[person], found] = await Promise.all([lockedPerson(db, values), emails(db, values)])
    return { person, emails: found }
  }
}

/** Whether another person already holds one of these addresses. */
export async function emailsHeldByOthers(
  db: Executor,
  personId: string,
  normalized: string[],
): Promise<boolean> {
  const rows = await db
    .select({ id: personEmails.id })
    .from(personEmails)
    .where(and(inArray(personEmails.normalized, normalized), ne(personEmails.personId, personId)))
    .limit(1)
  return rows.length > 0
}

export async function deleteEmailsExcept(db: Executor, personId: string, keep: string[]): Promise<void> {
  const rows = await db.select().from(personEmails).where(eq(personEmails.personId, personId))
  const remove = rows.filter((row) => !keep.includes(row.normalized)).map((row) => row.id)
  if (remove.length > 0) await db.delete(personEmails).where(inArray(personEmails.id, remove))
}

export function listIdentifiers(db: Executor, personId: string): Promise<PersonIdentifierRow[]> {
  return db
    .select()
    .from(personIdentifiers)
    .where(eq(personIdentifiers.personId, personId))
    .orderBy(asc(personIdentifiers.kind))
}

const upsertIdentifier = statement((db) =>
  db
    .insert(personIdentifiers)
    .values({
      personId: sql.placeholder('personId'),
      kind: sql.placeholder('kind'),
      ciphertext: sql.placeholder('ciphertext'),
      keyId: sql.placeholder('keyId'),
      updatedAt: sql.placeholder('updatedAt'),
    } as never)
    .onConflictDoUpdate({
      target: [personIdentifiers.personId, personIdentifiers.kind],
      set: {
        ciphertext: sql.placeholder('ciphertext'),
        keyId: sql.placeholder('keyId'),
        updatedAt: sql.placeholder('updatedAt'),
      } as never,
    }),
) as (db: Executor, row: typeof personIdentifiers.$inferInsert) => Promise<unknown>

export async function upsertIdentifiers(
  db: Executor,
  rows: Array<typeof personIdentifiers.$inferInsert>,
): Promise<void> {
  await Promise.all(rows.map((row) => upsertIdentifier(db, row)))
}

export async function deleteIdentifier(db: Executor, personId: string, kind: IdentifierKind): Promise<void> {
  await db
    .delete(personIdentifiers)
    .where(and(eq(personIdentifiers.personId, personId), eq(personIdentifiers.kind, kind)))
}

/** Rows not yet under the newest key, for `keys:rotate`. */
export function listIdentifiersNotUnder(
  db: Executor,
  keyId: string,
  limit: number,
): Promise<PersonIdentifierRow[]> {
  return db.select().from(personIdentifiers).where(ne(personIdentifiers.keyId, keyId)).limit(limit)
}

export async function replaceIdentifierCiphertext(
  db: Executor,
  id: string,
  from: { keyId: string },
  to: { keyId: string; ciphertext: string },
): Promise<void> {
  await db
    .update(personIdentifiers)
    .set(to)
    .where(and(eq(personIdentifiers.id, id), eq(personIdentifiers.keyId, from.keyId)))
}
