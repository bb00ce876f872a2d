import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { suppress } from '../../../src/modules/suppression/suppression.service'
import { startTestApp, type TestApp } from '../../helpers/app'
import {
  answerConsent,
  json,
  personalDataCounts,
  requestConsent,
  type SeededVacancy,
  seedOpenVacancy,
  sourcingPayload,
} from '../../helpers/seed'

let t: TestApp
let li: SeededVacancy
let second: SeededVacancy
let consentVacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp()
  t.clock.set('2026-02-10T09:00:00Z')
  li = await seedOpenVacancy(t)
  second = await seedOpenVacancy(t, { clientName: 'Second client' })
  consentVacancy = await seedOpenVacancy(t, { legalBasis: 'consent' })
})
afterAll(() => t.close())

/** A candidacy as the API returns it to its recruiter: the fields these tests read. */
interface SourcedCandidacy {
  id: string
  stage: string
  legalBasis: string
  consentState: string
  person: { id: string }
  source: { type: string; url: string | null; collectedAt: string; sourcedBy: string }
  notice: { status: string; dueAt: string | null; sentAt: string | null }
  facts: Array<{ kind: string; value: string; specialCategory: string | null; specialBasis: string | null }>
}

const source = (vacancy: SeededVacancy, payload: object) =>
  t.request({ method: 'POST', url: `/vacancies/${vacancy.id}/candidacies`, as: vacancy.recruiter, payload })

