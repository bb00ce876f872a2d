import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { idParams, responses } from '../../lib/schemas'
import { allow, principalOf } from '../../plugins/access'
import {
  assessmentBody,
  dpiaBody,
  newVacancyBody,
  vacancyListQuery,
  vacancyPatchBody,
  vacancyView,
} from './vacancies.schemas'
import type { VacancyDetail } from './vacancies.service'
import {
  approveVacancyAssessment,
  changeVacancy,
  createVacancy,
  getVacancies,
  getVacancy,
  recordAssessment,
  recordDpia,
} from './vacancies.service'

const view = (vacancy: VacancyDetail) => ({ ...vacancy, dpiaRequired: vacancy.dpiaReasons.length > 0 })

export const vacancyRoutes: FastifyPluginAsyncZod = async (app) => {
  const deps = { db: app.db, clock: app.clock }
  const tags = ['vacancies']

  app.post(
    '/vacancies',
    {
      config: allow('recruiter', 'admin'),
      schema: {
        tags,
        summary: 'Create a vacancy: the purpose and legal basis personal data is processed for',
        body: newVacancyBody,
        response: responses({ 201: vacancyView }, [404]),
      },
    },
    async (request, reply) =>
      reply.code(201).send(view(await createVacancy(deps, principalOf(request), request.body))),
  )

  app.get(
    '/vacancies',
    {
      config: allow('recruiter', 'admin', 'dpo', 'client'),
      schema: {
        tags,
        summary: 'List vacancies (a client user sees its own)',
        querystring: vacancyListQuery,
        response: responses({ 200: z.array(vacancyView) }),
      },
    },
    async (request) => (await getVacancies(app.db, principalOf(request), request.query)).map(view),
  )

  app.get(
    '/vacancies/:id',
    {
      config: allow('recruiter', 'admin', 'dpo', 'client'),
      schema: {
        tags,
        summary: 'Read a vacancy',
        params: idParams,
        response: responses({ 200: vacancyView }, [404]),
      },
    },
    async (request) => view(await getVacancy(app.db, principalOf(request), request.params.id)),
  )

  app.patch(
    '/vacancies/:id',
    {
      config: allow('recruiter', 'admin'),
      schema: {
        tags,
        summary: 'Edit a vacancy or move it draft → open → closed',
        description:
          'Opening needs a processing agreement with the client, an approved legitimate-interest assessment for ' +
          'a legitimate-interest vacancy, and a DPIA when one is required; each refusal is a 409 problem.',
        params: idParams,
        body: vacancyPatchBody,
        response: responses({ 200: vacancyView }, [404, 409]),
      },
    },
    async (request) => view(await changeVacancy(deps, principalOf(request), request.params.id, request.body)),
  )

  app.post(
    '/vacancies/:id/assessment',
    {
      config: allow('recruiter', 'admin', 'dpo'),
      schema: {
        tags,
        summary:
          'Record or revise the legitimate-interest assessment (Art. 6(1)(f)); a revision needs approval again',
        params: idParams,
        body: assessmentBody,
        response: responses({ 200: vacancyView }, [404, 409]),
      },
    },
    async (request) =>
      view(await recordAssessment(deps, principalOf(request), request.params.id, request.body)),
  )

  app.post(
    '/vacancies/:id/assessment/approve',
    {
      config: allow('dpo', 'admin'),
      schema: {
        tags,
        summary: 'Approve the legitimate-interest assessment (DPO or admin)',
        params: idParams,
        response: responses({ 200: vacancyView }, [404, 409]),
      },
    },
    async (request) => view(await approveVacancyAssessment(deps, principalOf(request), request.params.id)),
  )

  app.post(
    '/vacancies/:id/dpia',
    {
      config: allow('dpo', 'admin'),
      schema: {
        tags,
        summary: 'Record the data protection impact assessment (Art. 35)',
        params: idParams,
        body: dpiaBody,
        response: responses({ 200: vacancyView }, [404]),
      },
    },
    async (request) => view(await recordDpia(deps, principalOf(request), request.params.id, request.body)),
  )
}
