import type { Config } from '../../config'
import { jurisdictionTimeZone } from '../../lib/deadlines'
import type { Language } from '../../lib/languages'
import type { Templates } from '../../lib/templates'
import { messagesFor } from '../consent/consent.service'
import type { MailTemplate } from '../messages/mail-templates'
import type { LegalBasis } from '../vacancies/vacancies.tables'

export interface MailContent {
  subject: string
  text: string
  html: string
}

export type LinkAction = 'consent' | 'withdraw' | 'self_service' | 'download' | 'talent_pool'

/**
 * Stored bodies hold a placeholder where each link's token goes: tokens are secrets, kept only
 * as hashes, and re-derived from the message id when the mail is (re)sent.
 */
export const linkPlaceholder = (action: LinkAction) => `{{candor-link:${action}}}`

export function fillLinks(content: string, tokens: Partial<Record<LinkAction, string>>): string {
  return content.replace(
    /\{\{candor-link:(\w+)\}\}/g,
    (placeholder, action: LinkAction) => tokens[action] ?? placeholder,
  )
}

export interface MailFacts {
  /** Unknown for an address we hold nothing on: the greeting is then generic. */
  person: { fullName: string } | null
  /** Absent for mail about a request that concerns no particular vacancy. */
  client?: { name: string; country: string }
  vacancy?: { title: string; purpose: string; legalBasis: LegalBasis; retentionDays: number }
  sourceType?: string
  factKinds?: string[]
  links: Partial<Record<LinkAction | 'request', string>>
  consentExpiresAt?: Date | null | undefined
  talentPoolExpiresAt?: Date | null | undefined
  request?: {
    type: string
    status?: string
    receivedAt: Date
    dueAt: Date
    extendedDueAt?: Date | null
    reason?: string | null
    outcome?: string
    workingDaysLeft?: number
  }
}

/** What a mail says of the vacancy and the client it is about (Art. 13/14: who, for what, how long). */
export function aboutVacancy(
  vacancy: { title: string; purpose: string; legalBasis: LegalBasis; retentionDays: number },
  client: { name: string; country: string },
): Pick<MailFacts, 'client' | 'vacancy'> {
  return {
    client: { name: client.name, country: client.country },
    vacancy: {
      title: vacancy.title,
      purpose: vacancy.purpose,
      legalBasis: vacancy.legalBasis,
      retentionDays: vacancy.retentionDays,
    },
  }
}

/** Building an Intl formatter costs more than rendering the mail: one per locale and time zone. */
const dateFormats = new Map<string, Intl.DateTimeFormat>()
function dateFormat(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}`
  let format = dateFormats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone })
    dateFormats.set(key, format)
  }
  return format
}

/** Everything a mail template may say, localised (see templates/mail/*). */
export function mailContext(config: Config, language: Language, facts: MailFacts) {
  const m = messagesFor(language)
  const date = dateFormat(m['date.locale']!, jurisdictionTimeZone(config.JURISDICTION))
  return {
    language,
    controller: { name: config.CONTROLLER_NAME, contact: config.CONTROLLER_CONTACT, dpo: config.DPO_CONTACT },
    supervisoryAuthority: config.SUPERVISORY_AUTHORITY,
    person: facts.person ?? { fullName: m['person.unknown'] },
    client: facts.client,
    vacancy: facts.vacancy,
    basisLabel: facts.vacancy ? m[`basis.${facts.vacancy.legalBasis}`] : undefined,
    source: facts.sourceType ? (m[`source.${facts.sourceType}`] ?? facts.sourceType) : undefined,
    categories: ['contact', ...(facts.factKinds ?? [])].map((kind) => m[`category.${kind}`] ?? kind),
    links: {
      consent: facts.links.consent,
      withdraw: facts.links.withdraw,
      selfService: facts.links.self_service,
      download: facts.links.download,
      talentPool: facts.links.talent_pool,
      request: facts.links.request,
    },
    consent: facts.consentExpiresAt ? { expiresOn: date.format(facts.consentExpiresAt) } : undefined,
    talentPool: facts.talentPoolExpiresAt ? { expiresOn: date.format(facts.talentPoolExpiresAt) } : undefined,
    request: facts.request && {
      type: m[`request.${facts.request.type}`] ?? facts.request.type,
      status: facts.request.status,
      workingDaysLeft: facts.request.workingDaysLeft,
      receivedOn: date.format(facts.request.receivedAt),
      dueOn: date.format(facts.request.dueAt),
      extendedDueOn: facts.request.extendedDueAt ? date.format(facts.request.extendedDueAt) : undefined,
      reason: facts.request.reason ?? undefined,
      outcome: facts.request.outcome,
    },
  }
}

/** Renders a template by lifecycle event: subject and text unescaped, HTML escaped. */
export function renderMail(
  templates: Templates,
  template: MailTemplate,
  language: Language,
  context: ReturnType<typeof mailContext>,
): MailContent {
  const file = (part: string) => `mail/${template}/${part}.${language}.eta`
  return {
    subject: templates.text.render(file('subject'), context).trim().replace(/\s+/g, ' '),
    text: templates.text.render(file('text'), context).trim(),
    html: templates.html.render(file('html'), context),
  }
}
