import { and, asc, eq, inArray, lt, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { prepared } from '../../db/prepared'
import { type MessageStatus, messages, providerStatuses } from './messages.tables'

export type MessageRow = typeof messages.$inferSelect
export type NewMessage = typeof messages.$inferInsert

/**
 * A finished message frees its dedupe key, so the same mail can be asked for again later —
 * except keys marked `once:` (a reminder for one request, the Art. 14 notice), which never repeat.
 */
export const releasedDedupeKey = sql<
  string | null
>`case when ${messages.dedupeKey} like 'once:%' then ${messages.dedupeKey} end`

/**
 * `sent`, unless the provider already reported something later about this mail (a delivery event
 * can overtake the worker's own bookkeeping): statuses only move forward.
 */
export const sentUnlessReported = sql<MessageStatus>`case when ${inArray(messages.status, [...providerStatuses])} then ${messages.status} else 'sent'::message_status end`

/** Inserts unless a pending message with the same dedupe key exists; returns the one that counts. */
export async function insertMessageOnce(
  db: Executor,
  message: NewMessage,
): Promise<{ row: MessageRow; created: boolean }> {
  const [created] = await db
    .insert(messages)
    .values(message)
    .onConflictDoNothing({ target: messages.dedupeKey })
    .returning()
  if (created) return { row: created, created: true }
  const [existing] = await db.select().from(messages).where(eq(messages.dedupeKey, message.dedupeKey!))
  return { row: existing!, created: false }
}

export async function lockMessage(db: Executor, id: string): Promise<MessageRow | undefined> {
  const [row] = await prepared(db.select().from(messages).where(eq(messages.id, id)).for('update'))
  return row
}

export async function findMessage(db: Executor, id: string): Promise<MessageRow | undefined> {
  const [row] = await db.select().from(messages).where(eq(messages.id, id))
  return row
}

export type MessageChanges = { [K in keyof NewMessage]?: NewMessage[K] | SQL }

export async function updateMessage(db: Executor, id: string, changes: MessageChanges): Promise<void> {
  await prepared(db.update(messages).set(changes).where(eq(messages.id, id)))
}

/** Ends every message still waiting for a candidacy; returns their ids so their jobs can be removed. */
export async function cancelPendingMessages(
  db: Executor,
  candidacyId: string,
  reason: string,
  at: Date,
): Promise<string[]> {
  const rows = await db
    .update(messages)
    .set({ status: 'cancelled', statusReason: reason, statusAt: at, dedupeKey: releasedDedupeKey })
    .where(and(eq(messages.candidacyId, candidacyId), inArray(messages.status, ['queued', 'sending'])))
    .returning({ id: messages.id })
  return rows.map((row) => row.id)
}

/** Pending messages not touched for a while: the reconciler checks each still has its job. */
export function listStalePending(db: Executor, olderThan: Date, limit: number): Promise<MessageRow[]> {
  return db
    .select()
    .from(messages)
    .where(
      and(
        inArray(messages.status, ['queued', 'sending'] satisfies MessageStatus[]),
        lt(messages.statusAt, olderThan),
      ),
    )
    .orderBy(asc(messages.statusAt))
    .limit(limit)
}