describe('sourcing a candidate', () => {
  it('finds the same person again by normalised address: one person, two candidacies, each with its sources and Art. 14 deadline', async () => {
    const first = json<SourcedCandidacy>(
      await source(
        li,
        sourcingPayload({ email: 'Ada.Lovelace@Example.org', collectedAt: '2026-01-31T10:00:00Z' }),
      ),
      201,
    )
    const again = json<SourcedCandidacy>(
      await source(
        second,
        sourcingPayload({ email: '  ada.lovelace@EXAMPLE.org ', collectedAt: '2026-01-31T10:00:00Z' }),
      ),
      201,
    )
    expect(again.person.id).toBe(first.person.id)
    expect(first.source.sourcedBy).toBe(li.recruiter.id)
    expect(again.source.sourcedBy).toBe(second.recruiter.id)
    expect(again.id).not.toBe(first.id)
    for (const candidacy of [first, again]) {
      expect(candidacy).toMatchObject({
        stage: 'sourced',
        legalBasis: 'legitimate_interest',
        consentState: 'missing',
        source: {
          type: 'linkedin',
          url: expect.stringContaining('linkedin.com'),
          collectedAt: '2026-01-31T10:00:00.000Z',
        },
        // 31 January + one month = 28 February 2026, a Saturday → Monday 2 March, end of day in Amsterdam.
        notice: { status: 'pending', dueAt: '2026-03-02T22:59:59.999Z', sentAt: null },
      })
      expect(candidacy.facts).toEqual([
        expect.objectContaining({
          kind: 'skill',
          value: 'TypeScript',
          source: expect.objectContaining({ type: 'github', collectedBy: expect.any(String) }),
        }),
      ])
    }
    const [people] = await queryRows<{ n: number }>(
      t.app.db,
      sql`select count(distinct person_id)::int as n from person_emails where normalized = 'ada.lovelace@example.org'`,
    )
    expect(people!.n).toBe(1)
    expect((await source(li, sourcingPayload({ email: 'ADA.lovelace@example.org' }))).json()).toMatchObject({
      status: 409,
      code: 'candidacy.exists',
    })
  })

  it('writes basis_asserted naming the approved assessment for a legitimate-interest vacancy', async () => {
    const candidacy = json<{ id: string }>(await source(li, sourcingPayload()), 201)
    const events = await queryRows<{
      type: string
      legal_basis: string
      evidence: Record<string, unknown>
      actor_id: string
    }>(
      t.app.db,
      sql`select type, legal_basis, evidence, actor_id from ledger_events where candidacy_id = ${candidacy.id}`,
    )
    expect(events).toEqual([
      {
        type: 'basis_asserted',
        legal_basis: 'legitimate_interest',
        actor_id: li.recruiter.id,
        evidence: {
          assessmentOf: li.id,
          assessmentApprovedBy: li.dpo.id,
          assessmentApprovedAt: expect.any(String),
        },
      },
    ])
  })

  it('needs no Art. 14 notice for data the person gave us themselves', async () => {
    const payload = {
      ...sourcingPayload(),
      source: { type: 'application', collectedAt: '2026-02-01T10:00:00Z' },
    }
    expect(json<SourcedCandidacy>(await source(li, payload), 201).notice).toEqual({
      status: 'not_required',
      dueAt: null,
      sentAt: null,
    })
  })

  describe('refusals write nothing', () => {
    it.each([
      [
        'a closed vacancy',
        async () => {
          const closed = await seedOpenVacancy(t)
          json(
            await t.request({
              method: 'PATCH',
              url: `/vacancies/${closed.id}`,
              as: closed.recruiter,
              payload: { status: 'closed' },
            }),
            200,
          )
          return source(closed, sourcingPayload())
        },
        'vacancy.not_open',
        'https://candor.dev/problems/vacancy-not-open',
      ],
      [
        'a suppressed address',
        async () => {
          await suppress(
            t.app.db,
            t.config.SERVER_SECRET,
            ['gone.person@example.org'],
            'erasure',
            t.clock.now(),
          )
          return source(
            li,
            sourcingPayload({ emails: ['new.address@example.org', ' Gone.Person@Example.org'] }),
          )
        },
        'sourcing.suppressed',
        'https://candor.dev/problems/suppressed',
      ],
      [
        'a special-category fact with no basis',
        async () =>
          source(
            li,
            sourcingPayload({
              facts: [
                {
                  kind: 'note',
                  value: 'Mentions a chronic illness',
                  source: { type: 'linkedin', collectedAt: '2026-01-02T10:00:00Z' },
                  special: { category: 'health' },
                },
              ],
            }),
          ),
        'fact.special_category_refused',
        'https://candor.dev/problems/special-category-refused',
      ],
      [
        'a special-category fact claimed public without its source URL',
        async () =>
          source(
            li,
            sourcingPayload({
              facts: [
                {
                  kind: 'note',
                  value: 'Union member',
                  source: { type: 'other', collectedAt: '2026-01-02T10:00:00Z' },
                  special: { category: 'union_membership', basis: 'manifestly_public' },
                },
              ],
            }),
          ),
        'fact.special_category_refused',
        'https://candor.dev/problems/special-category-refused',
      ],
      [
        'facts for a consent vacancy before consent',
        async () => source(consentVacancy, sourcingPayload()),
        'candidacy.facts_need_consent',
        'https://candor.dev/problems/facts-need-consent',
      ],
      [
        'a national insurance number for a consent vacancy before consent',
        async () =>
          source(consentVacancy, {
            ...sourcingPayload({ identifiers: [{ kind: 'bsn', value: '111222333' }] }),
            facts: [],
          }),
        'candidacy.facts_need_consent',
        'https://candor.dev/problems/facts-need-consent',
      ],
    ])('%s → its own 409 problem', async (_name, attempt, code, type) => {
      const before = await personalDataCounts(t)
      const response = await attempt()
      expect(response.statusCode).toBe(409)
      expect(response.json()).toMatchObject({ code, type })
      expect(await personalDataCounts(t)).toEqual(before)
    })

    it('keeps nothing of a suppressed person in the logs', async () => {
      await suppress(
        t.app.db,
        t.config.SERVER_SECRET,
        ['hidden.person@example.org'],
        'objection',
        t.clock.now(),
      )
      const response = await source(
        li,
        sourcingPayload({ email: 'hidden.person@example.org', fullName: 'Hidden Q. Person' }),
      )
      expect(response.statusCode).toBe(409)
      expect(t.logs.join('')).not.toMatch(/hidden|Hidden Q/i)
    })
  })

  it('a consent vacancy takes contact data and its source, and refuses facts until the person consents', async () => {
    const payload = { ...sourcingPayload(), facts: [] }
    const candidacy = json<SourcedCandidacy>(await source(consentVacancy, payload), 201)
    expect(candidacy).toMatchObject({ legalBasis: 'consent', facts: [], source: { type: 'linkedin' } })
    const before = await personalDataCounts(t)
    const refused = await t.request({
      method: 'POST',
      url: `/candidacies/${candidacy.id}/facts`,
      as: consentVacancy.recruiter,
      payload: {
        facts: [
          { kind: 'skill', value: 'Go', source: { type: 'github', collectedAt: '2026-01-02T10:00:00Z' } },
        ],
      },
    })
    expect(refused.json()).toMatchObject({ status: 409, code: 'candidacy.facts_need_consent' })
    // Nor through rectification: the person's location or an identifier waits for consent too.
    for (const payload of [
      { location: 'Utrecht' },
      { identifiers: [{ kind: 'passport', value: 'NX1234567' }] },
    ]) {
      const rectified = await t.request({
        method: 'PATCH',
        url: `/candidacies/${candidacy.id}/person`,
        as: consentVacancy.recruiter,
        payload,
      })
      expect(rectified.json()).toMatchObject({ status: 409, code: 'candidacy.facts_need_consent' })
    }
    expect(await personalDataCounts(t)).toEqual(before)
    const [person] = await queryRows<{ location: string | null }>(
      t.app.db,
      sql`select location from people where id = ${candidacy.person.id}`,
    )
    expect(person).toEqual({ location: null })
  })

  it('takes a special-category fact on explicit consent only once the person has consented', async () => {
    const vacancy = await seedOpenVacancy(t)
    const candidacy = json<{ id: string }>(await source(vacancy, sourcingPayload()), 201)
    const addHealthFact = () =>
      t.request({
        method: 'POST',
        url: `/candidacies/${candidacy.id}/facts`,
        as: vacancy.recruiter,
        payload: {
          facts: [
            {
              kind: 'note',
              value: 'Needs an adjusted workplace',
              source: { type: 'application', collectedAt: '2026-02-09T10:00:00Z' },
              special: { category: 'health', basis: 'explicit_consent' },
            },
          ],
        },
      })
    const before = await personalDataCounts(t)
    expect((await addHealthFact()).json()).toMatchObject({
      status: 409,
      code: 'fact.special_category_refused',
    })
    expect(await personalDataCounts(t)).toEqual(before)
    const links = await requestConsent(t, candidacy.id, vacancy.recruiter)
    await answerConsent(t, links.consentUrl, 'consent')
    const added = json<{ facts: Array<Record<string, unknown>> }>(await addHealthFact(), 201)
    expect(added.facts).toContainEqual(
      expect.objectContaining({ specialCategory: 'health', specialBasis: 'explicit_consent' }),
    )
  })

  it('stores a special-category fact the person made public, and flags the vacancy as needing a DPIA', async () => {
    const vacancy = await seedOpenVacancy(t)
    const payload = sourcingPayload({
      facts: [
        {
          kind: 'note',
          value: 'Speaks publicly as a union representative',
          source: { type: 'website', url: 'https://example.org/talks', collectedAt: '2026-01-02T10:00:00Z' },
          special: { category: 'union_membership', basis: 'manifestly_public' },
        },
      ],
    })
    const candidacy = json<SourcedCandidacy>(await source(vacancy, payload), 201)
    expect(candidacy.facts[0]).toMatchObject({
      specialCategory: 'union_membership',
      specialBasis: 'manifestly_public',
    })
    const flagged = json<{ dpiaRequired: boolean; dpiaReasons: string[] }>(
      await t.request({ method: 'GET', url: `/vacancies/${vacancy.id}`, as: vacancy.recruiter }),
      200,
    )
    expect(flagged).toMatchObject({ dpiaRequired: true, dpiaReasons: ['special_categories'] })
    // Art. 35: blocked until the DPIA is recorded.
    expect((await source(vacancy, sourcingPayload())).json()).toMatchObject({
      status: 409,
      code: 'vacancy.dpia_required',
    })
    json(
      await t.request({
        method: 'POST',
        url: `/vacancies/${vacancy.id}/dpia`,
        as: vacancy.dpo,
        payload: { reference: 'dms://dpia', summary: 'Reviewed.' },
      }),
      200,
    )
    json(await source(vacancy, sourcingPayload()), 201)
  })

  it('refuses a collection date in the future', async () => {
    const response = await source(li, sourcingPayload({ collectedAt: '2030-01-01T00:00:00Z' }))
    expect(response.json()).toMatchObject({
      status: 400,
      errors: [{ field: 'body.source.collectedAt' }, { field: 'body.facts.0.source.collectedAt' }],
    })
  })
})
