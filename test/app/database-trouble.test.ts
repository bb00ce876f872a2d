/**
 * The service stays up through database trouble: while recruiters source candidates and the
 * worker sends their mail, PostgreSQL ends every session, or restarts altogether. Every request
 * answers (success, or a 503 problem) within a bound, nothing is left half-written, no mail is
 * lost or sent twice, and the service serves again once PostgreSQL does. The server is one of the
 * test's own (test/helpers/private-postgres.ts), so the other test files never see the outage.
 */
import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDatabase, queryRows } from '../../src/db/client'
import { migrateDatabase } from '../../src/db/migrate'
import { startTestApp, type TestApp } from '../helpers/app'
import { type PrivatePostgres, privatePostgres } from '../helpers/private-postgres'
import { json, type SeededVacancy, seedOpenVacancy, sourcingPayload } from '../helpers/seed'

/** Longer than any request may take with these limits: past it, a request is taken to hang. */
const ANSWER_BOUND_MS = 20_000

let pg: PrivatePostgres
let databaseUrl: string

beforeAll(async () => {
  pg = await privatePostgres()
  const admin = postgres(pg.urlOf('postgres'), { max: 1, onnotice: () => {} })
  await admin`create database candor`
  await admin.end()
  databaseUrl = pg.urlOf('candor')
  const handle = await createDatabase({ url: databaseUrl, dataDir: '' })
  await migrateDatabase(handle)
  await handle.close()
}, 60_000)
afterAll(() => pg?.close())

async function serviceOnPrivateServer(): Promise<TestApp> {
  const t = await startTestApp({
    database: { url: databaseUrl, drop: async () => {} },
    env: {
      RUN_WORKERS: 'true',
      MAIL_TRANSPORT: 'capture',
      MAIL_RETRY_DELAY_MS: '100',
      RECONCILE_INTERVAL_SECONDS: '1',
      RECONCILE_AFTER_SECONDS: '1',
      DATABASE_WAIT_SECONDS: '2',
      DATABASE_POOL_SIZE: '4',
    },
  })
  t.clock.set('2026-03-02T09:00:00Z')
  return t
}

