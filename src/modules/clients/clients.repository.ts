import { asc, desc, eq } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { prepared } from '../../db/prepared'
import { clients, processingAgreements } from './clients.tables'

export type ClientRow = typeof clients.$inferSelect
export type AgreementRow = typeof processingAgreements.$inferSelect

export async function findClient(db: Executor, id: string): Promise<ClientRow | undefined> {
  const [row] = await prepared(db.select().from(clients).where(eq(clients.id, id)).limit(1))
  return row
}

/** A client user sees only its own client. */
export function listClients(db: Executor, scope: { clientId: string | null }): Promise<ClientRow[]> {
  const query = db.select().from(clients)
  return (scope.clientId ? query.where(eq(clients.id, scope.clientId)) : query).orderBy(asc(clients.name))
}

export async function insertClient(db: Executor, client: typeof clients.$inferInsert): Promise<ClientRow> {
  const [row] = await db.insert(clients).values(client).returning()
  return row!
}

export async function insertAgreement(
  db: Executor,
  agreement: typeof processingAgreements.$inferInsert,
): Promise<AgreementRow> {
  const [row] = await db.insert(processingAgreements).values(agreement).returning()
  return row!
}

export function listAgreements(db: Executor, clientId: string): Promise<AgreementRow[]> {
  return db
    .select()
    .from(processingAgreements)
    .where(eq(processingAgreements.clientId, clientId))
    .orderBy(desc(processingAgreements.signedAt))
}

/** The agreement in force: the most recently signed one. */
export async function currentAgreement(db: Executor, clientId: string): Promise<AgreementRow | undefined> {
  const [row] = await listAgreements(db, clientId)
  return row
}
