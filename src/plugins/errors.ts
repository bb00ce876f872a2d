import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { databaseErrorCode, isDatabaseUnavailable } from '../db/errors'
import { requestedLanguage } from '../lib/candidate-pages'
import { messagePageHtml, sendTokenPage } from '../lib/page'
import { AppError, type FieldError, type ProblemCode, toProblem } from '../lib/problems'
import { securityHeaders } from './security-headers'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A page a person opens from a link in mail: its errors answer as HTML pages, never as JSON. */
    candidatePage?: true
  }
  interface FastifyRequest {
    /** Set while a page's form body is parsed (see consent.pages.ts): errors then are the client's. */
    readingForm: boolean
  }
  interface FastifyInstance {
    /** Path prefixes of the candidate pages (`/c/`, …), for errors the router meets before any route. */
    candidatePagePrefixes: Set<string>
  }
}

const fastifyCodes: Record<string, ProblemCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'request.body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'request.unsupported_media_type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'request.malformed_body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'request.malformed_body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'request.malformed_body',
  FST_ERR_MAX_PARAM_LENGTH: 'request.uri_too_long',
}

function fieldErrors(error: FastifyError): FieldError[] {
  if (hasZodFastifySchemaValidationErrors(error)) {
    return error.validation.map((issue) => {
      const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.')
      const field = [error.validationContext, path].filter(Boolean).join('.')
      // Zod reports unknown keys on the parent object; name them as fields.
      const keys = (issue.params as { keys?: string[] } | undefined)?.keys
      return keys?.length
        ? { field: keys.map((key) => (field ? `${field}.${key}` : key)).join(', '), message: 'unknown field' }
        : { field: field || '(body)', message: issue.message ?? 'is not valid' }
    })
  }
  return [{ field: error.validationContext ?? '(request)', message: error.message }]
}

/**
 * Turns anything thrown into an RFC 9457 problem; nothing internal (stack, SQL, values) leaves the server.
 * Given the request, a body the client stopped sending (or was cut off for sending too slowly) is
 * told apart from a database connection reset, which Node.js names ECONNRESET as well.
 */
export function toAppError(error: FastifyError | AppError, request?: FastifyRequest): AppError {
  if (error instanceof AppError) return error
  if (request?.raw.destroyed && !request.raw.complete)
    return new AppError('request.malformed_body', 'The body did not arrive whole')
  // Nothing was committed: PostgreSQL was out of reach, busy past its limits, or ended the
  // transaction. The client may try again (RFC 9110 §10.2.3).
  if (isDatabaseUnavailable(error)) {
    return new AppError('database.unavailable', undefined, { headers: { 'retry-after': '5' }, cause: error })
  }
  if (error.validation) {
    return new AppError('request.invalid', 'Some fields are missing or not valid', {
      errors: fieldErrors(error),
    })
  }
  const mapped = error.code ? fastifyCodes[error.code] : undefined
  if (mapped)
    return new AppError(
      mapped,
      mapped === 'request.malformed_body' ? 'The body is not valid JSON' : undefined,
    )
  if (error.statusCode === 429) return new AppError('request.rate_limited')
  if (
    error.statusCode &&
    error.statusCode >= 400 &&
    error.statusCode < 500 &&
    !isResponseSerializationError(error)
  ) {
    return new AppError('request.invalid', error.message)
  }
  return new AppError('server.internal', undefined, { cause: error })
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  if (error.headers) reply.headers(error.headers)
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send(toProblem(error, `urn:candor:request:${request.id}`))
}

function logRefusal(request: FastifyRequest, error: FastifyError | AppError, appError: AppError) {
  if (appError.code === 'database.unavailable')
    request.log.warn({ code: databaseErrorCode(error) }, 'database unavailable')
  else if (appError.status >= 500) request.log.error({ err: error }, 'request failed')
  else request.log.info({ code: appError.code }, 'request refused')
}

/** A page with one message, in the language asked for (or Dutch), naming nobody. */
function sendMessagePage(request: FastifyRequest, reply: FastifyReply, status: number, key: string) {
  const { services, config } = request.server
  const language = requestedLanguage(request) ?? 'nl'
  return sendTokenPage(reply, status, messagePageHtml(services.templates, config, language, key))
}

/**
 * The candidate reads pages, not problem documents: a page plugin's errors answer in HTML. A form
 * that could not be read (malformed, too large, a field missing) asks to open the link again; a
 * path parameter no link has is a link that does not work.
 */
export function pageErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  // Busboy's errors on a malformed multipart body (no boundary, a broken part) carry no status.
  const appError =
    request.readingForm && !(error instanceof AppError) && !error.statusCode
      ? new AppError('request.malformed_body', 'The form could not be read')
      : toAppError(error, request)
  logRefusal(request, error, appError)
  if (appError.headers) reply.headers(appError.headers)
  if (appError.status >= 500) return sendMessagePage(request, reply, appError.status, 'unavailable')
  if (appError.code === 'request.rate_limited') return sendMessagePage(request, reply, 429, 'ratelimit')
  if (request.method === 'POST' && error.validationContext !== 'params')
    return sendMessagePage(request, reply, 400, 'form.expired')
  return sendMessagePage(request, reply, 404, 'invalid')
}

/**
 * What the router refuses before any route runs (Fastify's `frameworkErrors`): a path parameter
 * longer than any we serve, a malformed percent-encoding. On a candidate page it is a link that
 * does not work; elsewhere a problem document, without echoing the path (it may hold a token).
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?')[0] ?? ''
  const page = [...request.server.candidatePagePrefixes].some((prefix) => path.startsWith(prefix))
  const appError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError('request.uri_too_long')
      : error.code === 'FST_ERR_BAD_URL'
        ? new AppError('request.invalid', 'The URL is not valid')
        : new AppError('server.internal', undefined, { cause: error })
  logRefusal(request, error, appError)
  // These answers skip the onSend hooks, where the security headers are set for everything else.
  if (page && appError.status < 500) {
    reply.headers(securityHeaders.page)
    return sendMessagePage(request, reply, 404, 'invalid')
  }
  reply.headers(securityHeaders.api)
  return sendProblem(reply, request, appError)
}

const clientErrorCodes: Record<string, ProblemCode> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'request.timeout',
  HPE_HEADER_OVERFLOW: 'request.headers_too_large',
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (Fastify's `clientErrorHandler`):
 * a problem document written to the socket, as every other error answer.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const code = error.code ? clientErrorCodes[error.code] : undefined
  const appError = code
    ? new AppError(code)
    : new AppError('request.invalid', 'The HTTP request could not be parsed')
  const body = JSON.stringify(toProblem(appError))
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status]}\r\n` +
        `Content-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}

export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const appError = toAppError(error, request)
      logRefusal(request, error, appError)
      return sendProblem(reply, request, appError)
    })
    app.setNotFoundHandler((request, reply) => sendProblem(reply, request, new AppError('route.not_found')))

    app.decorate('candidatePagePrefixes', new Set<string>())
    app.addHook('onRoute', (route) => {
      if (!route.config?.candidatePage) return
      const parameter = route.url.indexOf(':')
      app.candidatePagePrefixes.add(parameter < 0 ? route.url : route.url.slice(0, parameter))
    })
  },
  { name: 'errors' },
)
