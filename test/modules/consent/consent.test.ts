import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { consentStateFromLedger } from '../../../src/modules/consent/consent.service'
import { startTestApp, type TestApp } from '../../helpers/app'
import {
  answerConsent,
  formTokenOf,
  json,
  linkToken,
  requestConsent,
  type SeededVacancy,
  seedOpenVacancy,
  sourcingPayload,
} from '../../helpers/seed'

let t: TestApp
let vacancy: SeededVacancy
let consentVacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp()
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Fietsfabriek Noord B.V.' })
  consentVacancy = await seedOpenVacancy(t, { legalBasis: 'consent', language: 'nl' })
})
afterAll(() => t.close())

async function source(target = vacancy, overrides: Parameters<typeof sourcingPayload>[0] = {}) {
  const payload = sourcingPayload(overrides)
  if (target === consentVacancy) payload.facts = []
  return json<{ id: string }>(
    await t.request({
      method: 'POST',
      url: `/vacancies/${target.id}/candidacies`,
      as: target.recruiter,
      payload,
    }),
    201,
  )
}

async function ledgerOf(candidacyId: string) {
  return json<Array<{ seq: number; type: string; actorType: string; evidence: Record<string, unknown> }>>(
    await t.request({ method: 'GET', url: `/candidacies/${candidacyId}/ledger`, as: vacancy.dpo }),
    200,
  )
}

async function withdraw(withdrawUrl: string) {
  const path = `/w/${linkToken(withdrawUrl)}`
  const page = await t.request({ method: 'GET', url: path })
  return t.request({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ form: formTokenOf(page.body) }).toString(),
  })
}

