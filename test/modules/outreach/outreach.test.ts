import { Worker } from 'bullmq'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { sendMessage } from '../../../src/modules/outreach/sending.service'
import { suppress } from '../../../src/modules/suppression/suppression.service'
import { createRedis } from '../../../src/queue/connection'
import { deleteQueueKeys, startTestApp, type TestApp } from '../../helpers/app'
import { testRedisUrl } from '../../helpers/databases'
import { meetHeldTransaction } from '../../helpers/locks'
import {
  formTokenOf,
  json,
  linkToken,
  type SeededVacancy,
  seedOpenVacancy,
  sourceCandidate,
} from '../../helpers/seed'
import { SmtpSink } from '../../helpers/smtp'

let sink: SmtpSink
let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  sink = new SmtpSink()
  await sink.start()
  // The API without workers: tests decide when a worker (a sibling instance) starts sending.
  t = await startTestApp({
    env: {
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: sink.url,
      MAIL_RETRY_DELAY_MS: '100',
      MAIL_FROM: 'Candor <outreach@candor.test>',
    },
  })
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Stadsfietsen Utrecht B.V.' })
})
afterAll(async () => {
  await t.close()
  await sink.stop()
})

async function sourced(email?: string) {
  return sourceCandidate<{ id: string; person: { emails: Array<{ address: string }> } }>(
    t,
    vacancy,
    email ? { email } : {},
  )
}

const outreach = (candidacyId: string, template = 'consent_request') =>
  t.request({
    method: 'POST',
    url: `/candidacies/${candidacyId}/outreach`,
    as: vacancy.recruiter,
    payload: { template },
  })

const messageStatus = async (messageId: string) =>
  (
    await queryRows<{ status: string; status_reason: string | null }>(
      t.app.db,
      sql`select status, status_reason from messages where id = ${messageId}`,
    )
  )[0]

/** Everything this file's queues keep in Redis as text: job hashes and event streams. */
async function queueText(prefix: string): Promise<string> {
  const redis = createRedis({ url: testRedisUrl() })
  try {
    const parts: string[] = []
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      for (const key of keys) {
        const type = await redis.type(key)
        if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)))
        if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')))
        if (type === 'string') parts.push((await redis.get(key)) ?? '')
      }
    } while (cursor !== '0')
    return parts.join('\n')
  } finally {
    redis.disconnect()
  }
}

