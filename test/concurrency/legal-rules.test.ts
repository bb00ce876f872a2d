/**
 * Every legal rule that is a check followed by a write, under concurrency: many requests at one
 * rule at once, through the HTTP layer (`inject` in parallel, each request its own transaction),
 * and an outcome that some serial order of the same requests would give. The README's table
 * "What guards each rule" names the mechanism each of these proves.
 */
import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { queryRows } from '../../src/db/client'
import { startTestApp, type TestApp } from '../helpers/app'
import {
  grantConsent,
  json,
  linkToken,
  type SeededVacancy,
  seedOpenVacancy,
  sourceCandidate,
  sourcingPayload,
} from '../helpers/seed'
import { findTraces } from '../helpers/traces'

let t: TestApp

beforeAll(async () => {
  // No workers: a mail queued in a race stays where the race left it. The erasure test starts one.
  t = await startTestApp({ env: { MAIL_TRANSPORT: 'capture', DATABASE_POOL_SIZE: '8' } })
  t.clock.set('2026-03-02T09:00:00Z')
})
afterAll(() => t.close())

type Send = () => Promise<LightMyRequestResponse>

/** Fires every request at once, in a shuffled order, and waits for all the answers. */
function atOnce(requests: Send[]): Promise<LightMyRequestResponse[]> {
  const order = requests.map((_, index) => index).sort(() => Math.random() - 0.5)
  const answers: Promise<LightMyRequestResponse>[] = new Array(requests.length)
  for (const index of order) answers[index] = requests[index]!()
  return Promise.all(answers)
}

const turn = async () => {
  for (let n = 0; n < 20; n++) await Promise.resolve()
}

/**
 * Pairs of requests, the second of each fired `k` event-loop turns after the first for the k-th
 * pair: across the pairs it meets the first at every point of its transaction, not only at its
 * start (requests of different routes take different times to reach the database).
 */
async function staggered(
  pairs: Array<[Send, Send]>,
): Promise<Array<[LightMyRequestResponse, LightMyRequestResponse]>> {
  return Promise.all(
    pairs.map(async ([first, second], k) => {
      const answer = first()
      for (let n = 0; n < k; n++) await turn()
      return Promise.all([answer, second()])
    }),
  )
}

/** Each answer's status and problem code, e.g. `201` or `409 vacancy.dpia_required`. */
const outcome = (response: LightMyRequestResponse) =>
  response.statusCode < 300
    ? String(response.statusCode)
    : `${response.statusCode} ${(response.json() as { code?: string }).code}`

const rows = <Row>(query: ReturnType<typeof sql>) => queryRows<Row>(t.app.db, query)

const ledgerOf = async (candidacyId: string) =>
  (
    await rows<{ type: string }>(
      sql`select type from ledger_events where candidacy_id = ${candidacyId} order by seq`,
    )
  ).map((row) => row.type)

const source = (into: SeededVacancy, payload: ReturnType<typeof sourcingPayload>) => () =>
  t.request({ method: 'POST', url: `/vacancies/${into.id}/candidacies`, as: into.recruiter, payload })

const dpoPost = (vacancy: SeededVacancy, url: string, payload?: Record<string, unknown>) =>
  t.request({ method: 'POST', url, as: vacancy.dpo, ...(payload ? { payload } : {}) })

/** A request of the person's, registered and verified by the DPO: ready to be completed. */
async function verifiedRequest(vacancy: SeededVacancy, type: string, email: string): Promise<string> {
  const request = json<{ id: string }>(
    await dpoPost(vacancy, '/requests', {
      type,
      email,
      receivedAt: '2026-03-01T09:00:00Z',
      channel: 'email',
    }),
    201,
  )
  json(await dpoPost(vacancy, `/requests/${request.id}/verify`, { method: 'asked back by mail' }), 200)
  return request.id
}

