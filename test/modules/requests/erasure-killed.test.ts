import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { startTestApp, type TestApp } from '../../helpers/app'
import { testRedisUrl } from '../../helpers/databases'
import { freePort, type RunningService, startService } from '../../helpers/process'
import { json, type SeededVacancy, seedOpenVacancy } from '../../helpers/seed'
import {
  confirmTasksWhenWaiting,
  erasedEvents,
  erasureEndState,
  expectErased,
  heldRows,
  someone,
  verifiedErasure,
} from './erasure.fixtures'

/**
 * "An erasure killed mid-way (test kills the worker) completes when run again, with the same end
 * state." The API runs here without workers; the only worker is a process of its own, which the
 * test kills with SIGKILL while its erase transaction is deleting the person's data.
 */

let t: TestApp
let vacancy: SeededVacancy
let second: SeededVacancy
const workers: RunningService[] = []

async function startWorker(): Promise<RunningService> {
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: t.databaseUrl,
    DATABASE_POOL_SIZE: '5',
    DB_MIGRATE_ON_START: 'false',
    DATA_DIR: t.config.DATA_DIR,
    QUEUE_PREFIX: t.config.QUEUE_PREFIX,
    REDIS_URL: testRedisUrl(),
    LOG_LEVEL: 'warn',
    PUBLIC_BASE_URL: t.config.publicBaseUrl,
    MAIL_TRANSPORT: 'capture',
    JWT_SECRET: t.config.JWT_SECRET!,
    SERVER_SECRET: t.config.SERVER_SECRET,
    FIELD_ENCRYPTION_KEYS: t.config.FIELD_ENCRYPTION_KEYS,
    TEST_CLOCK: t.clock.now().toISOString(),
  }
  const worker = await startService('test/modules/requests/worker-process.ts', env, await freePort())
  workers.push(worker)
  // Stops waiting as soon as the process is gone: its output then says why.
  const exited = await vi.waitFor(
    () => {
      if (worker.child.exitCode !== null) return true
      expect(worker.output()).toContain('workers ready')
      return false
    },
    { timeout: 30_000, interval: 50 },
  )
  if (exited) throw new Error(`worker exited:\n${worker.output()}`)
  return worker
}

beforeAll(async () => {
  t = await startTestApp({
    env: { RUN_WORKERS: 'false', MAIL_TRANSPORT: 'capture', SPARKPOST_WEBHOOK_AUTH: 'Bearer hook' },
  })
  // The worker process gets this time as its clock; nothing here moves it.
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Killed Worker B.V.' })
  second = await seedOpenVacancy(t, { clientName: 'Second Killed B.V.' })
})
afterAll(async () => {
  for (const worker of workers) await worker.stop()
  await t?.close()
})

const complete = async (requestId: string) =>
  json(await t.request({ method: 'POST', url: `/requests/${requestId}/complete`, as: vacancy.dpo }), 200)

describe('erasure in a worker process', () => {
  it('a worker killed (SIGKILL) while its erase transaction deletes: run again, the erasure completes with the end state of an uninterrupted run', async () => {
    let worker = await startWorker()
    // The same kind of person, erased by the same worker without interruption.
    const reference = await someone(t, [vacancy, second], '3003')
    const referenceRequest = await verifiedErasure(t, vacancy.dpo, reference)
    await complete(referenceRequest)
    await confirmTasksWhenWaiting(t, vacancy.dpo, referenceRequest)
    await expectErased(t, vacancy, reference, referenceRequest)

    const person = await someone(t, [vacancy, second], '2002')
    const requestId = await verifiedErasure(t, vacancy.dpo, person)
    const before = await heldRows(t, person)
    expect(before).toMatchObject({ people: 1, person_emails: 1, candidacies_with_person: 2 })
    expect(before.facts).toBeGreaterThan(0)
    expect(before.tracking_events).toBeGreaterThan(0)

    // The erase step deletes link tokens after tracking events, mail, facts and decisions. Holding
    // the person's link tokens makes the worker wait there, inside its transaction, to be killed.
    const blocker = postgres(t.databaseUrl, { max: 1, onnotice: () => {} })
    let backend = 0
    try {
      await blocker.begin(async (session) => {
        const held = await session`select id from link_tokens
                                   where candidacy_id in ${session(person.candidacyIds)} for update`
        expect(held.length).toBeGreaterThan(0)
        await complete(requestId)
        // The worker's backend, waiting for our transaction.
        backend = await vi.waitFor(
          async () => {
            const [row] = await session<Array<{ pid: number }>>`
              select pid from pg_stat_activity where pg_backend_pid() = any(pg_blocking_pids(pid))`
            expect(row).toBeDefined()
            return row!.pid
          },
          { timeout: 15_000, interval: 50 },
        )
        const locks = await session<
          Array<{ locktype: string; name: string; mode: string; granted: boolean }>
        >`
          select locktype, relation::regclass::text as name, mode, granted from pg_locks where pid = ${backend}`
        // It waits to delete a link token row (a tuple lock on link_tokens, the wait on our transaction)…
        expect(locks).toEqual(
          expect.arrayContaining([
            { locktype: 'tuple', name: 'link_tokens', mode: 'AccessExclusiveLock', granted: true },
            { locktype: 'transactionid', name: null, mode: 'ShareLock', granted: false },
          ]),
        )
        // …mid-way: its transaction has already written to these tables (`erased` events, chain
        // heads) and deleted from these (provider events, mail, facts, decisions).
        const written = locks
          .filter((lock) => lock.locktype === 'relation' && lock.mode === 'RowExclusiveLock' && lock.granted)
          .map((lock) => lock.name)
        expect(written).toEqual(
          expect.arrayContaining([
            'ledger_events',
            'candidacies',
            'tracking_events',
            'messages',
            'facts',
            'stage_changes',
          ]),
        )
        const [step] = await session`select current_step from subject_requests where id = ${requestId}`
        expect(step!.current_step).toBe('erase')
        const killed = new Promise((resolve) => worker.child.once('exit', (_code, signal) => resolve(signal)))
        worker.child.kill('SIGKILL')
        expect(await killed).toBe('SIGKILL')
      })
    } finally {
      await blocker.end()
    }
    // Its client gone, PostgreSQL ends the backend and rolls the half-done step back.
    await vi.waitFor(
      async () => {
        const [row] = await queryRows<{ n: number }>(
          t.app.db,
          sql`select count(*)::int as n from pg_stat_activity where pid = ${backend}`,
        )
        expect(row!.n).toBe(0)
      },
      { timeout: 15_000, interval: 50 },
    )
    const [stopped] = await queryRows<{ status: string; current_step: string }>(
      t.app.db,
      sql`select status, current_step from subject_requests where id = ${requestId}`,
    )
    expect(stopped).toEqual({ status: 'in_progress', current_step: 'erase' })
    expect(await erasedEvents(t, person)).toEqual([0, 0])
    expect(await heldRows(t, person)).toEqual(before)

    // A new worker process; the job runs again (BullMQ would also re-run the killed one once its
    // lock expires, 30 seconds on; the test does not wait for that).
    worker = await startWorker()
    await t.app.queues.maintenance.add('erasure', { requestId }, { jobId: `erasure-again-${requestId}` })
    await confirmTasksWhenWaiting(t, vacancy.dpo, requestId)
    await expectErased(t, vacancy, person, requestId)
    expect(await erasureEndState(t, vacancy.dpo, person, requestId)).toEqual(
      await erasureEndState(t, vacancy.dpo, reference, referenceRequest),
    )
  }, 90_000)
})
