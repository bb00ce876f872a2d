import { sql } from 'drizzle-orm'
import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { at, deletedWith } from '../../db/columns'
import { messages } from '../messages/messages.tables'

/**
 * What the mail provider told us about our mail, once per SparkPost event_id (it retries batches).
 * The payload holds recipient addresses and IPs: it is the person's data, shown in access
 * answers and erased with them (Art. 15, 17). Events for no known message are dropped after a while.
 */
export const trackingEvents = pgTable(
  'tracking_events',
  {
    /** SparkPost's event_id: a big-integer string or a UUID, so text. */
    eventId: text('event_id').primaryKey(),
    batchId: text('batch_id'),
    /** message_event, track_event, unsubscribe_event, relay_event, gen_event, ab_test_event, or another. */
    kind: text('kind').notNull(),
    /** The provider's event type; `unknown` when we do not know it (kept, not rejected). */
    type: text('type').notNull(),
    messageId: deletedWith('message_id', () => messages.id),
    candidacyId: uuid('candidacy_id'),
    occurredAt: at('occurred_at').notNull(),
    receivedAt: at('received_at').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  },
  (table) => [
    index('tracking_events_message_idx').on(table.messageId),
    index('tracking_events_candidacy_idx').on(table.candidacyId),
    // Only events that matched no message are ever looked up by arrival (to be dropped after a
    // while); indexing every event's arrival would cost an index write per event for nothing.
    index('tracking_events_unmatched_idx').on(table.receivedAt).where(sql`${table.messageId} is null`),
    // Erasure finds events that matched no message by the address they were about.
    index('tracking_events_unmatched_recipient_idx')
      .on(sql`lower(${table.payload}->>'rcpt_to')`)
      .where(sql`${table.messageId} is null`),
  ],
)
