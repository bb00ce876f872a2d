import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { messageStatuses } from '../../../src/modules/messages/messages.tables'
import {
  laterStatus,
  MalformedBatchError,
  parseBatch,
  statusFromEvent,
} from '../../../src/modules/tracking/tracking.events'
import { serializeError } from '../../../src/plugins/logging'

const status = fc.constantFrom(...messageStatuses)

describe('message status from provider events', () => {
  it('does not depend on the order events arrive in', () => {
    fc.assert(
      fc.property(
        status,
        fc.array(status, { maxLength: 12 }),
        fc.infiniteStream(fc.nat()),
        (start, incoming, seeds) => {
          const shuffled = [...incoming].sort(() => (seeds.next().value % 3) - 1)
          const apply = (events: typeof incoming) => events.reduce(laterStatus, start)
          expect(apply(shuffled)).toBe(apply(incoming))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('never moves backwards: a delivery after a click leaves the click, an open after a bounce shows the open', () => {
    expect(laterStatus('clicked', 'delivered')).toBe('clicked')
    expect(laterStatus('opened', 'sent')).toBe('opened')
    expect(laterStatus('delivered', 'bounced')).toBe('bounced')
    expect(laterStatus('bounced', 'opened')).toBe('opened')
    expect(laterStatus('cancelled', 'delivered')).toBe('cancelled')
  })

  it('treats only hard bounce classes as bounced', () => {
    expect(statusFromEvent({ type: 'bounce', bounceClass: '10' })).toBe('bounced')
    expect(statusFromEvent({ type: 'out_of_band', bounceClass: '30' })).toBe('bounced')
    expect(statusFromEvent({ type: 'bounce', bounceClass: '20' })).toBeUndefined()
    expect(statusFromEvent({ type: 'delay', bounceClass: null })).toBeUndefined()
  })
})

describe('parsing a batch', () => {
  it('reads event ids that are numbers or UUIDs and timestamps that are strings or numbers', () => {
    const [a, b] = parseBatch([
      { msys: { message_event: { type: 'delivery', event_id: 92356927693813856, timestamp: '1460989507' } } },
      {
        msys: {
          track_event: {
            type: 'open',
            event_id: '3f1c2b8e-1111-4222-8333-444455556666',
            timestamp: 1460989507.5,
          },
        },
      },
    ])
    expect(a).toMatchObject({ eventId: '92356927693813860', occurredAt: new Date('2016-04-18T14:25:07Z') })
    expect(b).toMatchObject({
      eventId: '3f1c2b8e-1111-4222-8333-444455556666',
      occurredAt: new Date(1460989507500),
    })
  })

  it.each([
    ['not an array', { msys: {} }],
    ['no msys', [{}]],
    [
      'two events in one msys',
      [
        {
          msys: {
            a_event: { type: 'x', event_id: '1', timestamp: '1' },
            b_event: { type: 'x', event_id: '2', timestamp: '1' },
          },
        },
      ],
    ],
    ['no event_id', [{ msys: { message_event: { type: 'delivery', timestamp: '1' } } }]],
    [
      'a bad timestamp',
      [{ msys: { message_event: { type: 'delivery', event_id: '1', timestamp: 'yesterday' } } }],
    ],
  ])('rejects the whole batch for %s', (_name, batch) => {
    expect(() => parseBatch(batch)).toThrow(MalformedBatchError)
  })
})

describe('database errors in logs', () => {
  it('keep the SQL state but drop the query and its parameters', () => {
    const error = Object.assign(
      new Error('Failed query: insert into people ... params: Ada Lovelace,ada@example.org'),
      {
        query: 'insert into people ...',
        params: ['Ada Lovelace', 'ada@example.org'],
        cause: {
          code: '23505',
          message: 'duplicate key value violates unique constraint "person_emails_normalized_key"',
        },
      },
    )
    const logged = JSON.stringify(serializeError(error))
    expect(logged).toContain('23505')
    expect(logged).not.toContain('Ada')
    expect(logged).not.toContain('ada@example.org')
  })
})
