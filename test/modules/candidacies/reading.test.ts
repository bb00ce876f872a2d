import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { startTestApp, type TestApp, type TestUser } from '../../helpers/app'
import {
  grantConsent,
  json,
  type SeededVacancy,
  seedOpenVacancy,
  sourceCandidate,
  type sourcingPayload,
} from '../../helpers/seed'

let t: TestApp
let mine: SeededVacancy
let theirs: SeededVacancy
let clientUser: TestUser

beforeAll(async () => {
  t = await startTestApp()
  t.clock.set('2026-02-10T09:00:00Z')
  mine = await seedOpenVacancy(t, { clientName: 'Mine B.V.' })
  theirs = await seedOpenVacancy(t, { clientName: 'Theirs B.V.' })
  clientUser = await t.user('client', { clientId: mine.clientId })
})
afterAll(() => t.close())

const sourced = (vacancy: SeededVacancy, overrides: Parameters<typeof sourcingPayload>[0] = {}) =>
  sourceCandidate<{ id: string; person: { id: string; fullName: string }; facts: Array<{ id: string }> }>(
    t,
    vacancy,
    overrides,
  )

const accessLogFor = (personId: string) =>
  queryRows<{ user_id: string; action: string; route: string; candidacy_id: string | null }>(
    t.app.db,
    sql`select user_id, action, route, candidacy_id from access_log where person_id = ${personId} order by id`,
  )

describe('reading candidacies', () => {
  it('a client user sees only what was introduced to its own vacancy, in the introduced view', async () => {
    const notIntroduced = await sourced(mine)
    const introduced = await sourced(mine, {
      facts: [
        { kind: 'skill', value: 'Rust', source: { type: 'github', collectedAt: '2026-01-02T10:00:00Z' } },
        {
          kind: 'note',
          value: 'Internal: prefers remote',
          source: { type: 'other', collectedAt: '2026-01-02T10:00:00Z' },
        },
      ],
    })
    const elsewhere = await sourced(theirs)
    await grantConsent(t, introduced.id)
    await grantConsent(t, elsewhere.id)
    json(
      await t.request({
        method: 'POST',
        url: `/candidacies/${introduced.id}/stage`,
        as: mine.recruiter,
        payload: { stage: 'introduced', reason: 'Strong match' },
      }),
      200,
    )
    json(
      await t.request({
        method: 'POST',
        url: `/candidacies/${elsewhere.id}/stage`,
        as: theirs.recruiter,
        payload: { stage: 'introduced', reason: 'Match' },
      }),
      200,
    )

    expect(
      (await t.request({ method: 'GET', url: `/candidacies/${notIntroduced.id}`, as: clientUser })).json(),
    ).toMatchObject({ status: 404, code: 'candidacy.not_found' })
    expect(
      (await t.request({ method: 'GET', url: `/candidacies/${elsewhere.id}`, as: clientUser })).statusCode,
    ).toBe(404)
    expect(
      (await t.request({ method: 'GET', url: `/vacancies/${theirs.id}/candidacies`, as: clientUser }))
        .statusCode,
    ).toBe(404)

    const view = json<{ person: { fullName: string }; facts: Array<{ value: string }> }>(
      await t.request({ method: 'GET', url: `/candidacies/${introduced.id}`, as: clientUser }),
      200,
    )
    expect(view.person.fullName).toBe(introduced.person.fullName)
    expect(view.facts.map((fact: { value: string }) => fact.value)).toEqual(['Rust'])
    for (const hidden of ['source', 'notice', 'consentState', 'identifiers', 'legalBasis'])
      expect(view).not.toHaveProperty(hidden)

    const list = json<Array<{ id: string }>>(
      await t.request({ method: 'GET', url: `/vacancies/${mine.id}/candidacies`, as: clientUser }),
      200,
    )
    expect(list.map((item) => item.id)).toEqual([introduced.id])

    const log = await accessLogFor(introduced.person.id)
    expect(log).toEqual(
      expect.arrayContaining([
        {
          user_id: clientUser.id,
          action: 'read',
          route: 'GET /candidacies/:id',
          candidacy_id: introduced.id,
        },
        {
          user_id: clientUser.id,
          action: 'list',
          route: 'GET /vacancies/:id/candidacies',
          candidacy_id: introduced.id,
        },
      ]),
    )
    expect(await accessLogFor(notIntroduced.person.id)).not.toContainEqual(
      expect.objectContaining({ user_id: clientUser.id }),
    )
  })

  it('every successful staff read shows up in the access log, which a DPO can query', async () => {
    const candidacy = await sourced(mine)
    json(await t.request({ method: 'GET', url: `/candidacies/${candidacy.id}`, as: mine.recruiter }), 200)
    json(
      await t.request({
        method: 'GET',
        url: `/vacancies/${mine.id}/candidacies?stage=sourced`,
        as: mine.recruiter,
      }),
      200,
    )
    const entries = json<Array<Record<string, unknown>>>(
      await t.request({ method: 'GET', url: `/audit/access?personId=${candidacy.person.id}`, as: mine.dpo }),
      200,
    )
    expect(entries.map((entry) => [entry.userId, entry.action, entry.route])).toEqual(
      expect.arrayContaining([
        [mine.recruiter.id, 'read', 'GET /candidacies/:id'],
        [mine.recruiter.id, 'list', 'GET /vacancies/:id/candidacies'],
      ]),
    )
  })

  it('filters a vacancy’s list by stage and consent state, and paginates', async () => {
    const vacancy = await seedOpenVacancy(t)
    const a = await sourced(vacancy)
    const b = await sourced(vacancy)
    await grantConsent(t, b.id)
    const list = (query: string) =>
      t
        .request({
          method: 'GET',
          url: `/vacancies/${vacancy.id}/candidacies${query}`,
          as: vacancy.recruiter,
        })
        .then((r) => json<Array<{ id: string }>>(r, 200).map((item) => item.id))
    expect(await list('?consentState=given')).toEqual([b.id])
    expect(await list('?consentState=missing')).toEqual([a.id])
    expect((await list('?limit=1')).length).toBe(1)
    expect(await list('?stage=hired')).toEqual([])
  })
})

