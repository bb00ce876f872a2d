import type { FastifyServerOptions } from 'fastify'
import type { DestinationStream } from 'pino'
import { redactPaths, redactText, redactUrl } from '../lib/redact'

interface LoggedRequest {
  method: string
  url: string
  id: string
  routeOptions?: { url?: string }
}

/** Errors are logged by type, code and a redacted message; driver errors carry queries, parameters and row values, which are dropped. */
export function serializeError(error: unknown): {
  type: string
  message: string
  stack: string
  [key: string]: unknown
} {
  if (!(error instanceof Error)) return { type: typeof error, message: redactText(String(error)), stack: '' }
  const stack = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '))
  // drizzle wraps driver errors with the SQL and its parameters in the message: values are personal data.
  if ('query' in error && 'params' in error) {
    const cause = error.cause as { code?: unknown; constraint_name?: unknown } | undefined
    return {
      type: 'DatabaseError',
      message: 'a database query failed',
      code: cause?.code,
      constraint: cause?.constraint_name,
      stack: redactText(stack.join('\n')),
    }
  }
  // A driver error's message can quote a value ("invalid input syntax for type uuid: \"…\"").
  const withCode = error as Error & { code?: unknown; statusCode?: unknown; severity?: unknown }
  const fromDatabase = withCode.severity !== undefined
  return {
    type: error.name,
    message: fromDatabase ? redactText(error.message).replace(/"[^"]*"/g, '"…"') : redactText(error.message),
    ...(withCode.code === undefined ? {} : { code: withCode.code }),
    ...(withCode.statusCode === undefined ? {} : { statusCode: withCode.statusCode }),
    stack: redactText(fromDatabase ? stack.join('\n') : (error.stack ?? '')),
  }
}

export function loggerOptions(level: string, stream?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: {
      req: (request: LoggedRequest) => ({
        id: request.id,
        method: request.method,
        // The route pattern (/c/:token) when matched; otherwise the path with tokens and addresses removed.
        url: request.routeOptions?.url ?? redactUrl(request.url),
      }),
      res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
      err: serializeError,
    },
  }
}