describe('the consent ledger', () => {
  it('proves sourced → consent requested → given → introduced → withdrawn, and refuses introduction after withdrawal', async () => {
    const candidacy = await source(vacancy, { email: 'Grace.Ledger@Example.org', fullName: 'Grace Ledger' })
    const links = await requestConsent(t, candidacy.id, vacancy.recruiter)
    expect(links.consentUrl).toMatch(/^http:\/\/candor\.test\/c\/[A-Za-z0-9_-]{43}$/)
    expect(links.withdrawUrl).toMatch(/^http:\/\/candor\.test\/w\/[A-Za-z0-9_-]{43}$/)

    const page = await t.request({ method: 'GET', url: `/c/${linkToken(links.consentUrl)}` })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('Fietsfabriek Noord B.V.')
    expect(page.body).toContain('Senior backend engineer')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    expect(page.headers['cache-control']).toBe('no-store')

    expect((await answerConsent(t, links.consentUrl)).body).toContain('your consent is recorded')
    const introduced = json<{ stage: string; consentState: string }>(
      await t.request({
        method: 'POST',
        url: `/candidacies/${candidacy.id}/introduce`,
        as: vacancy.recruiter,
        payload: { reason: 'Strong match' },
      }),
      200,
    )
    expect(introduced).toMatchObject({ stage: 'introduced', consentState: 'given' })
    expect((await withdraw(links.withdrawUrl)).body).toContain('Done: you withdrew')

    const refused = await t.request({
      method: 'POST',
      url: `/candidacies/${candidacy.id}/introduce`,
      as: vacancy.recruiter,
      payload: {},
    })
    expect(refused.statusCode).toBe(409)
    const events = await ledgerOf(candidacy.id)
    expect(events.map((event) => event.type)).toEqual([
      'basis_asserted',
      'consent_requested',
      'consent_given',
      'introduced',
      'consent_withdrawn',
    ])
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5])
    expect(events.find((event) => event.type === 'consent_given')).toMatchObject({
      actorType: 'data_subject',
      evidence: { consentText: links.consentTextHash },
    })
    const [text] = await queryRows<{ body: string }>(
      t.app.db,
      sql`select body from consent_texts where hash = ${links.consentTextHash}`,
    )
    expect(text!.body).toContain('Fietsfabriek Noord B.V.')
    const verification = json<{ valid: boolean; chains: number }>(
      await t.request({ method: 'GET', url: '/ledger/verify', as: vacancy.dpo }),
      200,
    )
    expect(verification.valid).toBe(true)

    const after = json<{ stage: string; consentState: string }>(
      await t.request({ method: 'GET', url: `/candidacies/${candidacy.id}`, as: vacancy.recruiter }),
      200,
    )
    expect(after).toMatchObject({ stage: 'withdrawn', consentState: 'withdrawn' })
    const clientUser = await t.user('client', { clientId: vacancy.clientId })
    expect(
      (await t.request({ method: 'GET', url: `/candidacies/${candidacy.id}`, as: clientUser })).statusCode,
    ).toBe(404)
  })

  it('holds no name, e-mail address or phone of anyone in any event', async () => {
    const candidacy = await source(vacancy, {
      email: 'unique.person.7@example.org',
      fullName: 'Zebedee Uniquename',
      person: { phone: '+31 6 1234 5678' },
    })
    const links = await requestConsent(t, candidacy.id, vacancy.recruiter)
    await answerConsent(t, links.consentUrl)
    const [all] = await queryRows<{ text: string }>(
      t.app.db,
      sql`select string_agg(e::text, ' ') as text from ledger_events e`,
    )
    for (const identifier of [
      'Zebedee',
      'Uniquename',
      'unique.person.7',
      'example.org',
      '1234 5678',
      'Grace',
      'Ledger@',
    ]) {
      expect(all!.text, identifier).not.toContain(identifier)
    }
  })

  it('keeps the consent column in step with what the ledger says', async () => {
    const declined = await source(consentVacancy)
    await answerConsent(
      t,
      (await requestConsent(t, declined.id, consentVacancy.recruiter)).consentUrl,
      'decline',
    )
    const pending = await source(consentVacancy)
    await requestConsent(t, pending.id, consentVacancy.recruiter)
    const rows = await queryRows<{ id: string; consent_state: string }>(
      t.app.db,
      sql`select id, consent_state from candidacies where person_id is not null`,
    )
    for (const row of rows) {
      const events = await ledgerOf(row.id)
      expect(consentStateFromLedger(events, new Date('2000-01-01')), row.id).toBe(row.consent_state)
    }
    expect(rows.find((row) => row.id === declined.id)?.consent_state).toBe('declined')
    expect(
      (
        await t.request({
          method: 'POST',
          url: `/candidacies/${declined.id}/consent-requests`,
          as: consentVacancy.recruiter,
        })
      ).json(),
    ).toMatchObject({
      status: 409,
      code: 'consent.declined',
    })
  })

  it('shows an unanswered request as expired once its link runs out, and filters on it', async () => {
    const candidacy = await source(consentVacancy)
    const links = await requestConsent(t, candidacy.id, consentVacancy.recruiter)
    // The page's form, taken ten minutes before the link runs out and sent ten minutes after, well
    // within the form's own hour: the link's expiry itself must refuse the answer.
    t.clock.advance({ days: 30, minutes: -10 })
    const form = formTokenOf(
      (await t.request({ method: 'GET', url: `/c/${linkToken(links.consentUrl)}` })).body,
    )
    t.clock.advance({ minutes: 20 })
    try {
      const list = json<Array<{ id: string }>>(
        await t.request({
          method: 'GET',
          url: `/vacancies/${consentVacancy.id}/candidacies?consentState=expired`,
          as: consentVacancy.recruiter,
        }),
        200,
      )
      expect(list.map((item) => item.id)).toContain(candidacy.id)
      const page = await t.request({ method: 'GET', url: `/c/${linkToken(links.consentUrl)}` })
      expect(page.body).toContain('verlopen')
      const answer = await t.request({
        method: 'POST',
        url: `/c/${linkToken(links.consentUrl)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ choice: 'consent', form }).toString(),
      })
      expect(answer.statusCode).toBe(200)
      expect(answer.body).toContain('verlopen')
      const events = await queryRows<{ type: string }>(
        t.app.db,
        sql`select type from ledger_events where candidacy_id = ${candidacy.id} order by seq`,
      )
      expect(events.map((event) => event.type)).toEqual(['consent_requested'])
    } finally {
      t.clock.advance({ days: -30, minutes: -10 })
    }
  })
})