describe('rectification and stages', () => {
  it('overwrites a fact and records only that it was rectified (Art. 16)', async () => {
    const candidacy = await sourced(mine)
    const factId = candidacy.facts[0]!.id
    const updated = json<{ facts: Array<{ value: string }> }>(
      await t.request({
        method: 'PATCH',
        url: `/candidacies/${candidacy.id}/facts/${factId}`,
        as: mine.recruiter,
        payload: { value: 'TypeScript, Rust' },
      }),
      200,
    )
    expect(updated.facts[0]!.value).toBe('TypeScript, Rust')
    const stored = await queryRows<{ n: number }>(
      t.app.db,
      sql`select count(*)::int as n from facts where value = 'TypeScript' and candidacy_id = ${candidacy.id}`,
    )
    expect(stored[0]!.n).toBe(0)
    const [event] = await queryRows<{ type: string; evidence: Record<string, unknown> }>(
      t.app.db,
      sql`select type, evidence from ledger_events where candidacy_id = ${candidacy.id} and type = 'rectified'`,
    )
    expect(event).toEqual({ type: 'rectified', evidence: { fields: 'fact.value' } })

    const person = json<{
      person: { fullName: string; emails: Array<{ address: string; undeliverable: boolean }> }
    }>(
      await t.request({
        method: 'PATCH',
        url: `/candidacies/${candidacy.id}/person`,
        as: mine.recruiter,
        payload: { fullName: 'Corrected Name', emails: ['corrected@example.org'] },
      }),
      200,
    )
    expect(person.person).toMatchObject({
      fullName: 'Corrected Name',
      emails: [{ address: 'corrected@example.org', undeliverable: false }],
    })
    // An address kept from before stays as it is; only the new one is added.
    const both = json<{ person: { emails: Array<{ address: string }> } }>(
      await t.request({
        method: 'PATCH',
        url: `/candidacies/${candidacy.id}/person`,
        as: mine.recruiter,
        payload: { emails: ['Corrected@example.org', 'second@example.org'] },
      }),
      200,
    )
    expect(both.person.emails.map((email) => email.address)).toEqual([
      'corrected@example.org',
      'second@example.org',
    ])
    const ledgerText = await queryRows<{ text: string }>(
      t.app.db,
      sql`select evidence::text as text from ledger_events where candidacy_id = ${candidacy.id}`,
    )
    expect(ledgerText.map((row) => row.text).join(' ')).not.toMatch(/Corrected|corrected@|TypeScript/)
  })

  it('moves stages only forward by a named human with a reason, and never introduces without consent', async () => {
    const candidacy = await sourced(mine)
    const stage = (payload: Record<string, string>) =>
      t.request({ method: 'POST', url: `/candidacies/${candidacy.id}/stage`, as: mine.recruiter, payload })
    const contacted = json<{ stage: string; stageChangedBy: string | null }>(
      await stage({ stage: 'contacted', reason: 'Sent a message' }),
      200,
    )
    expect(contacted).toMatchObject({ stage: 'contacted', stageChangedBy: mine.recruiter.id })
    expect((await stage({ stage: 'introduced', reason: 'Looks good' })).json()).toMatchObject({
      status: 409,
      code: 'consent.required',
    })
    expect((await stage({ stage: 'consented', reason: 'Said yes on the phone' })).json()).toMatchObject({
      status: 409,
      code: 'candidacy.invalid_stage_transition',
    })
    expect((await stage({ stage: 'contacted', reason: 'again' })).json()).toMatchObject({
      code: 'candidacy.invalid_stage_transition',
    })
    expect((await stage({ stage: 'hired' } as Record<string, string>)).statusCode).toBe(400)
    // Hired only after an introduction: no stage is skipped on the way to the client.
    expect((await stage({ stage: 'hired', reason: 'Skipping ahead' })).json()).toMatchObject({
      status: 409,
      code: 'candidacy.invalid_stage_transition',
    })
    json(await stage({ stage: 'rejected', reason: 'Role filled' }), 200)
    const decisions = await queryRows<{
      from_stage: string
      to_stage: string
      decided_by: string
      reason: string
    }>(
      t.app.db,
      sql`select from_stage, to_stage, decided_by, reason from stage_changes where candidacy_id = ${candidacy.id} order by decided_at, to_stage`,
    )
    expect(decisions).toEqual([
      {
        from_stage: 'sourced',
        to_stage: 'contacted',
        decided_by: mine.recruiter.id,
        reason: 'Sent a message',
      },
      { from_stage: 'contacted', to_stage: 'rejected', decided_by: mine.recruiter.id, reason: 'Role filled' },
    ])
  })
})