function bounded(answer: Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    answer,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_BOUND_MS} ms`)), ANSWER_BOUND_MS)
    }),
  ]).finally(() => clearTimeout(timer))
}

interface Attempt {
  email: string
  sourcing: number
  candidacyId?: string
  outreach?: number
}

/**
 * Recruiters at work: each of `workers` sources a new candidate and, once that is stored, asks
 * for their Art. 14 notice, again and again until `stop` says so. Every answer must come within
 * the bound and be a success or a 503 problem.
 */
async function recruitersAtWork(
  t: TestApp,
  vacancy: SeededVacancy,
  stop: (attempts: Attempt[]) => boolean,
  onAnswer: (attempts: Attempt[]) => void = () => {},
): Promise<Attempt[]> {
  const attempts: Attempt[] = []
  const expectAnswer = (response: LightMyRequestResponse, ok: number) => {
    if (response.statusCode === ok) return
    expect(response.statusCode, response.body).toBe(503)
    expect(response.json()).toMatchObject({ code: 'database.unavailable' })
  }
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      while (!stop(attempts)) {
        const email = `trouble.${randomUUID()}@example.org`
        const sourcing = await bounded(
          t.request({
            method: 'POST',
            url: `/vacancies/${vacancy.id}/candidacies`,
            as: vacancy.recruiter,
            payload: sourcingPayload({ email }),
          }),
        )
        expectAnswer(sourcing, 201)
        const attempt: Attempt = { email, sourcing: sourcing.statusCode }
        if (sourcing.statusCode === 201) {
          attempt.candidacyId = sourcing.json().id
          const outreach = await bounded(
            t.request({
              method: 'POST',
              url: `/candidacies/${attempt.candidacyId}/outreach`,
              as: vacancy.recruiter,
              payload: { template: 'art14_notice' },
            }),
          )
          expectAnswer(outreach, 202)
          attempt.outreach = outreach.statusCode
        }
        attempts.push(attempt)
        onAnswer(attempts)
      }
    }),
  )
  return attempts
}

/** Each sourcing stored whole or not at all, each mail asked for sent exactly once, the ledger whole. */
async function expectNothingHalfWrittenOrLost(t: TestApp, vacancy: SeededVacancy, attempts: Attempt[]) {
  await vi.waitFor(
    async () => expect((await t.request({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200),
    { timeout: 30_000, interval: 200 },
  )
  for (const attempt of attempts) {
    const [stored] = await queryRows<{
      people: number
      candidacies: number
      facts: number
      genesis: boolean
    }>(
      t.app.db,
      sql`select count(distinct e.person_id)::int as people, count(distinct c.id)::int as candidacies,
            count(distinct f.id)::int as facts, coalesce(bool_or(l.seq = 1), false) as genesis
          from person_emails e
          left join candidacies c on c.person_id = e.person_id
          left join facts f on f.candidacy_id = c.id
          left join ledger_events l on l.candidacy_id = c.id
          where e.normalized = ${attempt.email}`,
    )
    const whole = { people: 1, candidacies: 1, facts: 1, genesis: true }
    const none = { people: 0, candidacies: 0, facts: 0, genesis: false }
    // A 503 may come after the COMMIT went through (its answer was lost): stored whole, then.
    if (attempt.sourcing === 201) expect(stored).toEqual(whole)
    else expect([whole, none]).toContainEqual(stored)
  }
  // Mail: a job that failed while PostgreSQL was away is retried, or queued again by the
  // reconciler once its message has waited long enough (on the service's clock).
  t.clock.advance({ minutes: 5 })
  const asked = attempts.filter((attempt) => attempt.outreach === 202).map((attempt) => attempt.candidacyId!)
  await vi.waitFor(
    async () => {
      const pending = await queryRows<{ n: number }>(
        t.app.db,
        sql`select count(*)::int as n from messages where status in ('queued', 'sending')`,
      )
      expect(pending[0]!.n).toBe(0)
    },
    { timeout: 60_000, interval: 250 },
  )
  const ours = attempts.flatMap((attempt) => (attempt.candidacyId ? [attempt.candidacyId] : []))
  const messages = (
    await queryRows<{ id: string; candidacy_id: string; status: string }>(
      t.app.db,
      sql`select id, candidacy_id, status from messages where candidacy_id is not null`,
    )
  ).filter((message) => ours.includes(message.candidacy_id))
  for (const candidacyId of asked) {
    expect(messages.filter((message) => message.candidacy_id === candidacyId)).toEqual([
      expect.objectContaining({ status: 'sent' }),
    ])
  }
  const captured = t.app.mailer.captured()
  for (const message of messages.filter((row) => row.status === 'sent')) {
    expect(captured.filter((mail) => mail.headers['X-Candor-Message'] === message.id)).toHaveLength(1)
  }
  const verification = json<{ valid: boolean }>(
    await t.request({ method: 'GET', url: '/ledger/verify', as: vacancy.dpo }),
    200,
  )
  expect(verification.valid).toBe(true)
  // And the service serves as before.
  json(
    await t.request({
      method: 'POST',
      url: `/vacancies/${vacancy.id}/candidacies`,
      as: vacancy.recruiter,
      payload: sourcingPayload(),
    }),
    201,
  )
}

describe('database trouble', () => {
  it('PostgreSQL ending every session again and again while recruiters work and mail goes out', async () => {
    const t = await serviceOnPrivateServer()
    try {
      const vacancy = await seedOpenVacancy(t)
      const killer = postgres(pg.urlOf('postgres'), { max: 1, onnotice: () => {} })
      let terminations = 0
      let killing: Promise<unknown> = Promise.resolve()
      const attempts = await recruitersAtWork(
        t,
        vacancy,
        (done) => done.length >= 60,
        (done) => {
          // Every eighth answer, every session of the service's database is ended.
          if (done.length % 8 !== 0) return
          terminations++
          killing = killing.then(
            () =>
              killer`select pg_terminate_backend(pid) from pg_stat_activity
                     where datname = 'candor' and pid <> pg_backend_pid()`,
          )
        },
      )
      await killing
      await killer.end()
      expect(terminations).toBeGreaterThanOrEqual(7)
      // The trouble was felt: some requests met it and said so.
      expect(attempts.some((attempt) => attempt.sourcing === 503 || attempt.outreach === 503)).toBe(true)
      await expectNothingHalfWrittenOrLost(t, vacancy, attempts)
    } finally {
      await t.close()
    }
  }, 180_000)

  it('PostgreSQL restarting while recruiters work and mail goes out', async () => {
    const t = await serviceOnPrivateServer()
    try {
      const vacancy = await seedOpenVacancy(t)
      let phase: 'before' | 'down' | 'after' = 'before'
      let refusedWhileDown = 0
      let storedAfter = 0
      const attempts = await recruitersAtWork(
        t,
        vacancy,
        () => phase === 'after' && storedAfter >= 12,
        (done) => {
          const last = done.at(-1)!
          if (phase === 'before' && done.length >= 12) {
            phase = 'down'
            pg.stop()
          } else if (phase === 'down' && last.sourcing === 503 && ++refusedWhileDown >= 12) {
            phase = 'after'
            pg.start()
          } else if (phase === 'after' && last.sourcing === 201) storedAfter++
        },
      )
      expect(refusedWhileDown).toBeGreaterThanOrEqual(12)
      await expectNothingHalfWrittenOrLost(t, vacancy, attempts)
    } finally {
      await t.close()
    }
  }, 180_000)
})
