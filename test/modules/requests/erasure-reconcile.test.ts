import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { reconcileErasures, runErasure } from '../../../src/modules/requests/erasure.service'
import { startTestApp, type TestApp, type TestUser } from '../../helpers/app'
import { json, type SeededVacancy, seedOpenVacancy, sourceCandidate } from '../../helpers/seed'
import { type Someone, verifiedErasure } from './erasure.fixtures'

// The one-month deadline must not hang on a lost job: no worker runs here, so the test decides
// when jobs run, and Redis "loses" the erasure's job by having it removed.
let t: TestApp
let vacancy: SeededVacancy
let dpo: TestUser

beforeAll(async () => {
  t = await startTestApp({ env: { RUN_WORKERS: 'false', MAIL_TRANSPORT: 'capture' } })
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Reconcile Erasure B.V.' })
  dpo = vacancy.dpo
})
afterAll(() => t.close())

const minutes = (n: number) => n * 60_000
const later = (ms: number) => t.clock.set(new Date(t.clock.now().getTime() + ms))
const step = async (id: string) =>
  (
    await queryRows<{ current_step: string }>(
      t.app.db,
      sql`select current_step from subject_requests where id = ${id}`,
    )
  )[0]!.current_step

describe('erasures whose job was lost', () => {
  it('are queued again once nothing moved them for a while, once, and not while they wait on manual tasks', async () => {
    const email = 'lost.job@example.org'
    await sourceCandidate(t, vacancy, { email })
    const requestId = await verifiedErasure(t, dpo, { email } as Someone)
    json(await t.request({ method: 'POST', url: `/requests/${requestId}/complete`, as: dpo }), 200)
    const jobId = `erasure-${requestId}`
    expect(await t.app.queues.maintenance.getJob(jobId)).toBeDefined()

    // Redis loses the job before any worker took it.
    await t.app.queues.maintenance.remove(jobId)
    expect(await t.app.queues.maintenance.getJob(jobId)).toBeUndefined()

    // Too recent to call stuck: nothing happens.
    expect(await reconcileErasures(t.app.services, { olderThanMs: minutes(2) })).toEqual({
      checked: 0,
      requeued: 0,
    })
    later(minutes(3))
    expect(await reconcileErasures(t.app.services, { olderThanMs: minutes(2) })).toEqual({
      checked: 1,
      requeued: 1,
    })
    const job = await t.app.queues.maintenance.getJob(jobId)
    expect(job?.data).toEqual({ requestId })
    // Its job is waiting now: a second pass leaves it alone.
    expect(await reconcileErasures(t.app.services, { olderThanMs: minutes(2) })).toEqual({
      checked: 1,
      requeued: 0,
    })

    // The job runs (as a worker would) and stops at the manual tasks: waiting on people is not stuck.
    await t.app.queues.maintenance.remove(jobId)
    expect(await runErasure(t.app.services, requestId)).toBe('tasks')
    expect(await step(requestId)).toBe('tasks')
    later(minutes(30))
    expect(await reconcileErasures(t.app.services, { olderThanMs: minutes(2) })).toEqual({
      checked: 0,
      requeued: 0,
    })
  })
})
