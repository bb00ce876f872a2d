import { and, asc, eq, inArray, ne } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { type IdentifierKind, people, personEmails, personIdentifiers } from './people.tables'

export type PersonRow = typeof people.$inferSelect
export type PersonEmailRow = typeof personEmails.$inferSelect
export type PersonIdentifierRow = typeof personIdentifiers.$inferSelect

/** The distinct people holding any of these normalised addresses. */
export async function findPersonIdsByEmails(db: Executor, normalized: string[]): Promise<string[]> {
  const rows = await db
    .selectDistinct({ personId: personEmails.personId })
    .from(personEmails)
    .where(inArray(personEmails.normalized, normalized))
  return rows.map((row) => row.personId)
}

export async function findPerson(db: Executor, id: string): Promise<PersonRow | undefined> {
  const [row] = await db.select().from(people).where(eq(people.id, id))
  return row
}

export async function lockPerson(db: Executor, id: string): Promise<PersonRow | undefined> {
  const [row] = await db.select().from(people).where(eq(people.id, id)).for('update')
  return row
}

export async function insertPerson(db: Executor, person: typeof people.$inferInsert): Promise<void> {
  await db.insert(people).values(person)
}

export async function updatePerson(db: Executor, id: string, changes: Partial<typeof people.$inferInsert>) {
  await db.update(people).set(changes).where(eq(people.id, id))
}

/** Adds addresses; ones the person already has are skipped. */
export async function insertEmails(
  db: Executor,
  emails: Array<typeof personEmails.$inferInsert>,
): Promise<PersonEmailRow[]> {
  if (emails.length === 0) return []
  return db.insert(personEmails).values(emails).onConflictDoNothing().returning()
}

export function listEmails(db: Executor, personIds: string[]): Promise<PersonEmailRow[]> {
  if (personIds.length === 0) return Promise.resolve([])
  return db
    .select()
    .from(personEmails)
    .where(inArray(personEmails.personId, personIds))
    .orderBy(asc(personEmails.createdAt), asc(personEmails.normalized))
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

export async function upsertIdentifiers(
  db: Executor,
  rows: Array<typeof personIdentifiers.$inferInsert>,
): Promise<void> {
  for (const row of rows) {
    await db
      .insert(personIdentifiers)
      .values(row)
      .onConflictDoUpdate({
        target: [personIdentifiers.personId, personIdentifiers.kind],
        set: { ciphertext: row.ciphertext, keyId: row.keyId, updatedAt: row.updatedAt },
      })
  }
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
