import formbody from '@fastify/formbody'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { jurisdictionTimeZone } from '../../lib/deadlines'
import { type Language, languages } from '../../lib/languages'
import { messagePageHtml, pageMessages, renderPage, sendTokenPage } from '../../lib/page'
import { formToken, formTokenMatches, hashLinkToken, isWellFormedLinkToken } from '../../lib/tokens'
import { publicRoute } from '../../plugins/access'
import { findLink, findLinkContext } from '../consent/links.service'
import { findArtefact, registerRequest } from './requests.service'

const tokenParams = z.strictObject({ token: z.string().max(200) })
const html = z.string().describe('text/html page')

/**
 * "See or delete my data", linked from every mail: holding the link proves control of the address,
 * so the request is born verified (Art. 12(2): make exercising rights easy). And the download of an
 * access answer, through a link that stops working after a while.
 */
export const requestPages: FastifyPluginAsyncZod = async (app) => {
  await app.register(formbody, { bodyLimit: 4096 })
  const secret = app.config.SERVER_SECRET
  const tags = ['candidate pages']
  const config = { ...publicRoute('self-service link in mail'), rateLimit: app.publicRateLimit }
  const pageResponses = { 200: html, 403: html, 404: html, 429: html }

  const send = sendTokenPage
  const invalid = (reply: FastifyReply, language: Language = 'nl') =>
    send(reply, 404, messagePageHtml(app.services.templates, app.config, language, 'invalid'))

  async function selfServiceContext(token: string) {
    if (!isWellFormedLinkToken(token)) return undefined
    const context = await findLinkContext(app.db, hashLinkToken(token))
    if (context?.link.action !== 'self_service' || !context.candidacy.personId) return undefined
    return context
  }

  const languageOf = (request: FastifyRequest, fallback: Language) =>
    (request.query as { lang?: Language }).lang ?? fallback

  app.get(
    '/r/:token',
    {
      config,
      schema: {
        tags,
        summary: 'The "see or delete my data" page (reads only)',
        params: tokenParams,
        querystring: z.object({ lang: z.enum(languages).optional() }),
        response: pageResponses,
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
        formToken: formToken(secret, request.params.token, 'self_service'),
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
        querystring: z.object({ lang: z.enum(languages).optional() }),
        body: z.object({ type: z.enum(['access', 'erasure']), form: z.string().max(200).optional() }),
        response: pageResponses,
      },
    },
    async (request, reply) => {
      const context = await selfServiceContext(request.params.token)
      if (!context) return invalid(reply, request.query.lang)
      const language = languageOf(request, context.personLanguage ?? context.vacancy.language)
      const site = request.headers['sec-fetch-site']
      if (
        (site && site !== 'same-origin' && site !== 'none') ||
        !formTokenMatches(secret, request.params.token, 'self_service', request.body.form)
      ) {
        return send(reply, 403, messagePageHtml(app.services.templates, app.config, language, 'form.expired'))
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
      config: { ...publicRoute('download link of an access answer'), rateLimit: app.publicRateLimit },
      schema: {
        tags,
        summary: 'Download an access answer (HTML, or JSON with ?format=json) while the link lasts',
        params: tokenParams,
        querystring: z.object({ format: z.enum(['html', 'json']).default('html') }),
        response: { 200: z.string().describe('the answer, as HTML or JSON'), 404: html, 429: html },
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
