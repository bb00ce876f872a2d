import type { MessageStatus } from '../messages/messages.tables'

/**
 * SparkPost webhook batches: `[{ "msys": { "<kind>_event": { "type": …, "event_id": …, … } } }]`.
 * Pure parsing and rules; the service stores and applies them.
 */
export const eventKinds = [
  'message_event',
  'track_event',
  'unsubscribe_event',
  'relay_event',
  'gen_event',
  'ab_test_event',
] as const

export const knownTypes = new Set([
  'injection',
  'delivery',
  'bounce',
  'delay',
  'out_of_band',
  'policy_rejection',
  'spam_complaint',
  'sms_status',
  'open',
  'initial_open',
  'amp_open',
  'amp_initial_open',
  'click',
  'amp_click',
  'list_unsubscribe',
  'link_unsubscribe',
  'generation_failure',
  'generation_rejection',
  'relay_injection',
  'relay_rejection',
  'relay_delivery',
  'relay_tempfail',
  'relay_permfail',
  'ab_test_completed',
  'ab_test_cancelled',
])

export interface ParsedEvent {
  eventId: string
  kind: string
  /** The provider's type, or `unknown` (kept, not rejected). */
  type: string
  occurredAt: Date
  /** Our ids, from the metadata we sent (X-MSYS-API → rcpt_meta). */
  messageRef: string | null
  candidacyRef: string | null
  /** SparkPost's own ids, the fallback for correlation. */
  providerIds: string[]
  recipient: string | null
  bounceClass: string | null
  payload: Record<string, unknown>
}

export class MalformedBatchError extends Error {
  override name = 'MalformedBatchError'
  constructor(
    readonly index: number,
    reason: string,
  ) {
    super(`event ${index}: ${reason}`)
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function uuidOrNull(value: unknown): string | null {
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : null
}

/** 9999-12-31T23:59:59Z: later instants have no ISO 8601 string without an expanded year. */
const LAST_SECOND = 253_402_300_799

/** `timestamp` arrives as a string or a number of Unix seconds. */
function parseTimestamp(value: unknown): Date | undefined {
  const seconds =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)
        ? Number(value)
        : NaN
  return Number.isFinite(seconds) && seconds > 0 && seconds <= LAST_SECOND
    ? new Date(seconds * 1000)
    : undefined
}

/**
 * Parses a whole batch or rejects it whole: a malformed event anywhere means nothing is stored
 * (SparkPost then retries the batch, which a fix on our side can accept). `[{"msys":{}}]`, the
 * webhook validation ping, parses to no events.
 */
export function parseBatch(body: unknown): ParsedEvent[] {
  if (!Array.isArray(body)) throw new MalformedBatchError(-1, 'the batch is not a JSON array')
  const events: ParsedEvent[] = []
  body.forEach((item, index) => {
    if (!isRecord(item) || !isRecord(item.msys)) throw new MalformedBatchError(index, 'no msys object')
    const entries = Object.entries(item.msys)
    if (entries.length === 0) return
    if (entries.length > 1) throw new MalformedBatchError(index, 'more than one event in one msys object')
    const [kind, event] = entries[0]!
    if (!kind.endsWith('_event') || !isRecord(event))
      throw new MalformedBatchError(index, 'not an event object')
    const eventId = typeof event.event_id === 'number' ? String(event.event_id) : event.event_id
    if (typeof eventId !== 'string' || eventId.length === 0 || eventId.length > 100) {
      throw new MalformedBatchError(index, 'missing event_id')
    }
    if (typeof event.type !== 'string' || event.type.length === 0)
      throw new MalformedBatchError(index, 'missing type')
    const occurredAt = parseTimestamp(event.timestamp)
    if (!occurredAt) throw new MalformedBatchError(index, 'missing or invalid timestamp')
    const meta = isRecord(event.rcpt_meta) ? event.rcpt_meta : {}
    events.push({
      eventId,
      kind,
      type: knownTypes.has(event.type) ? event.type : 'unknown',
      occurredAt,
      messageRef: uuidOrNull(meta.candor_message_id),
      candidacyRef: uuidOrNull(meta.candor_candidacy_id),
      providerIds: [event.message_id, event.transmission_id].filter(
        (id): id is string => typeof id === 'string',
      ),
      recipient: typeof event.rcpt_to === 'string' ? event.rcpt_to : null,
      bounceClass: typeof event.bounce_class === 'string' ? event.bounce_class : null,
      payload: event,
    })
  })
  return events
}

/** SparkPost bounce classes that mean the address will never work (Invalid Recipient, No RCPT, Unsubscribe). */
export const HARD_BOUNCE_CLASSES = new Set(['10', '30', '90'])

export function isHardBounce(event: Pick<ParsedEvent, 'type' | 'bounceClass'>): boolean {
  return (
    (event.type === 'bounce' || event.type === 'out_of_band') &&
    HARD_BOUNCE_CLASSES.has(event.bounceClass ?? '')
  )
}

/** The person told the provider to stop (Art. 21): an objection, like our own withdraw link. */
export function isObjection(event: Pick<ParsedEvent, 'type'>): boolean {
  return (
    event.type === 'spam_complaint' || event.type === 'list_unsubscribe' || event.type === 'link_unsubscribe'
  )
}

/** What an event says about its message's status, if anything. */
export function statusFromEvent(event: Pick<ParsedEvent, 'type' | 'bounceClass'>): MessageStatus | undefined {
  switch (event.type) {
    case 'injection':
      return 'sent'
    case 'delivery':
      return 'delivered'
    case 'open':
    case 'initial_open':
    case 'amp_open':
    case 'amp_initial_open':
      return 'opened'
    case 'click':
    case 'amp_click':
      return 'clicked'
    case 'policy_rejection':
    case 'generation_failure':
    case 'generation_rejection':
      return 'failed'
    default:
      return isHardBounce(event) ? 'bounced' : undefined
  }
}

/**
 * Statuses form a ladder, so the result does not depend on the order events arrive in: a late
 * delivery never overwrites a click, and an open proves delivery whatever bounced later.
 */
export const STATUS_RANK: Record<MessageStatus, number> = {
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  failed: 4,
  bounced: 5,
  opened: 6,
  clicked: 7,
  cancelled: 8,
}

export function laterStatus(current: MessageStatus, incoming: MessageStatus): MessageStatus {
  return STATUS_RANK[incoming] > STATUS_RANK[current] ? incoming : current
}
