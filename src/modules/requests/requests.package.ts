import type { Executor } from '../../db/client'
import { parseProcessors } from '../../lib/processors'
import type { Services } from '../../services'
import { messagesFor } from '../consent/consent.service'
import { identifierBinding } from '../people/people.service'
import { personHoldings } from './access-package.repository'

export interface AccessPackage {
  json: string
  html: string
  /** Counts only, for the request's result and the DPO. */
  summary: Record<string, number>
}

/**
 * Everything held about a person (Art. 15(1), 20): their data, every candidacy with its vacancy,
 * client, purpose, basis, facts and sources, retention and recipients, the ledger, the mail sent
 * with its text, the provider's events, and who looked at their data.
 */
export async function buildAccessPackage(
  deps: Pick<Services, 'config' | 'keyring' | 'templates'>,
  db: Executor,
  input: { personId: string | null; language: 'nl' | 'en'; generatedAt: Date },
): Promise<AccessPackage> {
  const holdings = input.personId ? await personHoldings(db, input.personId) : undefined
  const base = {
    generatedAt: input.generatedAt.toISOString(),
    controller: {
      name: deps.config.CONTROLLER_NAME,
      contact: deps.config.CONTROLLER_CONTACT,
      dpo: deps.config.DPO_CONTACT,
    },
    supervisoryAuthority: deps.config.SUPERVISORY_AUTHORITY,
  }
  if (!holdings) {
    const body = {
      ...base,
      holdsData: false,
      person: null,
      candidacies: [],
      messages: [],
      accessLog: [],
      requests: [],
    }
    return render(deps, input.language, body, { candidacies: 0 })
  }
  const { person, emails, identifiers, rows, log, requests, factRows, events, mail, agreements, tracking } =
    holdings
  // The mail provider is named as the records of processing name it (PROCESSORS), with where it
  // is and what makes the transfer lawful (Art. 15(1)(c), 15(2)).
  const configured = parseProcessors(deps.config.PROCESSORS)
  const processors = configured.length
    ? configured
    : [{ name: 'e-mail provider', activity: 'e-mail delivery', country: '', safeguards: '' }]
  const messageView = (message: (typeof mail)[number]) => ({
    template: message.template,
    status: message.status,
    to: message.toAddress,
    sentAt: message.sentAt?.toISOString() ?? null,
    subject: message.subject,
    text: message.bodyText,
    providerEvents: tracking
      .filter((event) => event.messageId === message.id)
      .map((event) => ({
        type: event.type,
        at: event.occurredAt.toISOString(),
        details: event.payload,
      })),
  })

  const body = {
    ...base,
    holdsData: true,
    person: {
      fullName: person.fullName,
      emails: emails.map((email) => ({
        address: email.address,
        undeliverable: email.undeliverableAt !== null,
      })),
      phone: person.phone,
      location: person.location,
      headline: person.headline,
      language: person.language,
      restricted: person.restrictedAt !== null,
      identifiers: identifiers.map((row) => ({
        kind: row.kind,
        value: deps.keyring.decrypt(row, identifierBinding(person.id, row.kind)),
      })),
    },
    candidacies: rows.map(({ candidacy, vacancy, client }) => {
      const agreement = agreements
        .filter((row) => row.clientId === client.id)
        .sort((a, b) => +b.signedAt - +a.signedAt)[0]
      const own = mail.filter((message) => message.candidacyId === candidacy.id)
      return {
        id: candidacy.id,
        vacancy: {
          title: vacancy.title,
          purpose: vacancy.purpose,
          legalBasis: vacancy.legalBasis,
          status: vacancy.status,
        },
        client: { name: client.name, country: client.country },
        stage: candidacy.stage,
        consentState: candidacy.consentState,
        source: {
          type: candidacy.sourceType,
          url: candidacy.sourceUrl,
          obtainedAt: candidacy.obtainedAt.toISOString(),
        },
        notice: {
          status: candidacy.noticeStatus,
          dueAt: candidacy.noticeDueAt?.toISOString() ?? null,
          sentAt: candidacy.noticeSentAt?.toISOString() ?? null,
        },
        retention: {
          daysAfterVacancyCloses: vacancy.retentionDays,
          until: candidacy.retainUntil?.toISOString() ?? null,
        },
        recipients: [
          {
            name: client.name,
            role: `client (${agreement?.role ?? 'no agreement'})`,
            agreementRole: agreement?.role ?? null,
            country: client.country,
            received: candidacy.introducedAt !== null,
          },
          ...processors.map((processor) => ({
            name: processor.name,
            role: 'processor',
            activity: processor.activity,
            country: processor.country,
            safeguards: processor.safeguards,
            received: own.length > 0,
          })),
        ],
        facts: factRows
          .filter((fact) => fact.candidacyId === candidacy.id)
          .map((fact) => ({
            kind: fact.kind,
            value: fact.value,
            specialCategory: fact.specialCategory,
            source: {
              type: fact.sourceType,
              url: fact.sourceUrl,
              collectedAt: fact.collectedAt.toISOString(),
            },
          })),
        ledger: events
          .filter((event) => event.candidacyId === candidacy.id)
          .map((event) => ({
            seq: event.seq,
            type: event.type,
            legalBasis: event.legalBasis,
            actor: event.actorType,
            evidence: event.evidence,
            at: event.occurredAt.toISOString(),
            hash: event.hash,
          })),
        messages: own.map(messageView),
      }
    }),
    /** Mail not about one vacancy: about their requests, the talent pool. */
    messages: mail.filter((message) => message.candidacyId === null).map(messageView),
    accessLog: log.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
    requests: requests.map((request) => ({ ...request, receivedAt: request.receivedAt.toISOString() })),
  }
  return render(deps, input.language, body, {
    candidacies: rows.length,
    facts: factRows.length,
    ledgerEvents: events.length,
    messages: mail.length,
    trackingEvents: tracking.length,
    accessLogEntries: log.length,
  })
}

function render(
  deps: Pick<Services, 'templates'>,
  language: 'nl' | 'en',
  body: Record<string, unknown>,
  summary: Record<string, number>,
): AccessPackage {
  const json = JSON.stringify(body, null, 2)
  const html = deps.templates.html.render('pages/access-package', {
    data: body,
    m: messagesFor(language),
    language,
  })
  return { json, html, summary }
}
