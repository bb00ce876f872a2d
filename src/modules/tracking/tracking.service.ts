import { normaliseEmail } from '../../lib/email-address'
import type { Services } from '../../services'
import {
  lockCandidacies,
  lockCandidacyContext,
  markNoticesUndelivered,
} from '../candidacies/candidacies.service'
import { ENDED_STAGES } from '../candidacies/candidacy-rules'
import { stopCandidacy } from '../consent/consent.service'
import { noticeTemplates } from '../messages/mail-templates'
import { removeCancelledJobs } from '../messages/messages.service'
import type { MessageStatus } from '../messages/messages.tables'
import { suppress } from '../suppression/suppression.service'
import {
  isHardBounce,
  isObjection,
  laterStatus,
  type ParsedEvent,
  STATUS_RANK,
  statusFromEvent,
} from './tracking.events'
import {
  advanceMessageStatuses,
  type CorrelatedMessage,
  findMessagesFor,
  insertTrackingEvents,
  markUndeliverable,
} from './tracking.repository'

// Provider events about no mail of ours are kept a while, then dropped.
export { deleteUnmatchedBefore } from './tracking.repository'

type TrackingDeps = Pick<Services, 'db' | 'clock' | 'config' | 'queues'>

export interface IngestResult {
  received: number
  stored: number
  duplicates: number
}

/** Art. 14: a bounced or rejected notice informed nobody; the deadline keeps running. */
const undeliveredNotice = (status: string | undefined, template: string) =>
  (status === 'bounced' || status === 'failed') && noticeTemplates.has(template)

/** The candidacy an objection is about: its message's, or the one the provider's metadata names. */
const objectionCandidacy = (event: ParsedEvent, message: CorrelatedMessage | undefined) =>
  message?.candidacyId ?? event.candidacyRef

/** The candidacy an event may change: an objection's, or a notice's that turns out undelivered. */
function candidacyChangedBy(event: ParsedEvent, message: CorrelatedMessage | undefined): string | null {
  if (isObjection(event)) return objectionCandidacy(event, message)
  if (message && undeliveredNotice(statusFromEvent(event), message.template)) return message.candidacyId
  return null
}

/**
 * Stores a batch once per event_id and applies what it means, in one transaction: message
 * statuses (forward only), hard bounces (address undeliverable), notices not delivered, and
 * complaints or unsubscribes as objections (ledger, stage, suppression, waiting mail cancelled).
 */
export async function ingestEvents(
  deps: TrackingDeps,
  events: ParsedEvent[],
  batchId: string | null,
): Promise<IngestResult> {
  if (events.length === 0) return { received: 0, stored: 0, duplicates: 0 }
  const now = deps.clock.now()
  const { stored, cancelled } = await deps.db.transaction(async (tx) => {
    const refs = [...new Set(events.flatMap((event) => (event.messageRef ? [event.messageRef] : [])))]
    const providerIds = [...new Set(events.flatMap((event) => (event.messageRef ? [] : event.providerIds)))]
    const found = await findMessagesFor(tx, refs, providerIds)
    const byId = new Map(found.map((message) => [message.id, message]))
    const byProviderId = new Map(
      found.flatMap((message) => (message.providerMessageId ? [[message.providerMessageId, message]] : [])),
    )
    const messageOf = (event: ParsedEvent): CorrelatedMessage | undefined =>
      (event.messageRef ? byId.get(event.messageRef) : undefined) ??
      event.providerIds.map((id) => byProviderId.get(id)).find(Boolean)

    // The candidacies this batch may change are locked first, in id order, as a withdrawal takes
    // them (the candidacy, then its messages): storing an event already holds its message (the
    // foreign key's share lock), and the other order could deadlock with a withdrawal or the worker.
    await lockCandidacies(tx, [
      ...new Set(events.flatMap((event) => candidacyChangedBy(event, messageOf(event)) ?? [])),
    ])

    const receivedAt = now.toISOString()
    const inserted = await insertTrackingEvents(
      tx,
      events.map((event) => {
        const message = messageOf(event)
        return {
          event_id: event.eventId,
          batch_id: batchId,
          kind: event.kind,
          type: event.type,
          message_id: message?.id ?? null,
          candidacy_id: message?.candidacyId ?? event.candidacyRef,
          occurred_at: event.occurredAt.toISOString(),
          received_at: receivedAt,
          payload: event.payload,
        }
      }),
    )
    // Effects only for events seen for the first time: a retried batch changes nothing.
    const fresh = events.filter((event) => inserted.has(event.eventId))

    const statuses = new Map<string, MessageStatus>()
    for (const event of fresh) {
      const message = messageOf(event)
      const incoming = statusFromEvent(event)
      if (!message || !incoming) continue
      statuses.set(message.id, laterStatus(statuses.get(message.id) ?? incoming, incoming))
    }
    // Statuses only climb, so a status no higher than the one just read can never be a move. The
    // rest climb under the rows' locks, against what another batch may have stored meanwhile.
    const changed = await advanceMessageStatuses(
      tx,
      [...statuses]
        .filter(([id, status]) => STATUS_RANK[status] > STATUS_RANK[byId.get(id)!.status as MessageStatus])
        .map(([id, status]) => ({ id, status })),
      STATUS_RANK,
      now,
    )

    const hardBounced = fresh.filter(isHardBounce)
    await markUndeliverable(
      tx,
      hardBounced.flatMap((event) => (event.recipient ? [normaliseEmail(event.recipient)] : [])),
      now,
    )

    const undelivered = changed
      .filter((message) => undeliveredNotice(message.status, message.template))
      .flatMap((message) => (message.candidacyId ? [message.candidacyId] : []))
    await markNoticesUndelivered(tx, undelivered, now)

    const cancelled: string[] = []
    for (const event of fresh.filter(isObjection)) {
      const reason = event.type === 'spam_complaint' ? 'spam_complaint' : 'unsubscribe'
      if (event.recipient) await suppress(tx, deps.config.SERVER_SECRET, [event.recipient], reason, now)
      const candidacyId = objectionCandidacy(event, messageOf(event))
      const context = candidacyId ? await lockCandidacyContext(tx, candidacyId) : undefined
      if (!context || ENDED_STAGES.includes(context.candidacy.stage)) continue
      cancelled.push(
        ...(await stopCandidacy(deps, tx, context.candidacy, {
          type: 'objection',
          actor: { type: 'mail_provider' },
          evidence: { trackingEvent: event.eventId, providerEvent: event.type },
        })),
      )
    }
    return { stored: inserted.size, cancelled }
  })
  await removeCancelledJobs(deps, cancelled)
  return { received: events.length, stored, duplicates: events.length - stored }
}
