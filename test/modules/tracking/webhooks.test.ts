import { readdirSync, readFileSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { enqueueOutreach } from '../../../src/modules/outreach/outreach.service'
import { sendMessage } from '../../../src/modules/outreach/sending.service'
import { trackingJobs } from '../../../src/modules/tracking/tracking.jobs'
import { startTestApp, type TestApp } from '../../helpers/app'
import { meetHeldTransaction } from '../../helpers/locks'
import {
  json,
  type SeededVacancy,
  seedOpenVacancy,
  sourceCandidate,
  sourcingPayload,
} from '../../helpers/seed'

const AUTH = 'Bearer webhook-secret-for-tests'
const FIXTURES = 'test/fixtures/sparkpost'
const MESSAGE_PLACEHOLDER = '00000000-0000-4000-8000-00000000000a'
const CANDIDACY_PLACEHOLDER = '00000000-0000-4000-8000-00000000000b'

let t: TestApp
let vacancy: SeededVacancy
let eventCounter = 0

beforeAll(async () => {
  t = await startTestApp({ env: { SPARKPOST_WEBHOOK_AUTH: AUTH, MAIL_TRANSPORT: 'capture' } })
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t)
})
afterAll(() => t.close())

/** A sourced candidate with one mail sent (through the real send path) to `address`. */
async function mailedCandidate(
  address: string,
  template: 'art14_notice' | 'consent_request' = 'art14_notice',
) {
  const candidacy = await sourceCandidate(t, vacancy, { email: address })
  const { messageId } = await enqueueOutreach(t.app.services, vacancy.recruiter.id, candidacy.id, template)
  await t.app.queues.outreach.remove(messageId)
  expect(await sendMessage(t.app.services, messageId, { number: 1, last: false })).toBe('sent')
  return { candidacyId: candidacy.id, messageId, address }
}

/** A fixture batch pointed at our message, with event ids made unique for this use. */
function fixture(
  name: string,
  ids: { messageId: string; candidacyId: string; address?: string },
  unique = true,
): unknown[] {
  let text = readFileSync(`${FIXTURES}/${name}`, 'utf8')
    .replaceAll(MESSAGE_PLACEHOLDER, ids.messageId)
    .replaceAll(CANDIDACY_PLACEHOLDER, ids.candidacyId)
  if (ids.address) text = text.replaceAll('recipient@example.com', ids.address)
  const batch = JSON.parse(text) as Array<{ msys: Record<string, { event_id?: string }> }>
  if (unique) {
    eventCounter++
    for (const item of batch)
      for (const event of Object.values(item.msys)) event.event_id = `${event.event_id}-${eventCounter}`
  }
  return batch
}

const post = (
  batch: unknown,
  authorization: string | undefined = AUTH,
  headers: Record<string, string> = {},
) =>
  t.request({
    method: 'POST',
    url: '/webhooks/sparkpost',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}), ...headers },
    payload: JSON.stringify(batch),
  })

const countEvents = async () =>
  (await queryRows<{ n: number }>(t.app.db, sql`select count(*)::int as n from tracking_events`))[0]!.n
const messageStatus = async (id: string) =>
  (await queryRows<{ status: string }>(t.app.db, sql`select status from messages where id = ${id}`))[0]!
    .status

