import type { Executor } from '../../db/client'
import type { Language } from '../../lib/languages'
import { pageMessages } from '../../lib/page'
import type { Services } from '../../services'
import { lockCandidacyContext } from '../candidacies/candidacies.service'
import { findClient } from '../clients/clients.service'
import type { MailTemplate } from '../messages/mail-templates'
import { recordDirectMail } from '../outreach/direct-mail.service'
import { aboutVacancy } from '../outreach/outreach.render'
import { findPerson } from '../people/people.service'
import { findVacancyDetail } from '../vacancies/vacancies.service'
import { personContext } from './person-context'
import type { SubjectRequestRow } from './requests.repository'

type MailDeps = Pick<Services, 'clock' | 'config' | 'templates'>

/** What a request's outcome says to the person, in their language (templates/pages/messages.<lang>.json). */
export function outcomeText(
  language: Language,
  outcome: 'access' | 'none' | 'erasure' | 'restriction' | 'objection' | 'rectification',
): string {
  return pageMessages(language)[`outcome.${outcome}`] ?? ''
}

/** Records a mail to the person about their request; returns its id (the job is added after commit). */
export async function requestMail(
  deps: MailDeps,
  tx: Executor,
  request: SubjectRequestRow,
  template: MailTemplate,
  extra: { outcome?: string; download?: { expiresAt: Date }; anonymous?: boolean } = {},
): Promise<string | undefined> {
  if (!request.contactEmail) return undefined
  const context = request.personId && !extra.anonymous ? await personContext(tx, request.personId) : undefined
  const person = context ? await findPerson(tx, context.personId) : undefined
  let vacancyFacts = {}
  if (context?.liveCandidacyId) {
    const candidacy = await lockCandidacyContext(tx, context.liveCandidacyId)
    const vacancy = candidacy ? await findVacancyDetail(tx, candidacy.vacancy.id) : undefined
    const client = vacancy ? await findClient(tx, vacancy.clientId) : undefined
    if (vacancy && client) vacancyFacts = aboutVacancy(vacancy, client)
  }
  return recordDirectMail(deps, tx, {
    subjectRequestId: request.id,
    template,
    to: request.contactEmail,
    language: request.language,
    candidacyId: context?.liveCandidacyId ?? null,
    ...(extra.download ? { download: extra.download } : {}),
    facts: {
      person: person ? { fullName: person.fullName } : null,
      ...vacancyFacts,
      request: {
        type: request.type,
        receivedAt: request.receivedAt,
        dueAt: request.dueAt,
        extendedDueAt: request.extendedDueAt,
        reason: request.extensionReason ?? request.rejectionReason,
        ...(extra.outcome ? { outcome: extra.outcome } : {}),
      },
    },
  })
}
