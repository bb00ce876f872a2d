import { and, inArray, isNull, lt, sql } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'
import type { Executor } from '../../db/client'
import { queryRows } from '../../db/client'
import { type MessageStatus, messages } from '../messages/messages.tables'
import { personEmails } from '../people/people.tables'
import { trackingEvents } from './tracking.tables'

/**
 * `column in (values)`, the list as one JSON parameter: a batch names up to thousands of messages,
 * more than is wise as separate parameters, and PostgreSQL still looks each one up by its index.
 */
const inList = (column: PgColumn, values: string[], type: 'uuid' | 'text') =>
  sql`${column} in (select value::${sql.raw(type)} from jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`

export interface CorrelatedMessage {
  id: string
  candidacyId: string | null
  template: string
  status: string
  providerMessageId: string | null
}

/**
 * The messages a batch is about, by our id or SparkPost's. Not locked: their status moves at the
 * end of the transaction (`advanceMessageStatuses`), so concurrent batches do not queue behind
 * each other for the whole ingest. Ids travel as one JSON parameter, however many there are.
 */
export async function findMessagesFor(
  db: Executor,
  ids: string[],
  providerIds: string[],
): Promise<CorrelatedMessage[]> {
  const columns = {
    id: messages.id,
    candidacyId: messages.candidacyId,
    template: messages.template,
    status: messages.status,
    providerMessageId: messages.providerMessageId,
  }
  // Two lookups, each on its own index: an OR of the two makes PostgreSQL scan the whole table.
  const [byId, byProviderId] = await Promise.all([
    ids.length === 0
      ? []
      : db
          .select(columns)
          .from(messages)
          .where(inList(messages.id, ids, 'uuid')),
    providerIds.length === 0
      ? []
      : db
          .select(columns)
          .from(messages)
          .where(inList(messages.providerMessageId, providerIds, 'text')),
  ])
  const found = new Map([...byId, ...byProviderId].map((message) => [message.id, message]))
  return [...found.values()]
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
  // In event_id order: two batches holding the same events can then not deadlock on the unique index.
  const ordered = [...rows].sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0))
  const inserted = await queryRows<{ event_id: string }>(
    db,
    sql`insert into ${trackingEvents} (event_id, batch_id, kind, type, message_id, candidacy_id, occurred_at, received_at, payload)
        select event_id, batch_id, kind, type, message_id, candidacy_id, occurred_at, received_at, payload
        from jsonb_to_recordset(${JSON.stringify(ordered)}::jsonb) as e(
          event_id text, batch_id text, kind text, type text, message_id uuid, candidacy_id uuid,
          occurred_at timestamptz, received_at timestamptz, payload jsonb)
        on conflict (event_id) do nothing
        returning event_id`,
  )
  return new Set(inserted.map((row) => row.event_id))
}

/**
 * Moves messages up the status ladder and never down, decided under the rows' locks, taken in id
 * order so two batches about the same messages cannot deadlock. NO KEY UPDATE, not UPDATE: the
 * batch's event rows already hold KEY SHARE on their messages (the foreign key), which UPDATE
 * would wait on. Returns the messages that moved.
 */
export async function advanceMessageStatuses(
  db: Executor,
  updates: Array<{ id: string; status: MessageStatus }>,
  rank: Record<MessageStatus, number>,
  at: Date,
): Promise<CorrelatedMessage[]> {
  if (updates.length === 0) return []
  const ids = updates.map((update) => update.id)
  const ranks = JSON.stringify(rank)
  await queryRows(
    db,
    sql`select ${messages.id} from ${messages} where ${inList(messages.id, ids, 'uuid')}
        order by ${messages.id} for no key update`,
  )
  return queryRows<CorrelatedMessage>(
    db,
    sql`update ${messages} set status = u.status::message_status, status_at = ${at.toISOString()}::timestamptz
        from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as u(id uuid, status text)
        where ${messages.id} = u.id
          and (${ranks}::jsonb ->> ${messages.status}::text)::int < (${ranks}::jsonb ->> u.status)::int
        returning ${messages.id} as "id", ${messages.candidacyId} as "candidacyId", ${messages.template} as "template",
          ${messages.status} as "status", ${messages.providerMessageId} as "providerMessageId"`,
  )
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
