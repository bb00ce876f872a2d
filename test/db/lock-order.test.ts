/**
 * Row locks are taken in one order everywhere: a vacancy that changes, then candidacies (in id
 * order), then the person, then messages and other child rows. Each test meets a transaction of the service with another one
 * held open in the middle (`meetHeldTransaction`).
 */
import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../src/db/client'
import { suppressionHash } from '../../src/lib/email-address'
import { runRetention } from '../../src/modules/retention/retention.service'
import { startTestApp, type TestApp } from '../helpers/app'
import { meetHeldTransaction } from '../helpers/locks'
import { json, type SeededVacancy, seedOpenVacancy, sourceCandidate, sourcingPayload } from '../helpers/seed'

let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp({ env: { MAIL_TRANSPORT: 'capture' } })
  t.clock.set('2026-03-02T09:00:00Z')
  vacancy = await seedOpenVacancy(t)
})
afterAll(() => t.close())

const sourced = (email: string, into: SeededVacancy = vacancy) => sourceCandidate(t, into, { email })

const dpo = (url: string, payload?: Record<string, unknown>) =>
  t.request({ method: 'POST', url, as: vacancy.dpo, ...(payload ? { payload } : {}) })

/** A restriction request of the person, verified: ready to be completed. */
async function verifiedRestriction(email: string): Promise<{ id: string }> {
  const request = json<{ id: string }>(
    await dpo('/requests', {
      type: 'restriction',
      email,
      receivedAt: '2026-03-01T09:00:00Z',
      channel: 'email',
    }),
    201,
  )
  json(await dpo(`/requests/${request.id}/verify`, { method: 'asked back by mail' }), 200)
  return request
}