describe('the SparkPost webhook', () => {
  it('accepts the validation ping [{"msys":{}}] with 200', async () => {
    const response = await post(JSON.parse(readFileSync(`${FIXTURES}/validation.json`, 'utf8')))
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ received: 0, stored: 0, duplicates: 0 })
  })

  it('accepts every documented fixture batch, and a retried batch stores and applies nothing twice', async () => {
    const files = readdirSync(FIXTURES).filter((file) => file.endsWith('.json') && file !== 'validation.json')
    expect(files.length).toBeGreaterThanOrEqual(18)
    const target = await mailedCandidate('fixture.reader@example.org')
    for (const file of files) {
      const batch = fixture(file, target, false)
      const first = await post(batch, AUTH, { 'x-messagesystems-batch-id': `batch-${file}` })
      expect(first.statusCode, file).toBe(200)
      const again = await post(batch)
      expect(again.statusCode, file).toBe(200)
      expect(again.json().stored, file).toBe(0)
    }
    const [row] = await queryRows<{ n: number; ids: number }>(
      t.app.db,
      sql`select count(*)::int as n, count(distinct event_id)::int as ids from tracking_events`,
    )
    expect(row!.n).toBe(row!.ids)
    const kinds = await queryRows<{ kind: string }>(
      t.app.db,
      sql`select distinct kind from tracking_events order by kind`,
    )
    expect(kinds.map((kind) => kind.kind)).toEqual([
      'ab_test_event',
      'gen_event',
      'message_event',
      'relay_event',
      'track_event',
      'unsubscribe_event',
    ])
    const ledger = await queryRows<{ type: string }>(
      t.app.db,
      sql`select type from ledger_events where candidacy_id = ${target.candidacyId} and type = 'objection'`,
    )
    expect(ledger).toHaveLength(1)
  })

  it('refuses wrong or missing credentials with 401 and stores nothing', async () => {
    const target = await mailedCandidate('auth.reader@example.org')
    const before = await countEvents()
    for (const authorization of ['', 'Bearer wrong', 'Basic d3Jvbmc6d3Jvbmc=', `${AUTH}x`]) {
      const response = await post(fixture('delivery.json', target), authorization)
      expect(response.statusCode).toBe(401)
      expect(response.json().code).toBe('webhook.unauthenticated')
    }
    expect(await countEvents()).toBe(before)
  })

  it('refuses a batch with one malformed event whole, with 400 and zero rows written', async () => {
    const target = await mailedCandidate('malformed.reader@example.org')
    const before = await countEvents()
    const batch = fixture('mixed_batch.json', target) as Array<{
      msys: Record<string, Record<string, unknown>>
    }>
    delete Object.values(batch[3]!.msys)[0]!.event_id
    const response = await post(batch)
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({
      code: 'webhook.malformed_batch',
      detail: 'event 3: missing event_id',
    })
    expect(await countEvents()).toBe(before)
    expect(await messageStatus(target.messageId)).toBe('sent')
    expect((await post({ not: 'an array' })).statusCode).toBe(400)
  })

  it('keeps unknown event types as unknown instead of rejecting them', async () => {
    const target = await mailedCandidate('unknown.reader@example.org')
    const response = await post([
      {
        msys: {
          future_event: {
            type: 'teleported',
            event_id: `future-${Date.now()}`,
            timestamp: 1767225600,
            rcpt_meta: { candor_message_id: target.messageId },
          },
        },
      },
    ])
    expect(response.statusCode).toBe(200)
    const [row] = await queryRows<{ kind: string; type: string; message_id: string }>(
      t.app.db,
      sql`select kind, type, message_id from tracking_events where kind = 'future_event'`,
    )
    expect(row).toEqual({ kind: 'future_event', type: 'unknown', message_id: target.messageId })
  })

  it('never moves a message backwards: a late delivery does not overwrite a click', async () => {
    const target = await mailedCandidate('order.reader@example.org')
    expect((await post(fixture('click.json', target))).statusCode).toBe(200)
    expect(await messageStatus(target.messageId)).toBe('clicked')
    await post(fixture('delivery.json', target))
    await post(fixture('injection.json', target))
    await post(fixture('open.json', target))
    expect(await messageStatus(target.messageId)).toBe('clicked')
  })

  it('batches about the same messages posted at once all land, and each message ends on its highest status', async () => {
    const targets = await Promise.all(
      Array.from({ length: 4 }, (_, i) => mailedCandidate(`parallel.reader${i}@example.org`)),
    )
    // Every batch touches every message, each in another order: overlapping locks, no deadlock.
    const kinds = ['click.json', 'delivery.json', 'open.json', 'injection.json']
    const batches = kinds.map((_kind, shift) =>
      targets.flatMap((target, i) => fixture(kinds[(i + shift) % kinds.length]!, target)).reverse(),
    )
    const answers = await Promise.all(batches.map((batch) => post(batch)))
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200])
    for (const target of targets) expect(await messageStatus(target.messageId)).toBe('clicked')
  })

  it("a delivery reported before the worker records its own send is not overwritten by 'sent'", async () => {
    const candidacy = await sourceCandidate(t, vacancy, { email: 'early.delivery@example.org' })
    const { messageId } = await enqueueOutreach(
      t.app.services,
      vacancy.recruiter.id,
      candidacy.id,
      'art14_notice',
    )
    await t.app.queues.outreach.remove(messageId)
    const { mailer } = t.app.services
    const send = mailer.send
    // SparkPost's delivery event lands between the SMTP answer and the worker's bookkeeping.
    mailer.send = async (mail) => {
      const answer = await send.call(mailer, mail)
      const early = await post(fixture('delivery.json', { messageId, candidacyId: candidacy.id }))
      expect(early.statusCode).toBe(200)
      expect(await messageStatus(messageId)).toBe('delivered')
      return answer
    }
    try {
      expect(await sendMessage(t.app.services, messageId, { number: 1, last: false })).toBe('sent')
    } finally {
      mailer.send = send
    }
    expect(await messageStatus(messageId)).toBe('delivered')
  })

  it('a hard bounce makes the address undeliverable, stops mail to it, and an undelivered notice stays due', async () => {
    const target = await mailedCandidate('bounced.reader@example.org')
    const notice = await queryRows<{ notice_status: string }>(
      t.app.db,
      sql`select notice_status from candidacies where id = ${target.candidacyId}`,
    )
    expect(notice[0]!.notice_status).toBe('sent')
    const batch = fixture('bounce.json', { ...target, address: target.address })
    expect((await post(batch)).statusCode).toBe(200)
    expect(await messageStatus(target.messageId)).toBe('bounced')
    const [email] = await queryRows<{ undeliverable_at: Date | null }>(
      t.app.db,
      sql`select undeliverable_at from person_emails where normalized = ${target.address}`,
    )
    expect(email!.undeliverable_at).not.toBeNull()
    const [candidacy] = await queryRows<{ notice_status: string }>(
      t.app.db,
      sql`select notice_status from candidacies where id = ${target.candidacyId}`,
    )
    expect(candidacy!.notice_status).toBe('undelivered')
    const due = json<Array<{ candidacyId: string; noticeStatus: string }>>(
      await t.request({ method: 'GET', url: '/dpo/notices?dueBefore=2027-01-01T00:00:00Z', as: vacancy.dpo }),
      200,
    )
    expect(due.find((row) => row.candidacyId === target.candidacyId)?.noticeStatus).toBe('undelivered')
    const again = await t.request({
      method: 'POST',
      url: `/candidacies/${target.candidacyId}/outreach`,
      as: vacancy.recruiter,
      payload: { template: 'consent_request' },
    })
    expect(again.json()).toMatchObject({ status: 409, code: 'outreach.no_deliverable_address' })
  })

  it('a spam complaint is an objection: ledger (mail provider), objected, suppressed, never mailed or sourced again', async () => {
    const target = await mailedCandidate('complaining.reader@example.org')
    const pending = await enqueueOutreach(
      t.app.services,
      vacancy.recruiter.id,
      target.candidacyId,
      'consent_request',
    )
    expect(
      (await post(fixture('spam_complaint.json', { ...target, address: target.address }))).statusCode,
    ).toBe(200)
    const [event] = await queryRows<{ type: string; actor_type: string; evidence: Record<string, string> }>(
      t.app.db,
      sql`select type, actor_type, evidence from ledger_events where candidacy_id = ${target.candidacyId} order by seq desc limit 1`,
    )
    expect(event).toMatchObject({
      type: 'objection',
      actor_type: 'mail_provider',
      evidence: { providerEvent: 'spam_complaint' },
    })
    expect(await messageStatus(pending.messageId)).toBe('cancelled')
    expect(await t.app.queues.outreach.getJob(pending.messageId)).toBeUndefined()
    const view = json<{ stage: string }>(
      await t.request({ method: 'GET', url: `/candidacies/${target.candidacyId}`, as: vacancy.recruiter }),
      200,
    )
    expect(view.stage).toBe('objected')
    const mail = await t.request({
      method: 'POST',
      url: `/candidacies/${target.candidacyId}/outreach`,
      as: vacancy.recruiter,
      payload: { template: 'art14_notice' },
    })
    expect(mail.statusCode).toBe(409)
    const other = await seedOpenVacancy(t)
    const sourced = await t.request({
      method: 'POST',
      url: `/vacancies/${other.id}/candidacies`,
      as: other.recruiter,
      payload: sourcingPayload({ email: target.address }),
    })
    expect(sourced.json()).toMatchObject({ status: 409, code: 'sourcing.suppressed' })
  })

  it('a complaint batch that meets a withdrawal holding the candidacy waits for it instead of deadlocking', async () => {
    const target = await mailedCandidate('two.exits@example.org')
    // A delivery (moves the message) and a complaint (changes the candidacy) in one batch.
    const batch = [...fixture('delivery.json', target), ...fixture('spam_complaint.json', target)]
    // What a withdrawal does, held open in the middle: the candidacy's lock, then its messages.
    const posted = await meetHeldTransaction(t, {
      hold: (tx) => tx`select id from candidacies where id = ${target.candidacyId} for update`,
      start: () => post(batch),
      // Had the batch locked the message before the candidacy, this would deadlock (40P01).
      // A withdrawal's cancellation frees the dedupe key, a unique column: the strongest row lock.
      closeCycle: (tx) =>
        tx`update messages set dedupe_key = 'probe:' || id where candidacy_id = ${target.candidacyId}`,
    })
    expect(posted.statusCode).toBe(200)
    expect(await messageStatus(target.messageId)).toBe('delivered')
    const view = json<{ stage: string }>(
      await t.request({ method: 'GET', url: `/candidacies/${target.candidacyId}`, as: vacancy.recruiter }),
      200,
    )
    expect(view.stage).toBe('objected')
  })

  it('keeps events about no message of ours for TRACKING_UNMATCHED_DAYS, then drops them; matched ones stay', async () => {
    const target = await mailedCandidate('cleanup.reader@example.org')
    const stranger = { messageId: crypto.randomUUID(), candidacyId: crypto.randomUUID() }
    expect((await post(fixture('delivery.json', stranger))).statusCode).toBe(200)
    expect((await post(fixture('delivery.json', target))).statusCode).toBe(200)
    const unmatched = async () =>
      (
        await queryRows<{ n: number }>(
          t.app.db,
          sql`select count(*)::int as n from tracking_events where message_id is null`,
        )
      )[0]!.n
    const matched = async () =>
      (
        await queryRows<{ n: number }>(
          t.app.db,
          sql`select count(*)::int as n from tracking_events where message_id = ${target.messageId}`,
        )
      )[0]!.n
    const cleanup = trackingJobs(t.app).find((job) => job.name === 'tracking-unmatched-cleanup')!
    const started = t.clock.now()
    expect(await unmatched()).toBeGreaterThan(0)
    const kept = await matched()
    try {
      t.clock.set(new Date(started.getTime() + (t.config.TRACKING_UNMATCHED_DAYS - 1) * 86_400_000))
      await cleanup.process({} as never)
      expect(await unmatched()).toBeGreaterThan(0)
      t.clock.set(new Date(started.getTime() + (t.config.TRACKING_UNMATCHED_DAYS + 1) * 86_400_000))
      await cleanup.process({} as never)
      expect(await unmatched()).toBe(0)
      expect(await matched()).toBe(kept)
    } finally {
      t.clock.set(started)
    }
  })
})
