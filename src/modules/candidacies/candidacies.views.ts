import type { Principal } from '../../plugins/access'
import type { CandidacyListItem } from './candidacies.repository'
import type { CandidacyDetail } from './candidacies.service'
import { effectiveConsentState } from './candidacy-rules'

const CLIENT_FACT_KINDS = new Set(['skill', 'experience', 'education', 'link'])

/** Staff see everything; a client sees the introduced view: no sources, notes, special categories or identifiers. */
export function candidacyViewFor(principal: Principal, detail: CandidacyDetail, now: Date) {
  const { candidacy, vacancy } = detail.context
  const person = detail.person && {
    ...detail.person,
    emails: detail.emails.map((email) => ({
      address: email.address,
      undeliverable: email.undeliverableAt !== null,
    })),
    restricted: detail.person.restrictedAt !== null,
  }
  const facts = detail.facts.map((fact) => ({
    ...fact,
    source: {
      type: fact.sourceType,
      url: fact.sourceUrl,
      collectedAt: fact.collectedAt,
      collectedBy: fact.collectedBy,
    },
  }))
  const base = {
    id: candidacy.id,
    vacancyId: candidacy.vacancyId,
    stage: candidacy.stage,
    introducedAt: candidacy.introducedAt,
    person,
  }
  if (principal.role === 'client') {
    return {
      ...base,
      facts: facts.filter((fact) => !fact.specialCategory && CLIENT_FACT_KINDS.has(fact.kind)),
    }
  }
  return {
    ...base,
    facts,
    legalBasis: vacancy.legalBasis,
    consentState: effectiveConsentState(candidacy, now),
    consentExpiresAt: candidacy.consentExpiresAt,
    source: {
      type: candidacy.sourceType,
      url: candidacy.sourceUrl,
      collectedAt: candidacy.obtainedAt,
      sourcedBy: candidacy.sourcedBy,
    },
    notice: { status: candidacy.noticeStatus, dueAt: candidacy.noticeDueAt, sentAt: candidacy.noticeSentAt },
    retainUntil: candidacy.retainUntil,
    identifiers: detail.identifiers,
    stageChangedAt: candidacy.stageChangedAt,
    stageChangedBy: candidacy.stageChangedBy,
    createdAt: candidacy.createdAt,
    updatedAt: candidacy.updatedAt,
  }
}

export function listItemView(principal: Principal, { candidacy, person }: CandidacyListItem, now: Date) {
  const base = {
    id: candidacy.id,
    stage: candidacy.stage,
    introducedAt: candidacy.introducedAt,
    person,
    createdAt: candidacy.createdAt,
  }
  return principal.role === 'client'
    ? base
    : { ...base, consentState: effectiveConsentState(candidacy, now), noticeDueAt: candidacy.noticeDueAt }
}
