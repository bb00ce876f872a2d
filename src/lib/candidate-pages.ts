import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { type Language, languages } from './languages'
import { MAX_PARAM_LENGTH } from './schemas'
import { checkFormToken } from './tokens'

/** What the candidate's token pages (/c, /w, /r, /d, /t) share: their inputs, their answers, their forms. */

export const CANDIDATE_PAGES_TAG = 'candidate pages'

export const tokenParams = z.strictObject({
  token: z.string().max(MAX_PARAM_LENGTH).describe('the link token from the mail (43 characters)'),
})

/**
 * `lang` picks the page's language; a language we do not have falls back to the person's own. Other
 * parameters are ignored, not refused: mail clients and link checkers append tracking parameters
 * (utm_*, …), and a candidate's link must still work.
 */
export const pageQuery = z.object({
  lang: z
    .enum(languages)
    .optional()
    .catch(undefined)
    .describe("the page's language; any other value shows the page in the person's own language"),
})

/** The language a request asks for, read safely also where the query was never validated (error handlers). */
export function requestedLanguage(request: FastifyRequest): Language | undefined {
  const parsed = pageQuery.safeParse(request.query ?? {})
  return parsed.success ? parsed.data.lang : undefined
}

const htmlPage = z.string().describe("an HTML page in the person's language")

const pageAnswers = {
  200: 'the page',
  400: 'the form could not be read: a page asking to open the link again',
  403: 'the form did not come from our page (another site, or open too long): a page asking to open the link again',
  404: 'the link is unknown, malformed or no longer valid: a page saying so, naming nobody',
  429: 'too many attempts from this address: a page asking to wait a minute',
  500: 'something failed on our side: a page asking to try again later',
  503: 'the service cannot answer now: a page asking to try again in a few minutes',
} as const

type PageStatus = keyof typeof pageAnswers
type HtmlAnswer = { description: string; content: { 'text/html': { schema: typeof htmlPage } } }

/** OpenAPI responses of a page: each status an HTML page (not JSON), described by what the person sees. */
export function htmlResponses<Status extends PageStatus>(
  statuses: readonly Status[],
  success: string = pageAnswers[200],
): Record<Status, HtmlAnswer> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: status === 200 ? success : pageAnswers[status],
        content: { 'text/html': { schema: htmlPage } },
      },
    ]),
  ) as Record<Status, HtmlAnswer>
}

/** What a browser's form sends (urlencoded), and what mail providers may send for RFC 8058 (multipart too). */
export const FORM_URLENCODED = 'application/x-www-form-urlencoded'
export const FORM_MULTIPART = 'multipart/form-data'

export type FormRefusal = 'foreign' | 'stale' | 'invalid'

/** The page telling the person why their form was not acted on (templates/pages/messages.*.json). */
export const refusalMessage: Record<FormRefusal, string> = {
  foreign: 'form.foreign',
  stale: 'form.stale',
  invalid: 'form.expired',
}

const originOf = (url: string) => {
  try {
    return new URL(url).origin
  } catch {
    return 'invalid'
  }
}

/**
 * Whether the browser says a POST came from another site (OWASP CSRF cheat sheet: Fetch Metadata,
 * then the source origin). Every signal present must name our origin. Our pages send
 * `Referrer-Policy: no-referrer`, so our own forms arrive with `Origin: null` and no Referer from
 * browsers without Fetch Metadata: that, like a request with neither header, is left to the form
 * token (the cheat sheet allows it where a token is checked).
 */
export function fromAnotherSite(headers: IncomingHttpHeaders, ownOrigin: string): boolean {
  const site = headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true
  const origin = headers.origin
  if (origin !== undefined && origin !== 'null') return origin !== ownOrigin
  const referer = headers.referer
  return referer !== undefined && originOf(referer) !== ownOrigin
}

/** A state-changing POST must come from our own site, with the form token of a page we served within the hour. */
export function refuseForm(
  request: FastifyRequest,
  form: { secret: string; ownOrigin: string; token: string; action: string; now: Date; presented: unknown },
): FormRefusal | undefined {
  if (fromAnotherSite(request.headers, form.ownOrigin)) return 'foreign'
  const check = checkFormToken(form.secret, form.token, form.action, form.presented, form.now)
  return check === 'valid' ? undefined : check === 'expired' ? 'stale' : 'invalid'
}
