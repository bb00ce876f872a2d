import { and, asc, eq, inArray, ne, type SQLWrapper, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { anyOf, prepared } from '../../db/prepared'
import { candidacies } from '../candidacies/candidacies.tables'
import { messages } from '../messages/messages.tables'
import { type IdentifierKind, people, personEmails, personIdentifiers } from './people.tables'

export type PersonRow = typeof people.$inferSelect
export type PersonEmailRow = typeof personEmails.$inferSelect
export type PersonIdentifierRow = typeof personIdentifiers.$inferSelect

/** The distinct people holding any of these normalised addresses. */
export async function findPersonIdsByEmails(db: Executor, normalized: string[]): Promise<string[]> {
  const rows = await prepared(
    db
      .selectDistinct({ personId: personEmails.personId })
      .from(personEmails)
      .where(anyOf(personEmails.normalized, normalized)),
  )
  return rows.map((row) => row.personId)
}

/** The person by id, unlocked or locked (for update, or shared). */
async function personById(
  db: Executor,
  id: string,
  lock?: 'update' | 'share',
): Promise<PersonRow | undefined> {
  const query = db.select().from(people).where(eq(people.id, id))
  const [row] = await prepared(lock ? query.for(lock) : query)
  return row
}

export function findPerson(db: Executor, id: string): Promise<PersonRow | undefined> {
  return personById(db, id)
}

export function lockPerson(db: Executor, id: string): Promise<PersonRow | undefined> {
  return personById(db, id, 'update')
}

/**
 * The person, locked against change but not against other readers: a sourcing holds this while it
 * adds a candidacy, so a restriction or objection (which lock the person for update) waits for it,
 * or it waits for them and reads what they committed.
 */
export function sharePerson(db: Executor, id: string): Promise<PersonRow | undefined> {
  return personById(db, id, 'share')
}

export async function insertPerson(db: Executor, person: typeof people.$inferInsert): Promise<void> {
  await prepared(db.insert(people).values(person))
}

export async function updatePerson(db: Executor, id: string, changes: Partial<typeof people.$inferInsert>) {
  await prepared(db.update(people).set(changes).where(eq(people.id, id)))
}

/**
 * Adds addresses no one holds yet. One that another person took meanwhile fails the statement
 * on the unique address (23505), so a sourcing racing another for the same person can tell.
 */
export async function insertEmails(
  db: Executor,
  emails: Array<typeof personEmails.$inferInsert>,
): Promise<PersonEmailRow[]> {
  if (emails.length === 0) return []
  return prepared(db.insert(personEmails).values(emails).returning())
}

/** A person's addresses in the order they were added: the first deliverable one is where mail goes. */
const emailOrder = [asc(personEmails.createdAt), asc(personEmails.normalized)]

export function listEmails(db: Executor, personIds: string[]): Promise<PersonEmailRow[]> {
  if (personIds.length === 0) return Promise.resolve([])
  return prepared(
    db
      .select()
      .from(personEmails)
      .where(anyOf(personEmails.personId, personIds))
      .orderBy(...emailOrder),
  )
}

/**
 * A person, locked, and their addresses, found through a subquery for their id: both leave in
 * the round trip that locks the candidacy, after that lock, as the lock order wants (candidacy,
 * then person).
 */
async function lockPersonThrough(
  db: Executor,
  personId: SQLWrapper,
): Promise<{ person: PersonRow | undefined; emails: PersonEmailRow[] }> {
  const [[person], emails] = await Promise.all([
    prepared(db.select().from(people).where(eq(people.id, personId)).for('update')),
    prepared(
      db
        .select()
        .from(personEmails)
        .where(eq(personEmails.personId, personId))
        .orderBy(...emailOrder),
    ),
  ])
  return { person, emails }
}

/** The person of a candidacy, locked, with their addresses: issue it right after locking the candidacy. */
export const lockPersonOfCandidacy = (db: Executor, candidacyId: string) =>
  lockPersonThrough(
    db,
    db.select({ personId: candidacies.personId }).from(candidacies).where(eq(candidacies.id, candidacyId)),
  )

/** The person a message is for, locked, with their addresses: issue it right after locking its candidacy. */
export const lockPersonOfMessage = (db: Executor, messageId: string) =>
  lockPersonThrough(
    db,
    db
      .select({ personId: candidacies.personId })
      .from(candidacies)
      .where(
        eq(
          candidacies.id,
          db.select({ candidacyId: messages.candidacyId }).from(messages).where(eq(messages.id, messageId)),
        ),
      ),
  )

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

export async function upsertIdentifiers(
  db: Executor,
  rows: Array<typeof personIdentifiers.$inferInsert>,
): Promise<void> {
  if (rows.length === 0) return
  await db
    .insert(personIdentifiers)
    .values(rows)
    .onConflictDoUpdate({
      target: [personIdentifiers.personId, personIdentifiers.kind],
      set: {
        ciphertext: sql`excluded.ciphertext`,
        keyId: sql`excluded.key_id`,
        updatedAt: sql`excluded.updated_at`,
      },
    })
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
