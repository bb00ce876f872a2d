import formbody from '@fastify/formbody'
import multipart from '@fastify/multipart'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { processShare } from '../../config'
import { type Language, languages } from '../../lib/languages'
import { messagePageHtml, renderPage, sendTokenPage } from '../../lib/page'
import { formToken, formTokenMatches, isWellFormedLinkToken } from '../../lib/tokens'
import { publicRoute } from '../../plugins/access'
import { toAppError } from '../../plugins/errors'
import { answerConsent, type LinkOutcome, messagesFor, viewLink, withdrawByLink } from './consent.service'

const tokenParams = z.strictObject({ token: z.string().max(200) })
const pageQuery = z.object({ lang: z.enum(languages).optional() })
const html = { 200: z.string().describe('text/html page') }

/** The candidate's pages: plain HTML in Dutch or English, no JavaScript, no cookies. */
export const consentPages: FastifyPluginAsyncZod = async (app) => {
  // One-click unsubscribe (RFC 8058) arrives from mail providers as a form, urlencoded or multipart.
  await app.register(formbody, { bodyLimit: 4096 })
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fields: 5, fileSize: 0, files: 0, fieldSize: 1024 },
  })

  const secret = app.config.SERVER_SECRET
  const tags = ['candidate pages']

  function render(
    reply: FastifyReply,
    request: FastifyRequest,
    outcome: LinkOutcome,
    extra: { token?: string } = {},
  ) {
    const requested = (request.query as { lang?: Language }).lang
    const language: Language = requested ?? (outcome.kind === 'invalid' ? 'nl' : outcome.language)
    const m = messagesFor(language)
    const path = request.url.split('?')[0]
    let title: string
    let body: string
    switch (outcome.kind) {
      case 'consent_form':
        title = m['consent.title']!
        body = app.services.templates.html.render('pages/consent', {
          m,
          consentText: outcome.consentText,
          action: request.url,
          formToken: formToken(secret, extra.token!, 'consent'),
        })
        break
      case 'withdraw_form':
        title = m[outcome.objection ? 'object.title' : 'withdraw.title']!
        body = app.services.templates.html.render('pages/withdraw', {
          m,
          objection: outcome.objection,
          action: request.url,
          formToken: formToken(secret, extra.token!, 'withdraw'),
        })
        break
      case 'state': {
        const key = {
          given: 'consent.given',
          declined: 'consent.declined',
          withdrawn: 'consent.withdrawn',
          expired: 'consent.expired',
          closed: 'consent.closed',
          withdraw_done: 'withdraw.done',
          objection_done: 'object.done',
        }[outcome.state]
        title = m[`${key}.title`]!
        body = app.services.templates.html.render('pages/message', {
          heading: title,
          message: m[`${key}.body`],
        })
        break
      }
      default:
        title = m['invalid.title']!
        body = app.services.templates.html.render('pages/message', {
          heading: title,
          message: m['invalid.body'],
        })
    }
    const page = renderPage(app.services.templates, app.config, {
      language,
      title,
      body,
      m,
      switchUrl: `${path}?lang=${m['lang.other']}`,
    })
    return sendTokenPage(reply, outcome.kind === 'invalid' ? 404 : 200, page)
  }

  // The candidate reads pages, not problem documents: errors on these routes answer in HTML too.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error, request)
    if (appError.status >= 500) request.log.error({ err: error }, 'page failed')
    if (appError.code === 'request.rate_limited') {
      return messagePage(reply.code(429), (request.query as { lang?: Language }).lang, 'ratelimit')
    }
    if (appError.status >= 500) return messagePage(reply.code(500), undefined, 'invalid')
    return render(reply, request, { kind: 'invalid' })
  })

  const routeConfig = (reason: string) => ({ ...publicRoute(reason), rateLimit: app.publicRateLimit })
  const pageResponses = { ...html, 403: html[200], 404: html[200], 429: html[200] }

  /** A form POST must come from our own page: same-origin (Fetch Metadata) and carrying the page's form token. */
  function fromOurPage(request: FastifyRequest, token: string, action: string, presented: unknown): boolean {
    const site = request.headers['sec-fetch-site']
    if (site && site !== 'same-origin' && site !== 'none') return false
    return formTokenMatches(secret, token, action, typeof presented === 'string' ? presented : undefined)
  }

  /** A page with one message (form refused, too many attempts), without anything about the link. */
  function messagePage(reply: FastifyReply, language: Language | undefined, key: string) {
    const page = messagePageHtml(app.services.templates, app.config, language ?? 'nl', key)
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page)
  }

  const refusedForm = (reply: FastifyReply, language: Language | undefined) =>
    messagePage(reply.code(403), language, 'form.expired')

  // GET only reads: mail scanners fetch links before (or instead of) the candidate.
  for (const [path, action, summary] of [
    ['/c/:token', 'consent', 'The consent page: what we ask, with I consent / No thanks (reads only)'],
    ['/w/:token', 'withdraw', 'The withdraw page: what withdrawing (or objecting) means (reads only)'],
  ] as const) {
    app.get(
      path,
      {
        config: routeConfig(`${action} link in mail`),
        schema: { tags, summary, params: tokenParams, querystring: pageQuery, response: pageResponses },
      },
      async (request, reply) => {
        const { token } = request.params
        if (!isWellFormedLinkToken(token)) return render(reply, request, { kind: 'invalid' })
        return render(reply, request, await viewLink(app.services, token, action), { token })
      },
    )
  }

  app.post(
    '/c/:token',
    {
      config: routeConfig('consent link in mail'),
      schema: {
        tags,
        summary: "Record the candidate's answer (once; clicking again shows it)",
        params: tokenParams,
        querystring: pageQuery,
        body: z.object({ choice: z.enum(['consent', 'decline']), form: z.string().max(200).optional() }),
        response: pageResponses,
      },
    },
    async (request, reply) => {
      const { token } = request.params
      if (!isWellFormedLinkToken(token)) return render(reply, request, { kind: 'invalid' })
      if (!fromOurPage(request, token, 'consent', request.body.form))
        return refusedForm(reply, request.query.lang)
      return render(reply, request, await answerConsent(app.services, token, request.body.choice))
    },
  )

  const isOneClick = (body: unknown) =>
    (body as { 'List-Unsubscribe'?: unknown } | undefined)?.['List-Unsubscribe'] === 'One-Click'

  app.post(
    '/w/:token',
    {
      config: {
        ...routeConfig('withdraw link and RFC 8058 one-click unsubscribe'),
        // One-click POSTs come from mail providers, many candidates behind one address: the limit
        // for a person guessing at links would drop withdrawals (Art. 7(3)), so they count apart.
        // Counted after the body is parsed, since the body is what tells them apart.
        rateLimit: {
          ...app.publicRateLimit,
          hook: 'preHandler',
          keyGenerator: (request) => `${isOneClick(request.body) ? 'one-click' : 'page'}:${request.ip}`,
          max: (request) =>
            isOneClick(request.body)
              ? processShare(app.config, app.config.RATE_LIMIT_ONE_CLICK_PER_MINUTE)
              : app.publicRateLimit.max,
        },
      },
      schema: {
        tags,
        summary:
          'Withdraw (or object): from the page, or one-click with List-Unsubscribe=One-Click (RFC 8058, answered 200)',
        params: tokenParams,
        querystring: pageQuery,
        body: z
          .object({
            form: z.string().max(200).optional(),
            'List-Unsubscribe': z.literal('One-Click').optional(),
          })
          .optional(),
        response: pageResponses,
      },
    },
    async (request, reply) => {
      const { token } = request.params
      if (!isWellFormedLinkToken(token)) return render(reply, request, { kind: 'invalid' })
      // RFC 8058: the provider POSTs without cookies or our form; the unguessable link is the authority.
      const oneClick = isOneClick(request.body)
      if (!oneClick && !fromOurPage(request, token, 'withdraw', request.body?.form)) {
        return refusedForm(reply, request.query.lang)
      }
      return render(
        reply,
        request,
        await withdrawByLink(app.services, token, oneClick ? 'one_click_unsubscribe' : 'withdraw_link'),
      )
    },
  )
}