/** RFC 8058: what the candidate's mail client POSTs for a one-click unsubscribe. */
const oneClickWithdraw = (withdrawUrl: string) =>
  t.request({
    method: 'POST',
    url: `/w/${linkToken(withdrawUrl)}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'List-Unsubscribe=One-Click',
  })

/** The state a failed recording leaves: the mail server took the mail, PostgreSQL never heard. */
async function acceptedButUnrecorded(messageId: string, jobOptions: { attempts?: number; delay?: number }) {
  await (await t.app.queues.outreach.getJob(messageId))!.remove()
  await t.app.db.execute(sql`update messages set status = 'sending' where id = ${messageId}`)
  await t.app.queues.outreach.add(
    'send',
    { messageId, acceptedAs: `<${messageId}@candor.test>` },
    { jobId: messageId, ...jobOptions },
  )
}

const mailTo = (address: string) => sink.received.filter((mail) => mail.to.includes(address))

describe('outreach mail', () => {
  it('a consent request reaches a real SMTP server with the client, the purpose, working links and RFC 8058 headers', async () => {
    const candidacy = await sourced('first.reader@example.org')
    const accepted = json<{ messageId: string; status: string }>(await outreach(candidacy.id), 202)
    expect(accepted.status).toBe('queued')
    const again = json<{ messageId: string; created: boolean }>(await outreach(candidacy.id), 202)
    expect(again).toMatchObject({ messageId: accepted.messageId, created: false })

    const worker = await t.sibling({ RUN_WORKERS: 'true' })
    const [mail] = await vi.waitFor(
      () => {
        const received = mailTo('first.reader@example.org')
        expect(received.length).toBeGreaterThan(0)
        return received
      },
      { timeout: 15_000, interval: 50 },
    )
    await worker.close()
    const { parsed } = mail!
    expect(parsed.subject).toBeTruthy()
    expect(parsed.text).toContain('Stadsfietsen Utrecht B.V.')
    expect(parsed.text).toContain('Recruiting a senior backend engineer')
    // Art. 14(1)(d): the categories held, from the candidacy's facts (a skill was sourced).
    expect(parsed.text).toMatch(/^\s*- your name and e-mail address\s*$[\s\S]*^\s*- skills\s*$/m)
    expect(parsed.html).toContain('Stadsfietsen Utrecht B.V.')
    expect(parsed.messageId).toBe(`<${accepted.messageId}@candor.test>`)
    const consentUrl = parsed.text!.match(/http:\/\/candor\.test\/c\/[A-Za-z0-9_-]{43}/)?.[0]
    const withdrawUrl = parsed.text!.match(/http:\/\/candor\.test\/w\/[A-Za-z0-9_-]{43}/)?.[0]
    expect(consentUrl).toBeDefined()
    expect(withdrawUrl).toBeDefined()
    expect(parsed.text).toMatch(/http:\/\/candor\.test\/r\/[A-Za-z0-9_-]{43}/)
    // RFC 8058: the one-click POST target is the withdraw link itself.
    const headers = mail!.raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ')
    expect(headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m)
    expect(headers).toContain(`List-Unsubscribe: <${withdrawUrl}>`)

    // The candidate clicks consent in the mail.
    const path = `/c/${linkToken(consentUrl!)}`
    const page = await t.request({ method: 'GET', url: path })
    expect(page.statusCode).toBe(200)
    const answer = await t.request({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `choice=consent&form=${encodeURIComponent(formTokenOf(page.body))}`,
    })
    expect(answer.statusCode).toBe(200)
    const events = await queryRows<{ type: string; evidence: Record<string, string> }>(
      t.app.db,
      sql`select type, evidence from ledger_events where candidacy_id = ${candidacy.id} order by seq`,
    )
    expect(events.map((event) => event.type)).toEqual([
      'basis_asserted',
      'consent_requested',
      'notice_sent',
      'consent_given',
    ])
    expect(events[1]!.evidence.message).toBe(accepted.messageId)
    expect(await messageStatus(accepted.messageId)).toEqual({ status: 'sent', status_reason: null })
    // What is stored is the mail without its secrets: tokens are only in the mail itself.
    const [stored] = await queryRows<{ body_text: string }>(
      t.app.db,
      sql`select body_text from messages where id = ${accepted.messageId}`,
    )
    expect(stored!.body_text).not.toContain(linkToken(consentUrl!))
    expect(stored!.body_text).toContain('{{candor-link:consent}}')
  })

  it.each([
    ['withdraws', 'withdrawn'],
    ['objects', 'objected'],
    ['is suppressed', 'suppressed'],
    ['has processing restricted', 'restricted'],
  ])(
    'a candidate who %s between enqueue and send is never mailed, and waiting jobs are removed',
    async (_name, how) => {
      const address = `between-${how}@example.org`
      const candidacy = await sourced(address)
      const { messageId } = json<{ messageId: string }>(await outreach(candidacy.id, 'art14_notice'), 202)
      expect(await t.app.queues.outreach.getJob(messageId)).toBeDefined()
      if (how === 'suppressed') {
        await suppress(t.app.db, t.config.SERVER_SECRET, [address], 'manual', t.clock.now())
      } else if (how === 'restricted') {
        // Art. 18: a restriction request carried out by the DPO.
        const dpoCall = (url: string, payload: Record<string, unknown> = {}) =>
          t.request({ method: 'POST', url, as: vacancy.dpo, payload })
        const request = json<{ id: string }>(
          await dpoCall('/requests', {
            type: 'restriction',
            email: address,
            receivedAt: '2026-02-10T08:00:00Z',
            channel: 'email',
          }),
          201,
        )
        json(await dpoCall(`/requests/${request.id}/verify`, { method: 'called back' }), 200)
        json(await dpoCall(`/requests/${request.id}/complete`), 200)
        // A job the restriction did not reach (the reconciler's, say) is cancelled by the worker.
        await t.app.queues.outreach.add('send', { messageId }, { jobId: messageId })
      } else {
        // A withdraw link from an earlier consent request (the mail itself never went out).
        const links = json<{ withdrawUrl: string; consentUrl: string }>(
          await t.request({
            method: 'POST',
            url: `/candidacies/${candidacy.id}/consent-requests`,
            as: vacancy.recruiter,
          }),
          201,
        )
        if (how === 'withdrawn') {
          const page = await t.request({ method: 'GET', url: `/c/${linkToken(links.consentUrl)}` })
          await t.request({
            method: 'POST',
            url: `/c/${linkToken(links.consentUrl)}`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: `choice=consent&form=${encodeURIComponent(formTokenOf(page.body))}`,
          })
        }
        const response = await oneClickWithdraw(links.withdrawUrl)
        expect(response.statusCode).toBe(200)
        expect(await t.app.queues.outreach.getJob(messageId)).toBeUndefined()
        expect(await messageStatus(messageId)).toEqual({
          status: 'cancelled',
          status_reason: 'candidacy_stopped',
        })
        // The worker must not send it even if the job came back (e.g. the reconciler).
        await t.app.queues.outreach.add('send', { messageId }, { jobId: messageId })
      }
      const worker = await t.sibling({ RUN_WORKERS: 'true' })
      await expect
        .poll(async () => (await messageStatus(messageId))?.status, { timeout: 15_000, interval: 50 })
        .toBe('cancelled')
      await expect
        .poll(
          async () => (await t.app.queues.outreach.getJobCounts('waiting', 'active', 'delayed')).waiting,
          { timeout: 15_000, interval: 50 },
        )
        .toBe(0)
      await worker.close()
      // What the person asked for still reaches them (Art. 12(3)): the answers to their request.
      expect(mailTo(address).filter((mail) => mail.parsed.messageId?.startsWith(`<${messageId}@`))).toEqual(
        [],
      )
      if (how !== 'restricted') expect(mailTo(address)).toEqual([])
    },
  )

  it('a withdrawal that holds the candidacy when the worker starts on its mail neither deadlocks nor lets it out', async () => {
    const address = 'crossing.paths@example.org'
    const candidacy = await sourced(address)
    const { messageId } = json<{ messageId: string }>(await outreach(candidacy.id, 'art14_notice'), 202)
    // What a withdrawal does, held open in the middle: the candidacy's lock, then its messages.
    const sending = meetHeldTransaction(t, {
      hold: (tx) => tx`select id from candidacies where id = ${candidacy.id} for update`,
      start: () => sendMessage(t.app.services, messageId, { number: 1, last: false }),
      // Had the worker locked the message before the candidacy, this would deadlock (40P01).
      closeCycle: (tx) => tx`update messages set status = 'cancelled', status_reason = 'candidacy_stopped'
                       where candidacy_id = ${candidacy.id} and status in ('queued', 'sending')`,
    })
    expect(await sending).toBe('skipped')
    expect(await messageStatus(messageId)).toEqual({
      status: 'cancelled',
      status_reason: 'candidacy_stopped',
    })
    expect(mailTo(address)).toEqual([])
  })

  it('retries while the SMTP server is down and delivers exactly once when it is back', async () => {
    const candidacy = await sourced('patient.reader@example.org')
    await sink.stop()
    const { messageId } = json<{ messageId: string }>(await outreach(candidacy.id, 'art14_notice'), 202)
    const worker = await t.sibling({ RUN_WORKERS: 'true' })
    await vi.waitFor(
      async () => {
        const job = await t.app.queues.outreach.getJob(messageId)
        expect(job).toBeDefined()
        expect(job!.attemptsMade).toBeGreaterThanOrEqual(2)
      },
      { timeout: 15_000, interval: 50 },
    )
    await sink.start(sink.port)
    await expect
      .poll(async () => (await messageStatus(messageId))?.status, { timeout: 15_000, interval: 50 })
      .toBe('sent')
    await worker.close()
    expect(mailTo('patient.reader@example.org')).toHaveLength(1)
  })

  it('a retry after the address was corrected goes to the corrected address, never the old one', async () => {
    const candidacy = await sourced('typo.reader@exmaple.org')
    await sink.stop()
    const { messageId } = json<{ messageId: string }>(await outreach(candidacy.id, 'art14_notice'), 202)
    const worker = await t.sibling({ RUN_WORKERS: 'true' })
    try {
      await expect
        .poll(async () => (await t.app.queues.outreach.getJob(messageId))?.attemptsMade ?? 0, {
          timeout: 15_000,
          interval: 50,
        })
        .toBeGreaterThanOrEqual(1)
      json(
        await t.request({
          method: 'PATCH',
          url: `/candidacies/${candidacy.id}/person`,
          as: vacancy.recruiter,
          payload: { emails: ['typo.reader@example.org'] },
        }),
        200,
      )
      await sink.start(sink.port)
      await expect
        .poll(async () => (await messageStatus(messageId))?.status, { timeout: 15_000, interval: 50 })
        .toBe('sent')
    } finally {
      await worker.close()
    }
    expect(mailTo('typo.reader@exmaple.org')).toEqual([])
    expect(mailTo('typo.reader@example.org')).toHaveLength(1)
  })

  it('a mail the server accepted is not sent again when recording it fails; the retry records it', async () => {
    const candidacy = await sourced('recorded.once@example.org')
    const { messageId } = json<{ messageId: string }>(await outreach(candidacy.id, 'art14_notice'), 202)
    // A real failure of the database, once: the first UPDATE that marks this message sent raises
    // (a sequence, unlike a row, keeps counting when the failing transaction rolls back).
    await t.app.db.execute(
      sql.raw(`
      create sequence record_failures;
      create function fail_first_recording() returns trigger language plpgsql as $$
      begin
        if new.status = 'sent' and nextval('record_failures') = 1 then
          raise exception 'the database went away';
        end if;
        return new;
      end $$;
      create trigger fail_first_recording before update on messages for each row
        when (new.id = '${messageId}') execute function fail_first_recording();`),
    )
    try {
      const worker = await t.sibling({ RUN_WORKERS: 'true' })
      await expect
        .poll(async () => (await messageStatus(messageId))?.status, { timeout: 15_000, interval: 50 })
        .toBe('sent')
      await worker.close()
    } finally {
      await t.app.db.execute(
        sql.raw('drop trigger fail_first_recording on messages; drop function fail_first_recording()'),
      )
    }
    const [failures] = await queryRows<{ last_value: string }>(
      t.app.db,
      sql`select last_value from record_failures`,
    )
    // The recording failed once and the second recording went through; the mail went once.
    expect(Number(failures!.last_value)).toBe(2)
    expect(mailTo('recorded.once@example.org')).toHaveLength(1)
    const events = await queryRows<{ type: string; evidence: Record<string, string> }>(
      t.app.db,
      sql`select type, evidence from ledger_events where candidacy_id = ${candidacy.id} order by seq`,
    )
    expect(events.map((event) => event.type)).toEqual(['basis_asserted', 'notice_sent'])
    expect(events[1]!.evidence.message).toBe(messageId)
  })

  it('a job that ran out of attempts after its mail was accepted is added again to record it, not to resend', async () => {
    const candidacy = await sourced('accepted.before@example.org')
    const { messageId } = json<{ messageId: string }>(await outreach(candidacy.id, 'art14_notice'), 202)
    // Every recording attempt failed; the last one is made to fail below.
    await acceptedButUnrecorded(messageId, { attempts: 1 })
    const failing = new Worker(
      'outreach',
      async () => {
        throw new Error('the database went away')
      },
      { connection: createRedis({ url: testRedisUrl() }), prefix: t.config.QUEUE_PREFIX },
    )
    await expect
      .poll(async () => (await t.app.queues.outreach.getJob(messageId))?.isFailed(), {
        timeout: 15_000,
        interval: 50,
      })
      .toBe(true)
    await failing.close()
    t.clock.advance({ minutes: 5 })
    const worker = await t.sibling({ RUN_WORKERS: 'true', RECONCILE_INTERVAL_SECONDS: '1' })
    await expect
      .poll(async () => (await messageStatus(messageId))?.status, { timeout: 15_000, interval: 50 })
      .toBe('sent')
    await worker.close()
    expect(mailTo('accepted.before@example.org')).toEqual([])
    const events = await queryRows<{ type: string }>(
      t.app.db,
      sql`select type from ledger_events where candidacy_id = ${candidacy.id} order by seq`,
    )
    expect(events.map((event) => event.type)).toEqual(['basis_asserted', 'notice_sent'])
  })

  it('a withdrawal while an accepted mail waits to be recorded leaves its job, and the record says it went', async () => {
    const address = 'withdrew.meanwhile@example.org'
    const candidacy = await sourced(address)
    const { messageId } = json<{ messageId: string }>(await outreach(candidacy.id, 'art14_notice'), 202)
    const links = json<{ withdrawUrl: string }>(
      await t.request({
        method: 'POST',
        url: `/candidacies/${candidacy.id}/consent-requests`,
        as: vacancy.recruiter,
      }),
      201,
    )
    // Its retry waits.
    await acceptedButUnrecorded(messageId, { delay: 3_600_000 })
    const withdrawal = await oneClickWithdraw(links.withdrawUrl)
    expect(withdrawal.statusCode).toBe(200)
    const job = await t.app.queues.outreach.getJob(messageId)
    expect(job).toBeDefined()
    await job!.promote()
    const worker = await t.sibling({ RUN_WORKERS: 'true' })
    await expect
      .poll(async () => (await messageStatus(messageId))?.status, { timeout: 15_000, interval: 50 })
      .toBe('sent')
    await worker.close()
    expect(mailTo(address)).toEqual([])
    const events = await queryRows<{ type: string }>(
      t.app.db,
      sql`select type from ledger_events where candidacy_id = ${candidacy.id} order by seq`,
    )
    expect(events.map((event) => event.type)).toEqual([
      'basis_asserted',
      'consent_requested',
      'objection',
      'notice_sent',
    ])
  })

  it('keeps the mail server’s words, which can name the recipient, out of Redis when it retries', async () => {
    const address = 'greylisted.reader@example.org'
    const candidacy = await sourced(address)
    sink.failNext(1, 451, `<${address}> greylisted, try again later`)
    const { messageId } = json<{ messageId: string }>(await outreach(candidacy.id, 'art14_notice'), 202)
    const worker = await t.sibling({ RUN_WORKERS: 'true' })
    await expect
      .poll(async () => (await messageStatus(messageId))?.status, { timeout: 15_000, interval: 50 })
      .toBe('sent')
    await worker.close()
    expect(mailTo(address)).toHaveLength(1)
    const job = await t.app.queues.outreach.getJob(messageId)
    expect(job?.stacktrace?.join('\n')).toMatch(/451/)
    expect(await queueText(t.config.QUEUE_PREFIX)).not.toContain('greylisted')
  })

  it('a refusal the mail server means (5xx) fails the message without retrying', async () => {
    const candidacy = await sourced('refused.reader@example.org')
    sink.failNext(1, 550, 'mailbox unavailable')
    const { messageId } = json<{ messageId: string }>(await outreach(candidacy.id, 'art14_notice'), 202)
    const worker = await t.sibling({ RUN_WORKERS: 'true' })
    await expect
      .poll(async () => (await messageStatus(messageId))?.status, { timeout: 15_000, interval: 50 })
      .toBe('failed')
    await worker.close()
    expect(await messageStatus(messageId)).toEqual({ status: 'failed', status_reason: 'smtp_550' })
    expect((await t.app.queues.outreach.getJob(messageId))?.attemptsMade).toBe(1)
  })

  it('when Redis loses its data while the service runs, the reconciler and the other schedulers come back', async () => {
    const worker = await t.sibling({ RUN_WORKERS: 'true', RECONCILE_INTERVAL_SECONDS: '1' })
    try {
      const schedulers = async () =>
        (await t.app.queues.maintenance.getJobSchedulers()).map((scheduler) => scheduler.key).sort()
      const expected = await schedulers()
      expect(expected).toContain('reconcile-outreach')
      await deleteQueueKeys(t.config.QUEUE_PREFIX)
      expect(await schedulers()).toEqual([])
      await expect
        .poll(async () => (await schedulers()).length, { timeout: 15_000, interval: 50 })
        .toBe(expected.length)
      expect(await schedulers()).toEqual(expected)
    } finally {
      await worker.close()
    }
  })

  it('after Redis loses the queue with 100 messages waiting, the reconciler delivers each exactly once', async () => {
    const addresses: string[] = []
    for (let i = 0; i < 100; i++) {
      const address = `lost-${i}@example.org`
      addresses.push(address)
      const candidacy = await sourced(address)
      json(await outreach(candidacy.id, 'art14_notice'), 202)
    }
    // Only this test file's keys: other files share the Redis server.
    await deleteQueueKeys(t.config.QUEUE_PREFIX)
    expect(await t.app.queues.outreach.getJobCounts('waiting')).toEqual({ waiting: 0 })
    t.clock.advance({ minutes: 5 })
    const worker = await t.sibling({
      RUN_WORKERS: 'true',
      RECONCILE_INTERVAL_SECONDS: '1',
      MAIL_RATE_PER_SECOND: '200',
    })
    await expect
      .poll(() => addresses.every((address) => mailTo(address).length >= 1), {
        timeout: 60_000,
        interval: 50,
      })
      .toBe(true)
    await expect
      .poll(async () => (await t.app.queues.outreach.getJobCounts('waiting', 'active', 'delayed')).waiting, {
        timeout: 15_000,
        interval: 50,
      })
      .toBe(0)
    await worker.close()
    for (const address of addresses) expect(mailTo(address), address).toHaveLength(1)
  }, 90_000)
})
