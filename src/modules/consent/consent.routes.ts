import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { languages } from '../../lib/languages'
import { dateOut, idParams, responses } from '../../lib/schemas'
import { allow, principalOf } from '../../plugins/access'
import { requestConsent } from './consent.service'

const consentRequestView = z
  .object({
    consentUrl: z.url(),
    withdrawUrl: z.url(),
    consentTextHash: z.string().describe('SHA-256 of the exact text shown'),
    expiresAt: dateOut,
    language: z.enum(languages),
  })
  .meta({ id: 'ConsentRequest' })

export const consentRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['consent']

  app.post(
    '/candidacies/:id/consent-requests',
    {
      config: allow('recruiter', 'admin'),
      schema: {
        tags,
        summary:
          'Ask for consent: stores the exact text, makes the consent and withdraw links, records consent_requested',
        params: idParams,
        response: responses({ 201: consentRequestView }, [404, 409]),
      },
    },
    async (request, reply) => {
      const result = await requestConsent(app.services, principalOf(request), request.params.id)
      return reply.code(201).send({
        consentUrl: result.consent.url,
        withdrawUrl: result.withdraw.url,
        consentTextHash: result.consentTextHash,
        expiresAt: result.expiresAt,
        language: result.language,
      })
    },
  )
}
