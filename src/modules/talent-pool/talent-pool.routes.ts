import formbody from '@fastify/formbody'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  CANDIDATE_PAGES_TAG,
  FORM_URLENCODED,
  htmlResponses,
  refusalMessage,
  refuseForm,
  tokenParams,
} from '../../lib/candidate-pages'
import { messagePageHtml, pageMessages, renderPage, sendTokenPage } from '../../lib/page'
import { dateOut, idParams, responses } from '../../lib/schemas'
import { issueFormToken, isWellFormedLinkToken } from '../../lib/tokens'
import { allow, principalOf, publicRoute } from '../../plugins/access'
import { pageErrorHandler } from '../../plugins/errors'
import {
  answerTalentPool,
  requestTalentPool,
  type TalentPoolOutcome,
  viewTalentPoolLink,
} from './talent-pool.service'

export const talentPoolRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(formbody, { bodyLimit: 4096 })
  const secret = app.config.SERVER_SECRET
  const ownOrigin = new URL(app.config.publicBaseUrl).origin

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
      formToken: issueFormToken(secret, token, 'talent_pool', app.clock.now()),
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

  const config = {
    ...publicRoute('talent-pool link in mail'),
    rateLimit: app.publicRateLimit,
    candidatePage: true as const,
  }

  app.get(
    '/t/:token',
    {
      config,
      // The API routes of this plugin answer problem documents; these pages answer pages.
      errorHandler: pageErrorHandler,
      schema: {
        tags: [CANDIDATE_PAGES_TAG],
        summary: 'The talent-pool consent page (reads only)',
        params: tokenParams,
        response: htmlResponses([200, 404, 429, 500, 503]),
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
      // The API routes of this plugin answer problem documents; these pages answer pages.
      errorHandler: pageErrorHandler,
      schema: {
        tags: [CANDIDATE_PAGES_TAG],
        summary: 'Record the answer to a talent-pool request',
        params: tokenParams,
        consumes: [FORM_URLENCODED],
        body: z.object({ choice: z.enum(['consent', 'decline']), form: z.string().max(200).optional() }),
        response: htmlResponses([200, 400, 403, 404, 429, 500, 503]),
      },
    },
    async (request, reply) => {
      const { token } = request.params
      if (!isWellFormedLinkToken(token)) return show(reply, { kind: 'invalid' }, token, request.url)
      const refusal = refuseForm(request, {
        secret,
        ownOrigin,
        token,
        action: 'talent_pool',
        now: app.clock.now(),
        presented: request.body.form,
      })
      if (refusal) {
        return send(
          reply,
          403,
          messagePageHtml(app.services.templates, app.config, 'nl', refusalMessage[refusal]),
        )
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