describe('lock order', () => {
  it('completing a restriction waits for a candidacy held by the mail worker instead of deadlocking', async () => {
    const email = 'held.twice@example.org'
    const candidacy = await sourced(email)
    const request = await verifiedRestriction(email)
    // The worker's order: the candidacy (with the message), then the person.
    const completed = await meetHeldTransaction(t, {
      hold: (tx) => tx`select id from candidacies where id = ${candidacy.id} for update`,
      start: () => dpo(`/requests/${request.id}/complete`),
      closeCycle: (tx) => tx`select id from people where id = ${candidacy.person.id} for update`,
    })
    expect(completed.statusCode).toBe(200)
    const [person] = await queryRows<{ restricted: boolean }>(
      t.app.db,
      sql`select restricted_at is not null as restricted from people where id = ${candidacy.person.id}`,
    )
    expect(person).toEqual({ restricted: true })
  })

  /**
   * Sources a person into a second vacancy while `hold` (what completing a request does to them)
   * is held open; returns the answer and the person's candidacies afterwards.
   */
  async function sourcedAgainWhile(
    email: string,
    hold: (tx: postgres.TransactionSql, personId: string) => Promise<unknown>,
  ) {
    const first = await sourced(email)
    const other = await seedOpenVacancy(t, { clientName: `Second Look ${email}` })
    const answer = await meetHeldTransaction(t, {
      hold: (tx) => hold(tx, first.person.id),
      start: () =>
        t.request({
          method: 'POST',
          url: `/vacancies/${other.id}/candidacies`,
          as: other.recruiter,
          payload: sourcingPayload({ email }),
        }),
    })
    const rows = await queryRows<{ id: string }>(
      t.app.db,
      sql`select id from candidacies where person_id = ${first.person.id}`,
    )
    return { first, answer, candidacyIds: rows.map((row) => row.id) }
  }

  it('a person sourced again while their restriction is being completed is refused once it commits, storing nothing', async () => {
    // What completing a restriction does to the person, not yet committed.
    const { first, answer, candidacyIds } = await sourcedAgainWhile(
      'restricted.meanwhile@example.org',
      (tx, personId) => tx`update people set restricted_at = now() where id = ${personId}`,
    )
    expect(answer.json()).toMatchObject({ status: 409, code: 'person.restricted' })
    expect(candidacyIds).toEqual([first.id])
  })

  it('a person sourced again while their objection is being completed is refused once the suppression commits', async () => {
    const email = 'objecting.meanwhile@example.org'
    // What completing an objection does: the person locked, then the address suppressed.
    const { first, answer, candidacyIds } = await sourcedAgainWhile(email, async (tx, personId) => {
      await tx`select id from people where id = ${personId} for update`
      await tx`insert into suppressions (address_hash, reason, created_at)
               values (${suppressionHash(email, t.config.SERVER_SECRET)}, 'objection', now())`
    })
    expect(answer.json()).toMatchObject({ status: 409, code: 'sourcing.suppressed' })
    expect(candidacyIds).toEqual([first.id])
  })

  /**
   * A sourcing of the person into `into` past its checks: the person's lock shared, the new
   * candidacy inserted, not yet committed (a consent vacancy's sourcing appends no event).
   */
  const sourcingPastItsChecks = (
    tx: postgres.TransactionSql,
    personId: string,
    into: SeededVacancy,
    candidacyId: string,
  ) =>
    tx`select id from people where id = ${personId} for share`.then(
      () => tx`insert into candidacies (id, person_id, vacancy_id, source_type, obtained_at, sourced_by, notice_status,
                 stage_changed_at, ledger_seq, ledger_head, created_at, updated_at)
               values (${candidacyId}, ${personId}, ${into.id}, 'linkedin', now(), ${into.recruiter.id},
                 'pending', now(), 0, ${'0'.repeat(64)}, now(), now())`,
    )

  it('a restriction completed while the person is being sourced again reaches the new candidacy too', async () => {
    const email = 'sourced.meanwhile@example.org'
    const candidacy = await sourced(email)
    const other = await seedOpenVacancy(t, { clientName: 'Meanwhile Client' })
    const request = await verifiedRestriction(email)
    const secondId = randomUUID()
    const completed = await meetHeldTransaction(t, {
      hold: (tx) => sourcingPastItsChecks(tx, candidacy.person.id, other, secondId),
      start: () => dpo(`/requests/${request.id}/complete`),
    })
    expect(completed.statusCode).toBe(200)
    const events = await queryRows<{ candidacy_id: string }>(
      t.app.db,
      sql`select candidacy_id from ledger_events where type = 'restricted' and candidacy_id in (${candidacy.id}, ${secondId})`,
    )
    expect(events.map((event) => event.candidacy_id).sort()).toEqual([candidacy.id, secondId].sort())
  })

  it('a retention run that meets the person being sourced again keeps the person, erasing only the expired candidacy', async () => {
    const email = 'expired.meanwhile@example.org'
    const expiring = await seedOpenVacancy(t, { clientName: 'Long Closed Client' })
    const other = await seedOpenVacancy(t, { clientName: 'Fresh Look Client' })
    const expired = await sourced(email, expiring)
    // Closed a year ago: far past its retention period, the person has no other candidacy.
    const closedAt = new Date(t.clock.now().getTime() - 365 * 86_400_000)
    await t.app.db.execute(
      sql`update vacancies set status = 'closed', closed_at = ${closedAt.toISOString()} where id = ${expiring.id}`,
    )
    const secondId = randomUUID()
    const result = await meetHeldTransaction(t, {
      hold: (tx) => sourcingPastItsChecks(tx, expired.person.id, other, secondId),
      start: () => runRetention(t.app.services),
    })
    expect(result.plan.find((item) => item.personId === expired.person.id)?.wholePerson).toBe(true)
    const rows = await queryRows<{ id: string; person_id: string | null }>(
      t.app.db,
      sql`select id, person_id from candidacies where id in (${expired.id}, ${secondId}) order by id = ${secondId}`,
    )
    expect(rows).toEqual([
      { id: expired.id, person_id: null },
      { id: secondId, person_id: expired.person.id },
    ])
    const people = await queryRows<{ id: string }>(
      t.app.db,
      sql`select id from people where id = ${expired.person.id}`,
    )
    expect(people).toHaveLength(1)
  })

  it('a sourcing that meets a vacancy closing waits for the close and is then refused, storing nothing', async () => {
    const closing = await seedOpenVacancy(t, { clientName: 'Last Minute Client' })
    const count = async () =>
      Number(
        (
          await queryRows<{ n: string }>(
            t.app.db,
            sql`select count(*) as n from candidacies where vacancy_id = ${closing.id}`,
          )
        )[0]!.n,
      )
    // A close under way: the vacancy's lock taken and its status changed, not yet committed.
    const sourcing = await meetHeldTransaction(t, {
      hold: (tx) => tx`update vacancies set status = 'closed', closed_at = now() where id = ${closing.id}`,
      start: () =>
        t.request({
          method: 'POST',
          url: `/vacancies/${closing.id}/candidacies`,
          as: closing.recruiter,
          payload: sourcingPayload({ email: 'just.too.late@example.org' }),
        }),
    })
    expect(sourcing.json()).toMatchObject({ status: 409, code: 'vacancy.not_open' })
    expect(await count()).toBe(0)
  })

  it('a special-category fact added while the vacancy closes waits for the close instead of deadlocking', async () => {
    const closing = await seedOpenVacancy(t, { clientName: 'Sensitive Client' })
    const candidacy = await sourced('public.speaker@example.org', closing)
    // What a close does: the vacancy's lock, then its candidacies (to start their clocks).
    const added = await meetHeldTransaction(t, {
      hold: (tx) => tx`select id from vacancies where id = ${closing.id} for no key update`,
      start: () =>
        t.request({
          method: 'POST',
          url: `/candidacies/${candidacy.id}/facts`,
          as: closing.recruiter,
          payload: {
            facts: [
              {
                kind: 'note',
                value: 'Speaks publicly as a union representative',
                source: {
                  type: 'website',
                  url: 'https://example.org/talks',
                  collectedAt: '2026-03-01T10:00:00Z',
                },
                special: { category: 'union_membership', basis: 'manifestly_public' },
              },
            ],
          },
        }),
      // Had the fact's transaction locked the candidacy before the vacancy, this would deadlock.
      closeCycle: (tx) => tx`select id from candidacies where id = ${candidacy.id} for update`,
    })
    expect(added.statusCode).toBeLessThan(300)
    const view = json<{ dpiaReasons: string[] }>(
      await t.request({ method: 'GET', url: `/vacancies/${closing.id}`, as: closing.recruiter }),
      200,
    )
    expect(view.dpiaReasons).toEqual(['special_categories'])
  })

  it('closing a vacancy lets a withdrawal that holds one of its candidacies append to the ledger', async () => {
    const closing = await seedOpenVacancy(t, { clientName: 'Closing Client' })
    const candidacy = await sourced('leaving.now@example.org', closing)
    // A withdrawal holds the candidacy, and its ledger event's foreign key share-locks the vacancy.
    const closed = await meetHeldTransaction(t, {
      hold: (tx) => tx`select id from candidacies where id = ${candidacy.id} for update`,
      start: () =>
        t.request({
          method: 'PATCH',
          url: `/vacancies/${closing.id}`,
          as: closing.recruiter,
          payload: { status: 'closed' },
        }),
      closeCycle: (tx) => tx`select id from vacancies where id = ${closing.id} for key share`,
    })
    expect(closed.statusCode).toBe(200)
    const [row] = await queryRows<{ clocked: boolean }>(
      t.app.db,
      sql`select retain_until is not null as clocked from candidacies where id = ${candidacy.id}`,
    )
    expect(row).toEqual({ clocked: true })
  })
})
