import formbody from '@fastify/formbody'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  CANDIDATE_PAGES_TAG,
  FORM_URLENCODED,
  htmlResponses,
  pageQuery,
  refusalMessage,
  refuseForm,
  requestedLanguage,
  tokenParams,
} from '../../lib/candidate-pages'
import { jurisdictionTimeZone } from '../../lib/deadlines'
import type { Language } from '../../lib/languages'
import { messagePageHtml, pageMessages, renderPage, sendTokenPage } from '../../lib/page'
import { hashLinkToken, issueFormToken, isWellFormedLinkToken } from '../../lib/tokens'
import { publicRoute } from '../../plugins/access'
import { pageErrorHandler } from '../../plugins/errors'
import { findLink, findLinkContext } from '../consent/links.service'
import { findArtefact, registerRequest } from './requests.service'

/**
 * "See or delete my data", linked from every mail: holding the link proves control of the address,
 * so the request is born verified (Art. 12(2): make exercising rights easy). And the download of an
 * access answer, through a link that stops working after a while.
 */
export const requestPages: FastifyPluginAsyncZod = async (app) => {
  await app.register(formbody, { bodyLimit: 4096 })
  app.setErrorHandler(pageErrorHandler)
  const secret = app.config.SERVER_SECRET
  const ownOrigin = new URL(app.config.publicBaseUrl).origin
  const tags = [CANDIDATE_PAGES_TAG]
  const pageConfig = (reason: string) => ({
    ...publicRoute(reason),
    rateLimit: app.publicRateLimit,
    candidatePage: true as const,
  })
  const config = pageConfig('self-service link in mail')

  const send = sendTokenPage
  const invalid = (reply: FastifyReply, language: Language = 'nl') =>
    send(reply, 404, messagePageHtml(app.services.templates, app.config, language, 'invalid'))

  async function selfServiceContext(token: string) {
    if (!isWellFormedLinkToken(token)) return undefined
    const context = await findLinkContext(app.db, hashLinkToken(token))
    if (context?.link.action !== 'self_service' || !context.candidacy.personId) return undefined
    return context
  }

  const languageOf = (request: FastifyRequest, fallback: Language) => requestedLanguage(request) ?? fallback

  app.get(
    '/r/:token',
    {
      config,
      schema: {
        tags,
        summary: 'The "see or delete my data" page (reads only)',
        params: tokenParams,
        querystring: pageQuery,
        response: htmlResponses([200, 404, 429, 500, 503], 'the page with its two buttons'),
      },
    },
    async (request, reply) => {
      const context = await selfServiceContext(request.params.token)
      if (!context) return invalid(reply, request.query.lang)
      const language = languageOf(request, context.personLanguage ?? context.vacancy.language)
      const m = pageMessages(language)
      const body = app.services.templates.html.render('pages/self-service', {
        m,
        action: request.url,
        formToken: issueFormToken(secret, request.params.token, 'self_service', app.clock.now()),
      })
      const path = request.url.split('?')[0]
      return send(
        reply,
        200,
        renderPage(app.services.templates, app.config, {
          language,
          title: m['self.title']!,
          body,
          m,
          switchUrl: `${path}?lang=${m['lang.other']}`,
        }),
      )
    },
  )

  app.post(
    '/r/:token',
    {
      config,
      schema: {
        tags,
        summary:
          'Ask for access or erasure; the request is born verified and request_received is mailed with the due date',
        params: tokenParams,
        querystring: pageQuery,
        consumes: [FORM_URLENCODED],
        body: z.object({
          type: z.enum(['access', 'erasure']).describe('the button pressed'),
          form: z.string().max(200).optional().describe("the page's form token (a hidden field)"),
        }),
        response: htmlResponses(
          [200, 400, 403, 404, 429, 500, 503],
          'the request registered (or the open one it joined), with its due date',
        ),
      },
    },
    async (request, reply) => {
      const context = await selfServiceContext(request.params.token)
      if (!context) return invalid(reply, request.query.lang)
      const language = languageOf(request, context.personLanguage ?? context.vacancy.language)
      const refusal = refuseForm(request, {
        secret,
        ownOrigin,
        token: request.params.token,
        action: 'self_service',
        now: app.clock.now(),
        presented: request.body.form,
      })
      if (refusal) {
        const page = messagePageHtml(app.services.templates, app.config, language, refusalMessage[refusal])
        return send(reply, 403, page)
      }
      const { request: created } = await registerRequest(
        app.services,
        null,
        {
          type: request.body.type,
          personId: context.candidacy.personId!,
          receivedAt: app.clock.now(),
          channel: 'self_service',
          language,
        },
        { verification: 'self_service_link' },
      )
      const m = pageMessages(language)
      const due = new Intl.DateTimeFormat(m['date.locale'], {
        dateStyle: 'long',
        timeZone: jurisdictionTimeZone(app.config.JURISDICTION),
      }).format(created.dueAt)
      return send(
        reply,
        200,
        messagePageHtml(app.services.templates, app.config, language, 'self.received', {
          type: m[`request.${created.type}`]!,
          due,
        }),
      )
    },
  )

  app.get(
    '/d/:token',
    {
      config: pageConfig('download link of an access answer'),
      schema: {
        tags,
        summary: 'Download an access answer (HTML, or JSON with ?format=json) while the link lasts',
        params: tokenParams,
        // Like the other pages, parameters a mail client appends are ignored.
        querystring: z.object({
          format: z
            .enum(['html', 'json'])
            .default('html')
            .catch('html')
            .describe('html (the default) or json'),
        }),
        response: {
          ...htmlResponses([404, 429, 500, 503]),
          200: {
            description: 'the answer: an HTML page, or with ?format=json a JSON file to keep',
            content: {
              'text/html': { schema: z.string().describe('the answer as an HTML page') },
              'application/json': {
                schema: z.looseObject({}).describe('the same answer as JSON (a download: my-data.json)'),
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const token = request.params.token
      const link = isWellFormedLinkToken(token) ? await findLink(app.db, hashLinkToken(token)) : undefined
      const artefact =
        link?.action === 'download' && link.subjectRequestId
          ? await findArtefact(app.db, link.subjectRequestId)
          : undefined
      const now = app.clock.now()
      if (!link || !artefact || (link.expiresAt && link.expiresAt <= now) || artefact.expiresAt <= now) {
        return send(
          reply,
          404,
          messagePageHtml(app.services.templates, app.config, 'nl', link ? 'download.expired' : 'invalid'),
        )
      }
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer')
      if (request.query.format === 'json') {
        return reply
          .type('application/json; charset=utf-8')
          .header('content-disposition', 'attachment; filename="my-data.json"')
          .send(artefact.json)
      }
      return reply.type('text/html; charset=utf-8').send(artefact.html)
    },
  )
}
