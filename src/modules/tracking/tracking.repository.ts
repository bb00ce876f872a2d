import { and, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { queryRows } from '../../db/client'
import { messages } from '../outreach/outreach.tables'
import { personEmails } from '../people/people.tables'
import { trackingEvents } from './tracking.tables'

export interface CorrelatedMessage {
  id: string
  candidacyId: string | null
  template: string
  status: string
  providerMessageId: string | null
}

/** The messages a batch is about, by our id or SparkPost's, locked: their status moves in this transaction. */
export async function lockMessagesFor(
  db: Executor,
  ids: string[],
  providerIds: string[],
): Promise<CorrelatedMessage[]> {
  if (ids.length === 0 && providerIds.length === 0) return []
  return db
    .select({
      id: messages.id,
      candidacyId: messages.candidacyId,
      template: messages.template,
      status: messages.status,
      providerMessageId: messages.providerMessageId,
    })
    .from(messages)
    .where(
      or(
        ids.length > 0 ? inArray(messages.id, ids) : undefined,
        providerIds.length > 0 ? inArray(messages.providerMessageId, providerIds) : undefined,
      ),
    )
    .for('update')
}

export interface TrackingRow {
  event_id: string
  batch_id: string | null
  kind: string
  type: string
  message_id: string | null
  candidacy_id: string | null
  occurred_at: string
  received_at: string
  payload: Record<string, unknown>
}

/**
 * The whole batch in one statement: rows travel as one JSON parameter and unnest in PostgreSQL.
 * Duplicates (SparkPost retries) are skipped; the ids of the rows actually added come back.
 */
export async function insertTrackingEvents(db: Executor, rows: TrackingRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set()
  const inserted = await queryRows<{ event_id: string }>(
    db,
    sql`insert into ${trackingEvents} (event_id, batch_id, kind, type, message_id, candidacy_id, occurred_at, received_at, payload)
        select event_id, batch_id, kind, type, message_id, candidacy_id, occurred_at, received_at, payload
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as e(
          event_id text, batch_id text, kind text, type text, message_id uuid, candidacy_id uuid,
          occurred_at timestamptz, received_at timestamptz, payload jsonb)
        on conflict (event_id) do nothing
        returning event_id`,
  )
  return new Set(inserted.map((row) => row.event_id))
}

/** Moves many messages to new statuses in one statement. */
export async function setMessageStatuses(
  db: Executor,
  updates: Array<{ id: string; status: string }>,
  at: Date,
) {
  if (updates.length === 0) return
  await db.execute(sql`
    update ${messages} set status = u.status::message_status, status_at = ${at.toISOString()}::timestamptz
    from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as u(id uuid, status text)
    where ${messages.id} = u.id`)
}

/** A hard bounce: this address takes no more mail from us. */
export async function markUndeliverable(db: Executor, normalized: string[], at: Date): Promise<void> {
  if (normalized.length === 0) return
  await db
    .update(personEmails)
    .set({ undeliverableAt: at })
    .where(and(inArray(personEmails.normalized, normalized), isNull(personEmails.undeliverableAt)))
}

/** Events that never matched a message of ours are kept a short while (late retries) and then dropped. */
export async function deleteUnmatchedBefore(db: Executor, before: Date): Promise<number> {
  const rows = await db
    .delete(trackingEvents)
    .where(and(isNull(trackingEvents.messageId), lt(trackingEvents.receivedAt, before)))
    .returning({ eventId: trackingEvents.eventId })
  return rows.length
}
