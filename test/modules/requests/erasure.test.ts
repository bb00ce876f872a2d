import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { startTestApp, type TestApp } from '../../helpers/app'
import { formTokenOf, json, type SeededVacancy, seedOpenVacancy } from '../../helpers/seed'
import {
  confirmTasksWhenWaiting,
  type ErasureRequest,
  erasedEvents,
  erasureEndState,
  expectErased,
  heldRows,
  someone,
  verifiedErasure,
} from './erasure.fixtures'

let t: TestApp
let vacancy: SeededVacancy
let second: SeededVacancy

beforeAll(async () => {
  // As `npm start` runs: API and workers in one process; mail captured.
  t = await startTestApp({
    env: { RUN_WORKERS: 'true', MAIL_TRANSPORT: 'capture', SPARKPOST_WEBHOOK_AUTH: 'Bearer hook' },
  })
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Erasure Test B.V.' })
  second = await seedOpenVacancy(t, { clientName: 'Second Erasure B.V.' })
})
afterAll(() => t.close())

const selfServiceLink = (address: string) => {
  const mail = t.app.mailer
    .captured()
    .find(
      (item) => item.to.toLowerCase() === address.toLowerCase() && /\/r\/[A-Za-z0-9_-]{43}/.test(item.text),
    )
  return mail!.text.match(/http:\/\/candor\.test(\/r\/[A-Za-z0-9_-]{43})/)![1]!
}

describe('erasure (Art. 17)', () => {
  it('a self-service erasure completes after its manual task is confirmed and leaves no trace', async () => {
    const person = await someone(t, [vacancy, second], '1001')
    const path = selfServiceLink(person.email)
    const page = await t.request({ method: 'GET', url: path })
    expect(page.statusCode).toBe(200)
    const answer = await t.request({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `type=erasure&form=${encodeURIComponent(formTokenOf(page.body))}`,
    })
    expect(answer.statusCode).toBe(200)
    expect(answer.body).toContain('2026')

    const [row] = await queryRows<{ id: string; status: string; verification_method: string; due_at: Date }>(
      t.app.db,
      sql`select id, status, verification_method, due_at from subject_requests where type = 'erasure' order by created_at desc limit 1`,
    )
    expect(row).toMatchObject({ status: 'verified', verification_method: 'self_service_link' })
    // Received 10 February 2026 → due 10 March 2026 (a Tuesday), end of day in Amsterdam.
    expect(new Date(row!.due_at).toISOString()).toBe('2026-03-10T22:59:59.999Z')
    await expect
      .poll(
        () =>
          t.app.mailer.captured().some((mail) => mail.to === person.email && /10 March 2026/.test(mail.text)),
        { timeout: 15_000, interval: 50 },
      )
      .toBe(true)

    const started = json<{ status: string }>(
      await t.request({ method: 'POST', url: `/requests/${row!.id}/complete`, as: vacancy.dpo }),
      200,
    )
    expect(started.status).toBe('in_progress')
    const waiting = await vi.waitFor(
      async () => {
        const current = json<ErasureRequest>(
          await t.request({ method: 'GET', url: `/requests/${row!.id}`, as: vacancy.dpo }),
          200,
        )
        expect(current.currentStep).toBe('tasks')
        return current
      },
      { timeout: 15_000, interval: 50 },
    )
    expect(waiting.tasks).toHaveLength(1)
    expect(waiting.status).toBe('in_progress')
    const confirmed = json<{ tasks: Array<{ confirmedBy: string | null }> }>(
      await t.request({
        method: 'POST',
        url: `/requests/${row!.id}/tasks/${waiting.tasks[0]!.id}/confirm`,
        as: vacancy.dpo,
      }),
      200,
    )
    expect(confirmed.tasks[0]).toMatchObject({ confirmedBy: vacancy.dpo.id })
    await expectErased(t, vacancy, person, row!.id)
  })

  it('an erasure whose transaction fails half-way through deleting finishes when its job runs again, with the end state of an uninterrupted run', async () => {
    // The same kind of person erased without interruption: what the interrupted one must end as.
    const reference = await someone(t, [vacancy, second], '3003')
    const referenceRequest = await verifiedErasure(t, vacancy.dpo, reference)
    json(
      await t.request({ method: 'POST', url: `/requests/${referenceRequest}/complete`, as: vacancy.dpo }),
      200,
    )
    await confirmTasksWhenWaiting(t, vacancy.dpo, referenceRequest)
    await expectErased(t, vacancy, reference, referenceRequest)

    const person = await someone(t, [vacancy, second], '2002')
    const requestId = await verifiedErasure(t, vacancy.dpo, person)
    const before = await heldRows(t, person)
    expect(before.facts).toBeGreaterThan(0)
    expect(before.link_tokens).toBeGreaterThan(0)
    // The erase step deletes tracking events, mail, facts and decisions before link tokens: make
    // PostgreSQL refuse that delete, so the step dies with its work half done.
    await t.app.db.execute(
      sql.raw(`create function test_interrupt_erasure() returns trigger language plpgsql as
               $$ begin raise exception 'test: erasure interrupted while deleting'; end $$;
               create trigger test_interrupt_erasure before delete on link_tokens
               for each statement execute function test_interrupt_erasure()`),
    )
    try {
      json(await t.request({ method: 'POST', url: `/requests/${requestId}/complete`, as: vacancy.dpo }), 200)
      const job = (await t.app.queues.maintenance.getJob(`erasure-${requestId}`))!
      // The worker ran start, cancel_mail and provider, then failed in erase; BullMQ holds the retry.
      await expect.poll(() => job.getState(), { timeout: 15_000, interval: 50 }).toBe('delayed')
      const failed = (await t.app.queues.maintenance.getJob(`erasure-${requestId}`))!
      // It failed where the trigger stands, after the step's earlier deletes had run.
      expect(failed.failedReason).toContain('delete from "link_tokens"')
      const logged = t.logs
        .map((line) => JSON.parse(line))
        .find((line) => line.msg === 'job failed' && line.jobId === `erasure-${requestId}`)
      expect(logged.err.code).toBe('P0001') // raise_exception: our trigger, not some other failure
      expect(failed.attemptsMade).toBe(1)
    } finally {
      await t.app.db.execute(
        sql.raw('drop trigger test_interrupt_erasure on link_tokens; drop function test_interrupt_erasure()'),
      )
    }
    // Nothing of the failed step stayed: no `erased` event, every row still there, the step still to do.
    const [stopped] = await queryRows<{ status: string; current_step: string }>(
      t.app.db,
      sql`select status, current_step from subject_requests where id = ${requestId}`,
    )
    expect(stopped).toEqual({ status: 'in_progress', current_step: 'erase' })
    expect(await erasedEvents(t, person)).toEqual([0, 0])
    expect(await heldRows(t, person)).toEqual(before)

    // Run again: BullMQ's own retry, now rather than after its back-off (unless that already came).
    const retry = (await t.app.queues.maintenance.getJob(`erasure-${requestId}`))!
    if ((await retry.getState()) === 'delayed') await retry.promote()
    await confirmTasksWhenWaiting(t, vacancy.dpo, requestId)
    await expectErased(t, vacancy, person, requestId)
    expect(await erasureEndState(t, vacancy.dpo, person, requestId)).toEqual(
      await erasureEndState(t, vacancy.dpo, reference, referenceRequest),
    )
  })
})