describe('legal rules under concurrency', () => {
  it('Art. 35: of twelve special-category sourcings at once into a vacancy without a DPIA, one goes in', async () => {
    const vacancy = await seedOpenVacancy(t, { clientName: 'DPIA Gate B.V.' })
    const collectedAt = '2026-02-01T10:00:00Z'
    const special = (n: number) =>
      sourcingPayload({
        facts: [
          {
            kind: 'note',
            value: `Speaks for the union, post ${n}`,
            special: { category: 'union_membership', basis: 'manifestly_public' },
            source: { type: 'website', url: `https://union.example/${n}`, collectedAt },
          },
        ],
      })
    const ordinary = Array.from({ length: 6 }, () => source(vacancy, sourcingPayload()))
    const specials = Array.from({ length: 12 }, (_, n) => source(vacancy, special(n)))
    const answers = await atOnce([...ordinary, ...specials])

    // Serially: ordinary sourcings before the first special one go in; the first special one
    // flags the vacancy, and everything after it waits for the DPIA.
    const specialOutcomes = answers.slice(6).map(outcome)
    expect(specialOutcomes.filter((answer) => answer === '201')).toHaveLength(1)
    expect(specialOutcomes.filter((answer) => answer !== '201')).toEqual(
      Array(11).fill('409 vacancy.dpia_required'),
    )
    for (const answer of answers.slice(0, 6))
      expect(['201', '409 vacancy.dpia_required']).toContain(outcome(answer))
    const [state] = await rows<{ reasons: string[]; candidacies: number; special: number }>(sql`
      select v.dpia_reasons::text[] as reasons,
        (select count(*)::int from candidacies c where c.vacancy_id = v.id) as candidacies,
        (select count(*)::int from facts f join candidacies c on c.id = f.candidacy_id
          where c.vacancy_id = v.id and f.special_category is not null) as special
      from vacancies v where v.id = ${vacancy.id}`)
    expect(state).toEqual({
      reasons: ['special_categories'],
      candidacies: answers.filter((answer) => answer.statusCode === 201).length,
      special: 1,
    })
  })

  it('Art. 7: an introduction racing a withdrawal goes through only if it came first', async () => {
    const vacancy = await seedOpenVacancy(t, { clientName: 'Consent First B.V.' })
    const consenting = []
    for (let n = 0; n < 16; n++) {
      const candidacy = await sourceCandidate(t, vacancy)
      consenting.push({ id: candidacy.id, links: await grantConsent(t, candidacy.id) })
    }
    const withdraw = (url: string) => () =>
      t.request({
        method: 'POST',
        url: `/w/${linkToken(url)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      })
    const introduce = (id: string) => () =>
      t.request({
        method: 'POST',
        url: `/candidacies/${id}/introduce`,
        as: vacancy.recruiter,
        payload: { reason: 'Strong match' },
      })
    // Half the pairs start with the withdrawal, half with the introduction.
    const half = consenting.length / 2
    const answers = [
      ...(await staggered(
        consenting.slice(0, half).map(({ id, links }) => [withdraw(links.withdrawUrl), introduce(id)]),
      )),
      ...(
        await staggered(
          consenting.slice(half).map(({ id, links }) => [introduce(id), withdraw(links.withdrawUrl)]),
        )
      ).map(([introduction, withdrawal]) => [withdrawal, introduction] as const),
    ]
    for (const [index, { id }] of consenting.entries()) {
      const [withdrawal, introduction] = answers[index]!
      expect(withdrawal.statusCode).toBe(200)
      expect(['200', '409 consent.required', '409 candidacy.ended']).toContain(outcome(introduction))
      const ledger = await ledgerOf(id)
      // The chain is the serial order: an introduction is in it only before the withdrawal.
      const withdrawn = ledger.indexOf('consent_withdrawn')
      expect(withdrawn).toBeGreaterThan(0)
      if (outcome(introduction) === '200') expect(ledger.indexOf('introduced')).toBe(withdrawn - 1)
      else expect(ledger).not.toContain('introduced')
    }
  })

  it('Art. 18: nothing is done with a person once their restriction commits, however close the race', async () => {
    const vacancies = [
      await seedOpenVacancy(t, { clientName: 'Restricted One B.V.' }),
      await seedOpenVacancy(t, { clientName: 'Restricted Two B.V.' }),
    ]
    const later = await seedOpenVacancy(t, { clientName: 'Restricted Later B.V.' })
    const email = `restricted.${randomUUID().slice(0, 8)}@example.org`
    const candidacies: Array<{ id: string; facts: Array<{ id: string }> }> = []
    for (const vacancy of vacancies) {
      candidacies.push(
        await sourceCandidate<{ id: string; facts: Array<{ id: string }> }>(t, vacancy, { email }),
      )
    }
    const requestId = await verifiedRequest(vacancies[0]!, 'restriction', email)
    const [first] = vacancies

    const uses = candidacies.flatMap((candidacy, index) => {
      const vacancy = vacancies[index]!
      return Array.from({ length: 4 }, (_, n) => [
        () =>
          t.request({
            method: 'PATCH',
            url: `/candidacies/${candidacy.id}/facts/${candidacy.facts[0]!.id}`,
            as: vacancy.recruiter,
            payload: { value: `Rectified ${n}` },
          }),
        () =>
          t.request({
            method: 'POST',
            url: `/candidacies/${candidacy.id}/outreach`,
            as: vacancy.recruiter,
            payload: { template: n % 2 ? 'art14_notice' : 'consent_request' },
          }),
      ]).flat()
    })
    const sourcings = Array.from({ length: 4 }, () => source(later, sourcingPayload({ email })))
    const answers = await atOnce([
      () => dpoPost(first!, `/requests/${requestId}/complete`),
      ...uses,
      ...sourcings,
    ])
    expect(answers[0]!.statusCode).toBe(200)
    for (const answer of answers.slice(1, 1 + uses.length)) {
      expect(['200', '202', '409 person.restricted']).toContain(outcome(answer))
    }
    for (const answer of answers.slice(1 + uses.length)) {
      expect(['201', '409 person.restricted', '409 candidacy.exists']).toContain(outcome(answer))
    }
    // Serially, whatever went in before the restriction was reached by it: every candidacy of the
    // person says `restricted`, and nothing was rectified after it.
    const held = await rows<{ id: string }>(
      sql`select c.id from candidacies c join person_emails e on e.person_id = c.person_id
          where e.normalized = ${email}`,
    )
    expect(held.length).toBe(2 + answers.slice(1 + uses.length).filter((a) => a.statusCode === 201).length)
    for (const { id } of held) {
      const ledger = await ledgerOf(id)
      const restricted = ledger.indexOf('restricted')
      expect(restricted, `candidacy ${id}: ${ledger.join(', ')}`).toBeGreaterThan(0)
      expect(ledger.slice(restricted + 1)).not.toContain('rectified')
    }
    // A mail queued before the restriction was cancelled by it; none was queued after it.
    const mail = await rows<{ status: string; reason: string | null }>(sql`
      select status, status_reason as reason from messages
      where candidacy_id in (select c.id from candidacies c join person_emails e on e.person_id = c.person_id
                             where e.normalized = ${email})`)
    expect(mail.length > 0).toBe(answers.some((answer) => answer.statusCode === 202))
    expect(mail.filter((row) => row.status !== 'cancelled' || row.reason !== 'restricted')).toEqual([])
  })

  it('Art. 21: sourcings racing an objection are refused once it commits, or stopped by it', async () => {
    const vacancy = await seedOpenVacancy(t, { clientName: 'Objection Before B.V.' })
    const others = [
      await seedOpenVacancy(t, { clientName: 'Objection Other One B.V.' }),
      await seedOpenVacancy(t, { clientName: 'Objection Other Two B.V.' }),
      await seedOpenVacancy(t, { clientName: 'Objection Other Three B.V.' }),
    ]
    const email = `objecting.${randomUUID().slice(0, 8)}@example.org`
    await sourceCandidate(t, vacancy, { email })
    const requestId = await verifiedRequest(vacancy, 'objection', email)
    const sourcings = others.flatMap((other) =>
      Array.from({ length: 3 }, () => source(other, sourcingPayload({ email }))),
    )
    const answers = await atOnce([() => dpoPost(vacancy, `/requests/${requestId}/complete`), ...sourcings])
    expect(answers[0]!.statusCode).toBe(200)
    for (const answer of answers.slice(1)) {
      expect(['201', '409 sourcing.suppressed', '409 candidacy.exists']).toContain(outcome(answer))
    }
    // Serially, a sourcing before the objection made a candidacy the objection then ended: no
    // legitimate-interest candidacy of the person is left live.
    const stages = await rows<{ stage: string }>(sql`
      select c.stage from candidacies c join person_emails e on e.person_id = c.person_id
      where e.normalized = ${email}`)
    expect(stages.length).toBe(1 + answers.slice(1).filter((answer) => answer.statusCode === 201).length)
    expect(stages.every((row) => row.stage === 'objected')).toBe(true)
  })

  it('no sourcing lands in a vacancy once it is closed: every candidacy has its retention clock', async () => {
    const vacancy = await seedOpenVacancy(t, { clientName: 'Closing Time B.V.' })
    const answers = await atOnce([
      () =>
        t.request({
          method: 'PATCH',
          url: `/vacancies/${vacancy.id}`,
          as: vacancy.recruiter,
          payload: { status: 'closed' },
        }),
      ...Array.from({ length: 15 }, () => source(vacancy, sourcingPayload())),
    ])
    expect(answers[0]!.statusCode).toBe(200)
    for (const answer of answers.slice(1)) expect(['201', '409 vacancy.not_open']).toContain(outcome(answer))
    const clocks = await rows<{ clocked: boolean }>(
      sql`select retain_until is not null as clocked from candidacies where vacancy_id = ${vacancy.id}`,
    )
    expect(clocks.length).toBe(answers.filter((answer) => answer.statusCode === 201).length)
    expect(clocks.every((row) => row.clocked)).toBe(true)
  })

  it('Art. 17: no sourcing survives an erasure, however close the race', async () => {
    const vacancy = await seedOpenVacancy(t, { clientName: 'Erased Before B.V.' })
    const others: SeededVacancy[] = []
    for (let n = 0; n < 12; n++)
      others.push(await seedOpenVacancy(t, { clientName: `Erased Other ${n} B.V.` }))
    const email = `erased.${randomUUID().slice(0, 8)}@example.org`
    const fullName = `Erasable ${randomUUID().slice(0, 8)} Person`
    await sourceCandidate(t, vacancy, { email, fullName })
    const requestId = await verifiedRequest(vacancy, 'erasure', email)
    // A worker, so the erasure's first step (which suppresses the address) runs in the race.
    await t.sibling({ RUN_WORKERS: 'true' })
    // The erasure runs on in the worker, its manual task confirmed as soon as it waits for it,
    // while sourcings, one every few turns of the event loop until it is done and one after,
    // meet each of its steps.
    const status = async () => {
      const request = json<{ status: string; tasks: Array<{ id: string; confirmedBy: string | null }> }>(
        await t.request({ method: 'GET', url: `/requests/${requestId}`, as: vacancy.dpo }),
        200,
      )
      for (const task of request.tasks.filter((task) => task.confirmedBy === null)) {
        await dpoPost(vacancy, `/requests/${requestId}/tasks/${task.id}/confirm`)
      }
      return request.status
    }
    let completed = false
    const erased = vi
      .waitFor(async () => expect(await status()).toBe('completed'), { timeout: 30_000, interval: 20 })
      .finally(() => {
        completed = true
      })
    const sourcings: Promise<LightMyRequestResponse>[] = []
    const completion = dpoPost(vacancy, `/requests/${requestId}/complete`)
    for (let k = 0; !completed || sourcings.length < 2; k++) {
      sourcings.push(source(others[k % others.length]!, sourcingPayload({ email, fullName }))())
      if (completed) break
      for (let n = 0; n < 40; n++) await new Promise((next) => setImmediate(next))
    }
    await erased
    const answers = [await completion, ...(await Promise.all(sourcings))]

    expect(answers[0]!.statusCode).toBe(200)
    for (const answer of answers.slice(1)) {
      expect(['201', '409 sourcing.suppressed', '409 candidacy.exists']).toContain(outcome(answer))
    }
    // Serially, a sourcing before the erasure made a candidacy the erasure then erased.
    expect(await findTraces(t.databaseUrl, [email, fullName])).toEqual([])
    for (const answer of answers.slice(1).filter((answer) => answer.statusCode === 201)) {
      expect((await ledgerOf(answer.json().id)).at(-1)).toBe('erased')
    }
  })

  it('Art. 12(3): a request sent many times at once is one open request with one deadline', async () => {
    const vacancy = await seedOpenVacancy(t, { clientName: 'One Request B.V.' })
    const email = `asking.${randomUUID().slice(0, 8)}@example.org`
    const candidacy = await sourceCandidate(t, vacancy, { email })
    const register = (payload: Record<string, unknown>) => () => dpoPost(vacancy, '/requests', payload)
    const known = { type: 'access', email, receivedAt: '2026-03-01T09:00:00Z', channel: 'email' }
    const stranger = { ...known, email: `Nobody.${randomUUID().slice(0, 8)}@Example.org` }
    const answers = await atOnce([
      ...Array.from({ length: 8 }, () => register(known)),
      ...Array.from({ length: 8 }, () => register(stranger)),
    ])
    for (const group of [answers.slice(0, 8), answers.slice(8)]) {
      expect(group.map(outcome).sort()).toEqual(['200', '200', '200', '200', '200', '200', '200', '201'])
      expect(new Set(group.map((answer) => answer.json().id)).size).toBe(1)
    }
    const open = await rows<{ requests: number; mails: number }>(sql`
      with asked as (
        select id from subject_requests
        where type = 'access'
          and (person_id = ${candidacy.person.id} or lower(contact_email) = lower(${stranger.email})))
      select (select count(*)::int from asked) as requests,
        (select count(*)::int from messages where subject_request_id in (select id from asked)) as mails`)
    // One acknowledgement each, not eight.
    expect(open).toEqual([{ requests: 2, mails: 2 }])
  })
})
