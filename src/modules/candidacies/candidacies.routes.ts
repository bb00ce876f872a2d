import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { idParams, responses } from '../../lib/schemas'
import type { Principal } from '../../plugins/access'
import { allow, principalOf } from '../../plugins/access'
import { introduceCandidate } from '../consent/consent.service'
import type { CandidacyListItem } from './candidacies.repository'
import {
  candidacyListItemView,
  candidacyListQuery,
  candidacyView,
  factIdParams,
  factPatchBody,
  factsBody,
  personPatchBody,
  sourcingBody,
  stageBody,
} from './candidacies.schemas'
import {
  addFacts,
  type CandidacyDetail,
  changeStage,
  effectiveConsentState,
  listCandidacies,
  readCandidacy,
  rectifyFact,
  rectifyPerson,
  sourceCandidate,
} from './candidacies.service'

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

function listItemView(principal: Principal, { candidacy, person }: CandidacyListItem, now: Date) {
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

export const candidacyRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['candidacies']
  const staff = allow('recruiter', 'dpo', 'admin')
  const read = async (principal: Principal, id: string, route: string) =>
    candidacyViewFor(principal, await readCandidacy(app.services, principal, id, route), app.clock.now())

  app.post(
    '/vacancies/:id/candidacies',
    {
      config: allow('recruiter', 'admin'),
      schema: {
        tags,
        summary: 'Source a candidate into an open vacancy, with the source of every fact',
        description:
          'The person is found again by normalised e-mail address. Refused with 409 when the vacancy is not open, the ' +
          'address is suppressed, a special-category fact lacks its basis, or a consent vacancy is given facts before consent.',
        params: idParams,
        body: sourcingBody,
        response: responses({ 201: candidacyView }, [404, 409]),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request)
      const detail = await sourceCandidate(app.services, principal, request.params.id, request.body)
      return reply.code(201).send(candidacyViewFor(principal, detail, app.clock.now()))
    },
  )

  app.get(
    '/vacancies/:id/candidacies',
    {
      config: allow('recruiter', 'dpo', 'admin', 'client'),
      schema: {
        tags,
        summary: "List a vacancy's candidacies (a client user sees those introduced to it)",
        params: idParams,
        querystring: candidacyListQuery,
        response: responses({ 200: z.array(candidacyListItemView) }, [404]),
      },
    },
    async (request) => {
      const principal = principalOf(request)
      const items = await listCandidacies(
        app.services,
        principal,
        request.params.id,
        request.query,
        'GET /vacancies/:id/candidacies',
      )
      return items.map((item) => listItemView(principal, item, app.clock.now()))
    },
  )

  app.get(
    '/candidacies/:id',
    {
      config: allow('recruiter', 'dpo', 'admin', 'client'),
      schema: {
        tags,
        summary:
          'Read a candidacy: person, facts with sources, stage, basis, deadlines (written to the access log)',
        params: idParams,
        response: responses({ 200: candidacyView }, [404]),
      },
    },
    async (request) => read(principalOf(request), request.params.id, 'GET /candidacies/:id'),
  )

  app.post(
    '/candidacies/:id/facts',
    {
      config: allow('recruiter', 'admin'),
      schema: {
        tags,
        summary: 'Add facts, each with its source',
        params: idParams,
        body: factsBody,
        response: responses({ 201: candidacyView }, [404, 409]),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request)
      const detail = await addFacts(
        app.services,
        principal,
        request.params.id,
        request.body.facts,
        'POST /candidacies/:id/facts',
      )
      return reply.code(201).send(candidacyViewFor(principal, detail, app.clock.now()))
    },
  )

  app.patch(
    '/candidacies/:id/facts/:factId',
    {
      config: staff,
      schema: {
        tags,
        summary: 'Rectify a fact (Art. 16): the old value is not kept',
        params: factIdParams,
        body: factPatchBody,
        response: responses({ 200: candidacyView }, [404, 409]),
      },
    },
    async (request) => {
      const principal = principalOf(request)
      const detail = await rectifyFact(
        app.services,
        principal,
        request.params.id,
        request.params.factId,
        request.body,
        'PATCH /candidacies/:id/facts/:factId',
      )
      return candidacyViewFor(principal, detail, app.clock.now())
    },
  )

  app.patch(
    '/candidacies/:id/person',
    {
      config: staff,
      schema: {
        tags,
        summary: "Rectify the person's data (Art. 16): the old values are not kept",
        params: idParams,
        body: personPatchBody,
        response: responses({ 200: candidacyView }, [404, 409]),
      },
    },
    async (request) => {
      const principal = principalOf(request)
      const detail = await rectifyPerson(
        app.services,
        principal,
        request.params.id,
        request.body,
        'PATCH /candidacies/:id/person',
      )
      return candidacyViewFor(principal, detail, app.clock.now())
    },
  )

  app.post(
    '/candidacies/:id/stage',
    {
      config: allow('recruiter', 'admin'),
      schema: {
        tags,
        summary: 'Move a candidacy to its next stage: a human decision with a reason (Art. 22)',
        description:
          'introduced needs live consent for this vacancy (409 consent-required), as POST /candidacies/:id/introduce.',
        params: idParams,
        body: stageBody,
        response: responses({ 200: candidacyView }, [404, 409]),
      },
    },
    async (request) => {
      const principal = principalOf(request)
      const { stage, reason } = request.body
      const route = 'POST /candidacies/:id/stage'
      const detail =
        stage === 'introduced'
          ? await introduceCandidate(app.services, principal, request.params.id, reason, route)
          : await changeStage(app.services, principal, request.params.id, { stage, reason }, route)
      return candidacyViewFor(principal, detail, app.clock.now())
    },
  )
}
