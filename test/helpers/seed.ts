import { sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import { expect, vi } from 'vitest'
import { queryRows } from '../../src/db/client'
import type { TestApp, TestUser } from './app'

export function json<T = Record<string, unknown>>(response: LightMyRequestResponse, status: number): T {
  expect(response.statusCode, response.body).toBe(status)
  return response.json() as T
}

export interface SeededVacancy {
  id: string
  clientId: string
  recruiter: TestUser
  dpo: TestUser
}

export const PURPOSE =
  'Recruiting a senior backend engineer for the client; we contact candidates about this one role only.'

/** A client with an agreement and a vacancy, opened through the API the way a recruiter and DPO would. */
export async function seedOpenVacancy(
  t: TestApp,
  options: {
    legalBasis?: 'legitimate_interest' | 'consent'
    language?: 'nl' | 'en'
    clientName?: string
    /** ISO country of the client (NL unless given): outside the EEA makes a transfer. */
    clientCountry?: string
    /** Our role under the processing agreement (controller unless given). */
    agreementRole?: 'controller' | 'processor' | 'joint'
    title?: string
  } = {},
): Promise<SeededVacancy> {
  const recruiter = await t.user('recruiter')
  const dpo = await t.user('dpo')
  const legalBasis = options.legalBasis ?? 'legitimate_interest'
  const client = json<{ id: string }>(
    await t.request({
      method: 'POST',
      url: '/clients',
      as: recruiter,
      payload: { name: options.clientName ?? 'Acme Fietsen B.V.', country: options.clientCountry ?? 'NL' },
    }),
    201,
  )
  json(
    await t.request({
      method: 'POST',
      url: `/clients/${client.id}/agreements`,
      as: recruiter,
      payload: {
        version: '2026-1',
        signedAt: '2026-01-02T10:00:00Z',
        role: options.agreementRole ?? 'controller',
        documentRef: 'dms://agreements/acme',
      },
    }),
    201,
  )
  const vacancy = json<{ id: string }>(
    await t.request({
      method: 'POST',
      url: '/vacancies',
      as: recruiter,
      payload: {
        clientId: client.id,
        title: options.title ?? 'Senior backend engineer',
        purpose: PURPOSE,
        legalBasis,
        language: options.language ?? 'en',
      },
    }),
    201,
  )
  if (legalBasis === 'legitimate_interest') {
    json(
      await t.request({
        method: 'POST',
        url: `/vacancies/${vacancy.id}/assessment`,
        as: recruiter,
        payload: {
          purposeTest: 'Filling the role.',
          necessityTest: 'Only public professional profiles.',
          balancingTest: 'Low impact; easy opt-out.',
        },
      }),
      200,
    )
    json(
      await t.request({ method: 'POST', url: `/vacancies/${vacancy.id}/assessment/approve`, as: dpo }),
      200,
    )
  }
  json(
    await t.request({
      method: 'PATCH',
      url: `/vacancies/${vacancy.id}`,
      as: recruiter,
      payload: { status: 'open' },
    }),
    200,
  )
  return { id: vacancy.id, clientId: client.id, recruiter, dpo }
}

let sequence = 0
/** A sourcing request body for a new person (unique address unless one is given). */
export function sourcingPayload(
  overrides: {
    email?: string
    emails?: string[]
    fullName?: string
    collectedAt?: string
    facts?: unknown[]
    identifiers?: unknown[]
    person?: Record<string, unknown>
  } = {},
) {
  sequence++
  const collectedAt = overrides.collectedAt ?? '2026-01-02T10:00:00Z'
  return {
    person: {
      fullName: overrides.fullName ?? `Candidate ${sequence} Testperson`,
      emails: overrides.emails ?? [overrides.email ?? `candidate-${sequence}-${Date.now()}@mail.test`],
      ...overrides.person,
    },
    source: { type: 'linkedin', url: `https://www.linkedin.com/in/candidate-${sequence}`, collectedAt },
    facts: overrides.facts ?? [
      {
        kind: 'skill',
        value: 'TypeScript',
        source: { type: 'github', url: 'https://github.com/someone', collectedAt },
      },
    ],
    ...(overrides.identifiers ? { identifiers: overrides.identifiers } : {}),
  }
}

/** Sources a candidate into `into` through the API as its recruiter (201), with `sourcingPayload(overrides)`. */
export async function sourceCandidate<T = { id: string; person: { id: string } }>(
  t: TestApp,
  into: SeededVacancy,
  overrides: Parameters<typeof sourcingPayload>[0] = {},
): Promise<T> {
  return json<T>(
    await t.request({
      method: 'POST',
      url: `/vacancies/${into.id}/candidacies`,
      as: into.recruiter,
      payload: sourcingPayload(overrides),
    }),
    201,
  )
}

/** Row counts of every table that holds personal data or its proof: a refusal must leave them unchanged. */
export async function personalDataCounts(t: TestApp): Promise<Record<string, number>> {
  const { queryRows } = await import('../../src/db/client')
  const { sql } = await import('drizzle-orm')
  const tables = [
    'people',
    'person_emails',
    'person_identifiers',
    'candidacies',
    'facts',
    'ledger_events',
    'stage_changes',
  ]
  const counts: Record<string, number> = {}
  for (const table of tables) {
    const [row] = await queryRows<{ n: number }>(t.app.db, sql.raw(`select count(*)::int as n from ${table}`))
    counts[table] = row!.n
  }
  return counts
}

/** The hidden form token of a candidate page, as a browser would submit it. */
export function formTokenOf(page: string): string {
  const match = page.match(/name="form" value="([^"]+)"/)
  if (!match) throw new Error('no form on the page')
  return match[1]!
}

export const linkToken = (url: string) => url.split('/').pop()!

/** Asks for consent through the API; returns the links a candidate would get by mail. */
export async function requestConsent(t: TestApp, candidacyId: string, as: TestUser) {
  return json<{ consentUrl: string; withdrawUrl: string; consentTextHash: string; expiresAt: string }>(
    await t.request({ method: 'POST', url: `/candidacies/${candidacyId}/consent-requests`, as }),
    201,
  )
}

/** The candidate opens the consent link and clicks a button, the way the page makes them. */
export async function answerConsent(
  t: TestApp,
  consentUrl: string,
  choice: 'consent' | 'decline' = 'consent',
) {
  const path = `/c/${linkToken(consentUrl)}`
  const page = await t.request({ method: 'GET', url: path })
  return t.request({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ choice, form: formTokenOf(page.body) }).toString(),
  })
}

/** Live consent on a candidacy, through the real request and consent page. */
export async function grantConsent(
  t: TestApp,
  candidacyId: string,
): Promise<{ consentUrl: string; withdrawUrl: string }> {
  const recruiter = await t.user('recruiter')
  const links = await requestConsent(t, candidacyId, recruiter)
  const answer = await answerConsent(t, links.consentUrl)
  if (answer.statusCode !== 200) throw new Error(`consent not recorded: ${answer.statusCode}`)
  return links
}

/** Waits until no mail is queued or being sent (the workers of the test app send it). */
export async function allMailSent(t: TestApp): Promise<void> {
  await vi.waitFor(
    async () => {
      const [row] = await queryRows<{ n: number }>(
        t.app.db,
        sql`select count(*)::int as n from messages where status in ('queued', 'sending')`,
      )
      expect(row!.n).toBe(0)
    },
    { timeout: 15_000, interval: 50 },
  )
}
