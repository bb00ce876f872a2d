import formbody from '@fastify/formbody'
import multipart from '@fastify/multipart'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { processShare } from '../../config'
import {
  CANDIDATE_PAGES_TAG,
  FORM_MULTIPART,
  FORM_URLENCODED,
  type FormRefusal,
  htmlResponses,
  pageQuery,
  refusalMessage,
  refuseForm,
  requestedLanguage,
  tokenParams,
} from '../../lib/candidate-pages'
import type { Language } from '../../lib/languages'
import { messagePageHtml, renderPage, sendTokenPage } from '../../lib/page'
import { issueFormToken, isWellFormedLinkToken } from '../../lib/tokens'
import { publicRoute } from '../../plugins/access'
import { pageErrorHandler } from '../../plugins/errors'
import {
  answerConsent,
  type LinkOutcome,
  linkLanguage,
  messagesFor,
  viewLink,
  withdrawByLink,
} from './consent.service'

const formField = z.string().max(200).optional().describe("the page's form token (a hidden field)")

/** The candidate's pages: plain HTML in Dutch or English, no JavaScript, no cookies. */
export const consentPages: FastifyPluginAsyncZod = async (app) => {
  // One-click unsubscribe (RFC 8058) arrives from mail providers as a form, urlencoded or multipart.
  await app.register(formbody, { bodyLimit: 4096 })
  // The multipart parser reads the body in a preValidation hook; the hooks around it mark its errors.
  app.decorateRequest('readingForm', false)
  app.addHook('preValidation', async (request) => {
    request.readingForm = true
  })
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fields: 5, fileSize: 0, files: 0, fieldSize: 1024 },
  })
  app.addHook('preValidation', async (request) => {
    request.readingForm = false
  })

  const secret = app.config.SERVER_SECRET
  const ownOrigin = new URL(app.config.publicBaseUrl).origin
  const tags = [CANDIDATE_PAGES_TAG]

  function render(
    reply: FastifyReply,
    request: FastifyRequest,
    outcome: LinkOutcome,
    extra: { token?: string } = {},
  ) {
    const language: Language =
      requestedLanguage(request) ?? (outcome.kind === 'invalid' ? 'nl' : outcome.language)
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
          formToken: issueFormToken(secret, extra.token!, 'consent', app.clock.now()),
        })
        break
      case 'withdraw_form':
        title = m[outcome.objection ? 'object.title' : 'withdraw.title']!
        body = app.services.templates.html.render('pages/withdraw', {
          m,
          objection: outcome.objection,
          action: request.url,
          formToken: issueFormToken(secret, extra.token!, 'withdraw', app.clock.now()),
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

  app.setErrorHandler(pageErrorHandler)

  const routeConfig = (reason: string) => ({
    ...publicRoute(reason),
    rateLimit: app.publicRateLimit,
    candidatePage: true as const,
  })
  const getResponses = (success: string) => htmlResponses([200, 404, 429, 500, 503], success)
  const postResponses = (success: string) => htmlResponses([200, 400, 403, 404, 429, 500, 503], success)

  /** Why a form was not acted on, in the page's language (the link's, unless another was asked for). */
  async function refused(
    reply: FastifyReply,
    request: FastifyRequest,
    link: { token: string; action: 'consent' | 'withdraw' },
    refusal: FormRefusal,
  ) {
    const { token, action } = link
    const language =
      requestedLanguage(request) ?? (await linkLanguage(app.services, token, action)) ?? ('nl' as const)
    const page = messagePageHtml(app.services.templates, app.config, language, refusalMessage[refusal])
    return sendTokenPage(reply, 403, page)
  }

  const formRefusal = (request: FastifyRequest, token: string, action: string, presented: unknown) =>
    refuseForm(request, { secret, ownOrigin, token, action, now: app.clock.now(), presented })

  // GET only reads: mail scanners fetch links before (or instead of) the candidate.
  for (const [path, action, summary] of [
    ['/c/:token', 'consent', 'The consent page: what we ask, with I consent / No thanks (reads only)'],
    ['/w/:token', 'withdraw', 'The withdraw page: what withdrawing (or objecting) means (reads only)'],
  ] as const) {
    app.get(
      path,
      {
        config: routeConfig(`${action} link in mail`),
        schema: {
          tags,
          summary,
          params: tokenParams,
          querystring: pageQuery,
          response: getResponses(`the ${action} page, or the link's state when it has been answered`),
        },
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
        consumes: [FORM_URLENCODED, FORM_MULTIPART],
        body: z.object({
          choice: z.enum(['consent', 'decline']).describe('the button pressed'),
          form: formField,
        }),
        response: postResponses('the answer recorded, or the one recorded before'),
      },
    },
    async (request, reply) => {
      const { token } = request.params
      if (!isWellFormedLinkToken(token)) return render(reply, request, { kind: 'invalid' })
      const refusal = formRefusal(request, token, 'consent', request.body.form)
      if (refusal) return refused(reply, request, { token, action: 'consent' }, refusal)
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
        consumes: [FORM_URLENCODED, FORM_MULTIPART],
        body: z.object({
          form: formField,
          'List-Unsubscribe': z
            .literal('One-Click')
            .optional()
            .describe('RFC 8058 one-click unsubscribe, as mail providers send it; no form token needed'),
        }),
        response: postResponses('the withdrawal (or objection) done, or done before'),
      },
    },
    async (request, reply) => {
      const { token } = request.params
      if (!isWellFormedLinkToken(token)) return render(reply, request, { kind: 'invalid' })
      // RFC 8058: the provider POSTs from its own servers, without our page or its form token; the
      // unguessable link is the authority, so neither the origin nor a form token is asked for.
      const oneClick = isOneClick(request.body)
      const refusal = oneClick ? undefined : formRefusal(request, token, 'withdraw', request.body.form)
      if (refusal) return refused(reply, request, { token, action: 'withdraw' }, refusal)
      return render(
        reply,
        request,
        await withdrawByLink(app.services, token, oneClick ? 'one_click_unsubscribe' : 'withdraw_link'),
      )
    },
  )
}
