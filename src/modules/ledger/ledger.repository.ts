import { asc, eq, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { prepared } from '../../db/prepared'
import { candidacies } from '../candidacies/candidacies.tables'
import { ledgerEvents } from './ledger.tables'

export type LedgerEventRow = typeof ledgerEvents.$inferSelect
export type NewLedgerEvent = typeof ledgerEvents.$inferInsert

export interface ChainHead {
  vacancyId: string
  ledgerSeq: number
  ledgerHead: string
}

/** Locks the candidacy row: appends to one chain happen one at a time, so the chain never forks. */
export async function lockChainHead(tx: Executor, candidacyId: string): Promise<ChainHead | undefined> {
  const [row] = await prepared(
    tx
      .select({
        vacancyId: candidacies.vacancyId,
        ledgerSeq: candidacies.ledgerSeq,
        ledgerHead: candidacies.ledgerHead,
      })
      .from(candidacies)
      .where(eq(candidacies.id, candidacyId))
      .for('update'),
  )
  return row
}

export async function insertLedgerEvents(tx: Executor, events: NewLedgerEvent[]): Promise<void> {
  if (events.length > 0) await prepared(tx.insert(ledgerEvents).values(events))
}

/** Moves the chain head, together with whatever else about the candidacy the event changed. */
export async function setChainHead(
  tx: Executor,
  candidacyId: string,
  seq: number,
  hash: string,
  changes: Partial<typeof candidacies.$inferInsert> = {},
): Promise<void> {
  await prepared(
    tx
      .update(candidacies)
      .set({ ...changes, ledgerSeq: seq, ledgerHead: hash })
      .where(eq(candidacies.id, candidacyId)),
  )
}

export function listCandidacyEvents(db: Executor, candidacyId: string): Promise<LedgerEventRow[]> {
  return db
    .select()
    .from(ledgerEvents)
    .where(eq(ledgerEvents.candidacyId, candidacyId))
    .orderBy(asc(ledgerEvents.seq))
}

/** Every chain, one candidacy after another, in pages (verification walks the whole ledger). */
export function listEventsAfter(
  db: Executor,
  after: { candidacyId: string; seq: number } | null,
  limit: number,
) {
  const query = db.select().from(ledgerEvents)
  return (
    after
      ? query.where(
          sql`(${ledgerEvents.candidacyId}, ${ledgerEvents.seq}) > (${after.candidacyId}, ${after.seq})`,
        )
      : query
  )
    .orderBy(asc(ledgerEvents.candidacyId), asc(ledgerEvents.seq))
    .limit(limit)
}
