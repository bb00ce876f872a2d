import formbody from '@fastify/formbody'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { messagePageHtml, pageMessages, renderPage, sendTokenPage } from '../../lib/page'
import { dateOut, idParams, responses } from '../../lib/schemas'
import { formToken, formTokenMatches, isWellFormedLinkToken } from '../../lib/tokens'
import { allow, principalOf, publicRoute } from '../../plugins/access'
import {
  answerTalentPool,
  requestTalentPool,
  type TalentPoolOutcome,
  viewTalentPoolLink,
} from './talent-pool.service'

const tokenParams = z.strictObject({ token: z.string().max(200) })
const html = z.string().describe('text/html page')

export const talentPoolRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(formbody, { bodyLimit: 4096 })
  const secret = app.config.SERVER_SECRET

  app.post(
    '/people/:id/talent-pool-requests',
    {
      config: allow('recruiter', 'admin'),
      schema: {
        tags: ['talent pool'],
        summary: 'Ask a person to be kept for future vacancies (12 months, its own consent text)',
        params: idParams,
        response: responses(
          {
            201: z
              .object({ url: z.url(), consentTextHash: z.string(), linkExpiresAt: dateOut })
              .meta({ id: 'TalentPoolRequest' }),
          },
          [404, 409],
        ),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await requestTalentPool(app.services, principalOf(request), request.params.id)),
  )

  const send = sendTokenPage

  function show(reply: FastifyReply, outcome: TalentPoolOutcome, token: string, action: string) {
    if (outcome.kind === 'invalid')
      return send(reply, 404, messagePageHtml(app.services.templates, app.config, 'nl', 'invalid'))
    const m = pageMessages(outcome.language)
    if (outcome.kind === 'answered') {
      const key = outcome.given ? 'talentpool.given' : 'talentpool.declined'
      return send(reply, 200, messagePageHtml(app.services.templates, app.config, outcome.language, key))
    }
    const body = app.services.templates.html.render('pages/consent', {
      m: { ...m, 'consent.title': m['talentpool.title'] },
      consentText: outcome.text,
      action,
      formToken: formToken(secret, token, 'talent_pool'),
    })
    return send(
      reply,
      200,
      renderPage(app.services.templates, app.config, {
        language: outcome.language,
        title: m['talentpool.title']!,
        body,
        m,
        switchUrl: null,
      }),
    )
  }

  const config = { ...publicRoute('talent-pool link in mail'), rateLimit: app.publicRateLimit }
  const pageResponses = { 200: html, 403: html, 404: html, 429: html }

  app.get(
    '/t/:token',
    {
      config,
      schema: {
        tags: ['candidate pages'],
        summary: 'The talent-pool consent page (reads only)',
        params: tokenParams,
        response: pageResponses,
      },
    },
    async (request, reply) => {
      const { token } = request.params
      if (!isWellFormedLinkToken(token)) return show(reply, { kind: 'invalid' }, token, request.url)
      return show(reply, await viewTalentPoolLink(app.services, token), token, request.url)
    },
  )

  app.post(
    '/t/:token',
    {
      config,
      schema: {
        tags: ['candidate pages'],
        summary: 'Record the answer to a talent-pool request',
        params: tokenParams,
        body: z.object({ choice: z.enum(['consent', 'decline']), form: z.string().max(200).optional() }),
        response: pageResponses,
      },
    },
    async (request, reply) => {
      const { token } = request.params
      if (!isWellFormedLinkToken(token)) return show(reply, { kind: 'invalid' }, token, request.url)
      const site = request.headers['sec-fetch-site']
      if (
        (site && site !== 'same-origin' && site !== 'none') ||
        !formTokenMatches(secret, token, 'talent_pool', request.body.form)
      ) {
        return send(reply, 403, messagePageHtml(app.services.templates, app.config, 'nl', 'form.expired'))
      }
      return show(
        reply,
        await answerTalentPool(app.services, token, request.body.choice === 'consent'),
        token,
        request.url,
      )
    },
  )
}
