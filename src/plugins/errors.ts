import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { databaseErrorCode, isDatabaseUnavailable } from '../db/errors'
import { AppError, type FieldError, type ProblemCode, toProblem } from '../lib/problems'

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

/**
 * Errors the router meets before a route is chosen (a URL that does not decode, a path
 * parameter past `maxParamLength`): Fastify's `frameworkErrors` option, answered as problems too.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const appError =
    error.code === 'FST_ERR_BAD_URL'
      ? new AppError('request.invalid', 'The URL is not validly encoded')
      : toAppError(error)
  request.log.info({ code: appError.code }, 'request refused')
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
      if (appError.code === 'database.unavailable')
        request.log.warn({ code: databaseErrorCode(error) }, 'database unavailable')
      else if (appError.status >= 500) request.log.error({ err: error }, 'request failed')
      else request.log.info({ code: appError.code }, 'request refused')
      return sendProblem(reply, request, appError)
    })
    app.setNotFoundHandler((request, reply) => sendProblem(reply, request, new AppError('route.not_found')))
  },
  { name: 'errors' },
)
