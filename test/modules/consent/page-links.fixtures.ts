import { sql } from 'drizzle-orm'
import { queryRows } from '../../../src/db/client'
import { issueLink } from '../../../src/modules/consent/links.service'
import type { TestApp } from '../../helpers/app'
import {
  formTokenOf,
  linkToken,
  requestConsent,
  type SeededVacancy,
  sourceCandidate,
} from '../../helpers/seed'

export interface PageLinks {
  candidacyId: string
  /** Paths of the candidate's pages: consent, withdraw, see-or-delete. */
  consent: string
  withdraw: string
  selfService: string
}

/** A new candidate with the links a mail would carry, as paths. */
export async function candidateLinks(
  t: TestApp,
  vacancy: SeededVacancy,
  language: 'nl' | 'en' = 'en',
): Promise<PageLinks> {
  const candidacy = await sourceCandidate(t, vacancy, { person: { language } })
  const links = await requestConsent(t, candidacy.id, vacancy.recruiter)
  const selfService = await issueLink(t.app.services, t.app.db, candidacy.id, 'self_service')
  return {
    candidacyId: candidacy.id,
    consent: `/c/${linkToken(links.consentUrl)}`,
    withdraw: `/w/${linkToken(links.withdrawUrl)}`,
    selfService: `/r/${linkToken(selfService.url)}`,
  }
}

/** What each page's form posts, besides its form token. */
export const formFields = { c: 'choice=consent', w: '', r: 'type=access' } as const

export const pageKind = (path: string) => path.split('/')[1] as keyof typeof formFields

/** Opens a page and posts its form the way a browser does, with any extra headers and query. */
export async function postForm(
  t: TestApp,
  path: string,
  options: { headers?: Record<string, string>; query?: string; form?: string; fields?: string } = {},
) {
  const form = options.form ?? formTokenOf((await t.request({ method: 'GET', url: path })).body)
  const fields = options.fields ?? formFields[pageKind(path)]
  return t.request({
    method: 'POST',
    url: `${path}${options.query ?? ''}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
    payload: [fields, `form=${encodeURIComponent(form)}`].filter(Boolean).join('&'),
  })
}

/** Everything a candidate's POST could change: the ledger, the candidacies, suppression, requests. */
export async function pageState(t: TestApp) {
  return queryRows(
    t.app.db,
    sql`select (select count(*) from ledger_events)::int as events,
               (select count(*) from suppressions)::int as suppressed,
               (select count(*) from subject_requests)::int as requests,
               (select string_agg(stage::text || consent_state::text, ',' order by id) from candidacies) as candidacies`,
  )
}

/** Error lines (level 50 and up) the app logged: a 500 with its stack would be one. */
export const errorLogs = (t: TestApp) =>
  t.logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)
