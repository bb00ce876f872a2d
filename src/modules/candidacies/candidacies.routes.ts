import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { idParams, responses } from '../../lib/schemas'
import type { Principal } from '../../plugins/access'
import { allow, principalOf } from '../../plugins/access'
import { ledgerEventView } from '../ledger/ledger.schemas'
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
import { listCandidacies, readCandidacy, readLedger } from './candidacies.service'
import { candidacyViewFor, listItemView } from './candidacies.views'
import { addFacts, rectifyFact, rectifyPerson } from './facts.service'
import { sourceCandidate } from './sourcing.service'
import { changeStage, introduceCandidate } from './stages.service'

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

  app.post(
    '/candidacies/:id/introduce',
    {
      config: allow('recruiter', 'admin'),
      schema: {
        tags: ['consent'],
        summary:
          'Introduce the candidate to the client: only with live consent for this vacancy (409 consent-required)',
        params: idParams,
        body: z
          .strictObject({ reason: z.string().trim().min(1).max(2000).default('Introduced to the client') })
          .default({ reason: 'Introduced to the client' }),
        response: responses({ 200: candidacyView }, [404, 409]),
      },
    },
    async (request) => {
      const principal = principalOf(request)
      const detail = await introduceCandidate(
        app.services,
        principal,
        request.params.id,
        request.body.reason,
        'POST /candidacies/:id/introduce',
      )
      return candidacyViewFor(principal, detail, app.clock.now())
    },
  )

  app.get(
    '/candidacies/:id/ledger',
    {
      config: allow('recruiter', 'dpo', 'admin'),
      schema: {
        tags: ['ledger'],
        summary: "A candidacy's ledger: every basis, notice, consent and change, hash-chained",
        params: idParams,
        response: responses({ 200: z.array(ledgerEventView) }, [404]),
      },
    },
    async (request) => readLedger(app.services, request.params.id),
  )
}
