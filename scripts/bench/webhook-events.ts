/** SparkPost-shaped event batches for the webhook bench: 1000 events, unique ids, about our messages. */
let sequence = 0

export interface BenchEvent {
  type: string
  event_id: string
  timestamp: string
  message_id: string
  transmission_id: string
  rcpt_to: string
  ip_address: string
  rcpt_meta: { candor_message_id: string; candor_candidacy_id?: string }
  [key: string]: unknown
}

const TYPES: Array<[string, string]> = [
  ['message_event', 'injection'],
  ['message_event', 'delivery'],
  ['track_event', 'open'],
  ['track_event', 'click'],
]

export function eventBatch(messageIds: string[], size = 1000): Array<{ msys: Record<string, BenchEvent> }> {
  const timestamp = String(Math.floor(Date.now() / 1000))
  return Array.from({ length: size }, () => {
    sequence++
    const [kind, type] = TYPES[sequence % TYPES.length]!
    const messageId = messageIds[sequence % messageIds.length]!
    return {
      msys: {
        [kind]: {
          type,
          event_id: `${process.pid}${String(sequence).padStart(12, '0')}`,
          timestamp,
          message_id: '000443ee14578172be22',
          transmission_id: '65832150921904138',
          rcpt_to: 'recipient@example.com',
          ip_address: '127.0.0.1',
          campaign_id: 'bench',
          customer_id: '1',
          friendly_from: 'sender@example.com',
          msg_from: 'sender@example.com',
          raw_rcpt_to: 'recipient@example.com',
          recipient_domain: 'example.com',
          routing_domain: 'example.com',
          sending_ip: '127.0.0.1',
          subaccount_id: '101',
          rcpt_meta: { candor_message_id: messageId },
        },
      },
    }
  })
}
