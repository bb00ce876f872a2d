import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { startTestApp, type TestApp } from '../../helpers/app'
import {
  answerConsent,
  formTokenOf,
  json,
  linkToken,
  requestConsent,
  type SeededVacancy,
  seedOpenVacancy,
  sourceCandidate,
  sourcingPayload,
} from '../../helpers/seed'

let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp()
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t)
})
afterAll(() => t.close())

async function candidateWithLinks(language: 'nl' | 'en' = 'en') {
  const candidacy = await sourceCandidate<{ id: string; person: { emails: Array<{ address: string }> } }>(
    t,
    vacancy,
    { person: { language } },
  )
  return { candidacy, links: await requestConsent(t, candidacy.id, vacancy.recruiter) }
}

/** Everything a click could change: the ledger, the candidacy row, suppression. */
async function stateSnapshot() {
  return queryRows(
    t.app.db,
    sql`select (select count(*) from ledger_events)::int as events,
               (select count(*) from suppressions)::int as suppressed,
               (select string_agg(stage::text || consent_state::text, ',' order by id) from candidacies) as candidacies`,
  )
}

describe('link pages', () => {
  it('GET never changes state, however often a mail scanner fetches a link', async () => {
    const { links } = await candidateWithLinks()
    const before = await stateSnapshot()
    for (const path of [`/c/${linkToken(links.consentUrl)}`, `/w/${linkToken(links.withdrawUrl)}`]) {
      for (let i = 0; i < 3; i++) {
        expect((await t.request({ method: 'GET', url: path })).statusCode).toBe(200)
        expect((await t.request({ method: 'HEAD', url: path })).statusCode).toBe(200)
      }
    }
    expect(await stateSnapshot()).toEqual(before)
  })

  it.each([
    [
      'application/x-www-form-urlencoded',
      () => ({
        payload: 'List-Unsubscribe=One-Click',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    ],
    [
      'multipart/form-data',
      () => {
        const boundary = '----candor-test-boundary'
        return {
          payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        }
      },
    ],
  ])('one-click unsubscribe (RFC 8058) as %s withdraws with a 200 and no redirect', async (_type, body) => {
    const { candidacy, links } = await candidateWithLinks()
    await answerConsent(t, links.consentUrl)
    const response = await t.request({ method: 'POST', url: `/w/${linkToken(links.withdrawUrl)}`, ...body() })
    expect(response.statusCode).toBe(200)
    expect(response.headers.location).toBeUndefined()
    const events = await queryRows<{ type: string; actor_type: string; evidence: Record<string, string> }>(
      t.app.db,
      sql`select type, actor_type, evidence from ledger_events where candidacy_id = ${candidacy.id} order by seq desc limit 1`,
    )
    expect(events[0]).toMatchObject({
      type: 'consent_withdrawn',
      actor_type: 'data_subject',
      evidence: { via: 'one_click_unsubscribe' },
    })
  })

  it('a withdraw link on a legitimate-interest candidacy is an objection: ended, suppressed, never sourced again', async () => {
    const { candidacy, links } = await candidateWithLinks()
    const path = `/w/${linkToken(links.withdrawUrl)}`
    const page = await t.request({ method: 'GET', url: path })
    expect(page.body).toContain('object')
    const done = await t.request({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `form=${encodeURIComponent(formTokenOf(page.body))}`,
    })
    expect(done.body).toContain('we stopped')
    const view = json<{ stage: string }>(
      await t.request({ method: 'GET', url: `/candidacies/${candidacy.id}`, as: vacancy.recruiter }),
      200,
    )
    expect(view.stage).toBe('objected')
    const again = await t.request({
      method: 'POST',
      url: `/vacancies/${vacancy.id}/candidacies`,
      as: vacancy.recruiter,
      payload: sourcingPayload({ email: candidacy.person.emails[0]!.address }),
    })
    expect(again.json()).toMatchObject({ status: 409, code: 'sourcing.suppressed' })
  })

  it('clicking again is idempotent and shows the current state', async () => {
    const { candidacy, links } = await candidateWithLinks()
    const path = `/c/${linkToken(links.consentUrl)}`
    const form = formTokenOf((await t.request({ method: 'GET', url: path })).body)
    const post = (choice: string) =>
      t.request({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `choice=${choice}&form=${form}`,
      })
    expect((await post('consent')).body).toContain('your consent is recorded')
    expect((await post('decline')).body).toContain('your consent is recorded')
    expect((await t.request({ method: 'GET', url: path })).body).toContain('your consent is recorded')
    const types = await queryRows<{ type: string }>(
      t.app.db,
      sql`select type from ledger_events where candidacy_id = ${candidacy.id} order by seq`,
    )
    expect(types.map((row) => row.type)).toEqual(['basis_asserted', 'consent_requested', 'consent_given'])
  })

  // Each answer locks the candidacy in its own transaction, so answers that arrive together are
  // recorded as if they had come one after the other.
  it('answers that arrive together are each recorded as if alone: a double click counts once', async () => {
    const answering = async (consentUrl: string) => {
      const path = `/c/${linkToken(consentUrl)}`
      const form = formTokenOf((await t.request({ method: 'GET', url: path })).body)
      return (choice: string) =>
        t.request({
          method: 'POST',
          url: path,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `choice=${choice}&form=${form}`,
        })
    }
    const other = await answering((await candidateWithLinks()).links.consentUrl)
    const { candidacy, links } = await candidateWithLinks()
    const post = await answering(links.consentUrl)
    const responses = await Promise.all([other('consent'), post('consent'), post('decline'), post('consent')])
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 200])
    const answers = await queryRows<{ type: string }>(
      t.app.db,
      sql`select type from ledger_events where candidacy_id = ${candidacy.id} and type in ('consent_given', 'consent_declined')`,
    )
    expect(answers).toHaveLength(1)
    const answered =
      answers[0]!.type === 'consent_given' ? 'your consent is recorded' : 'Understood: you declined'
    for (const response of responses.slice(1)) expect(response.body).toContain(answered)
    const verification = json<{ valid: boolean }>(
      await t.request({ method: 'GET', url: '/ledger/verify', as: vacancy.dpo }),
      200,
    )
    expect(verification.valid).toBe(true)
  })

  it.each(['en', 'nl'] as const)(
    'unknown, tampered and expired links get the friendly page (%s), naming nobody',
    async (language) => {
      const { candidacy, links } = await candidateWithLinks(language)
      const token = linkToken(links.consentUrl)
      const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`
      const name = json<{ person: { fullName: string } }>(
        await t.request({ method: 'GET', url: `/candidacies/${candidacy.id}`, as: vacancy.recruiter }),
        200,
      ).person.fullName
      for (const path of [
        `/c/${tampered}?lang=${language}`,
        `/c/${'x'.repeat(43)}?lang=${language}`,
        `/w/not-a-token?lang=${language}`,
        `/c/${linkToken(links.withdrawUrl)}?lang=${language}`,
      ]) {
        const response = await t.request({ method: 'GET', url: path })
        expect(response.statusCode, path).toBe(404)
        expect(response.headers['content-type']).toContain('text/html')
        expect(response.body).toContain(
          language === 'nl' ? 'Deze link werkt niet' : 'This link does not work',
        )
        expect(response.body).not.toContain(name)
        expect(response.body).not.toContain(vacancy.id)
      }
      t.clock.advance({ days: 31 })
      try {
        const expired = await t.request({ method: 'GET', url: `/c/${token}` })
        expect(expired.body).toContain(language === 'nl' ? 'verlopen' : 'expired')
      } finally {
        t.clock.advance({ days: -31 })
      }
    },
  )

  it('shows the page in the person’s language with a switch to the other', async () => {
    const { links } = await candidateWithLinks('nl')
    const path = `/c/${linkToken(links.consentUrl)}`
    const dutch = await t.request({ method: 'GET', url: path })
    expect(dutch.body).toContain('<html lang="nl">')
    expect(dutch.body).toContain('Ik geef toestemming')
    expect(dutch.body).toContain(`href="${path}?lang=en"`)
    const english = await t.request({ method: 'GET', url: `${path}?lang=en` })
    expect(english.body).toContain('<html lang="en">')
    expect(english.body).toContain('I consent')
  })

  it('refuses a form that did not come from our page (CSRF): no form token, or a cross-site request', async () => {
    const { candidacy, links } = await candidateWithLinks()
    const path = `/c/${linkToken(links.consentUrl)}`
    const form = formTokenOf((await t.request({ method: 'GET', url: path })).body)
    const attempts = [
      { payload: 'choice=consent', headers: {} },
      { payload: `choice=consent&form=${form}`, headers: { 'sec-fetch-site': 'cross-site' } },
      { payload: `choice=consent&form=${form.slice(1)}`, headers: {} },
    ]
    for (const attempt of attempts) {
      const response = await t.request({
        method: 'POST',
        url: path,
        payload: attempt.payload,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...attempt.headers },
      })
      expect(response.statusCode).toBe(403)
    }
    const view = json<{ consentState: string }>(
      await t.request({ method: 'GET', url: `/candidacies/${candidacy.id}`, as: vacancy.recruiter }),
      200,
    )
    expect(view.consentState).toBe('requested')
  })

  it('HTML is escaped: a purpose with markup is shown as text', async () => {
    const hostile = await seedOpenVacancy(t, { clientName: '<script>alert("x")</script> B.V.' })
    const candidacy = json<{ id: string }>(
      await t.request({
        method: 'POST',
        url: `/vacancies/${hostile.id}/candidacies`,
        as: hostile.recruiter,
        payload: sourcingPayload(),
      }),
      201,
    )
    const links = await requestConsent(t, candidacy.id, hostile.recruiter)
    const page = await t.request({ method: 'GET', url: `/c/${linkToken(links.consentUrl)}` })
    expect(page.body).not.toContain('<script>alert')
    expect(page.body).toContain('&lt;script&gt;')
  })
})

describe('rate limiting', () => {
  it('limits guessing at token pages, and says so in a page', async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '5' } })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 8; i++)
        statuses.push((await limited.request({ method: 'GET', url: `/c/${'y'.repeat(43)}` })).statusCode)
      expect(statuses.slice(0, 5)).toEqual([404, 404, 404, 404, 404])
      expect(statuses.slice(5)).toEqual([429, 429, 429])
      const page = await limited.request({ method: 'GET', url: `/c/${'y'.repeat(43)}?lang=en` })
      expect(page.headers['content-type']).toContain('text/html')
      expect(page.body).toContain('Too many attempts')
    } finally {
      await limited.close()
    }
  })

  it('counts one-click withdrawals apart: a mail provider posting for many candidates is not refused', async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '3' } })
    try {
      const shared = await seedOpenVacancy(limited)
      const withdrawTokens: string[] = []
      for (let i = 0; i < 6; i++) {
        const candidacy = json<{ id: string }>(
          await limited.request({
            method: 'POST',
            url: `/vacancies/${shared.id}/candidacies`,
            as: shared.recruiter,
            payload: sourcingPayload({ email: `one-click-${i}@example.org` }),
          }),
          201,
        )
        withdrawTokens.push(
          linkToken((await requestConsent(limited, candidacy.id, shared.recruiter)).withdrawUrl),
        )
      }
      // Six candidates, one provider address, a page limit of three: every withdrawal goes through.
      for (const token of withdrawTokens) {
        const response = await limited.request({
          method: 'POST',
          url: `/w/${token}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'List-Unsubscribe=One-Click',
        })
        expect(response.statusCode).toBe(200)
      }
      const [stopped] = await queryRows<{ count: string }>(
        limited.app.db,
        sql`select count(*) from candidacies where vacancy_id = ${shared.id} and stage in ('withdrawn', 'objected')`,
      )
      expect(Number(stopped!.count)).toBe(6)
      // The form POST (a person at the page) keeps the page limit.
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) {
        const response = await limited.request({
          method: 'POST',
          url: `/w/${'z'.repeat(43)}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'form=guess',
        })
        statuses.push(response.statusCode)
      }
      expect(statuses.slice(3)).toEqual([429, 429])
    } finally {
      await limited.close()
    }
  })
})
