import { pgEnum, pgTable, text } from 'drizzle-orm/pg-core'
import { createdAt } from '../../db/columns'

export const suppressionReasons = ['erasure', 'objection', 'spam_complaint', 'unsubscribe', 'manual'] as const
export type SuppressionReason = (typeof suppressionReasons)[number]
export const suppressionReasonEnum = pgEnum('suppression_reason', suppressionReasons)

/**
 * Addresses never to be sourced or mailed again, after erasure or objection. Only a keyed hash
 * (HMAC-SHA-256 with SERVER_SECRET) of the normalised address is kept: nothing else about the person.
 */
export const suppressions = pgTable('suppressions', {
  addressHash: text('address_hash').primaryKey(),
  reason: suppressionReasonEnum('reason').notNull(),
  createdAt: createdAt(),
})
