import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { idParams, responses } from '../../lib/schemas'
import { allow, principalOf } from '../../plugins/access'
import { agreementView, clientView, newAgreementBody, newClientBody } from './clients.schemas'
import { createClient, getClient, getClients, recordAgreement } from './clients.service'

export const clientRoutes: FastifyPluginAsyncZod = async (app) => {
  const deps = { db: app.db, clock: app.clock }

  app.post(
    '/clients',
    {
      config: allow('recruiter', 'admin'),
      schema: {
        tags: ['clients'],
        summary: 'Create a client',
        body: newClientBody,
        response: responses({ 201: clientView }),
      },
    },
    async (request, reply) => reply.code(201).send(await createClient(deps, request.body)),
  )

  app.get(
    '/clients',
    {
      config: allow('recruiter', 'admin', 'dpo', 'client'),
      schema: {
        tags: ['clients'],
        summary: 'List clients (a client user sees its own)',
        response: responses({ 200: z.array(clientView) }),
      },
    },
    async (request) => getClients(app.db, principalOf(request)),
  )

  app.get(
    '/clients/:id',
    {
      config: allow('recruiter', 'admin', 'dpo', 'client'),
      schema: {
        tags: ['clients'],
        summary: 'Read a client and its processing agreements',
        params: idParams,
        response: responses({ 200: clientView }, [404]),
      },
    },
    async (request) => getClient(app.db, principalOf(request), request.params.id),
  )

  app.post(
    '/clients/:id/agreements',
    {
      config: allow('recruiter', 'admin', 'dpo'),
      schema: {
        tags: ['clients'],
        summary: 'Record a processing agreement (Art. 26/28) signed with the client',
        params: idParams,
        body: newAgreementBody,
        response: responses({ 201: agreementView }, [404]),
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await recordAgreement(deps, principalOf(request), request.params.id, request.body)),
  )
}
