import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

/** helmet's headers for HTML (candidate pages, API docs), computed once: they never vary per request. */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader: () => {},
  } as unknown as ServerResponse
  helmet(options)({} as IncomingMessage, response, () => {})
  return headers
}

const pageHeaders = helmetHeaders({
  contentSecurityPolicy: { directives: { 'form-action': ["'self'"], 'frame-ancestors': ["'none'"] } },
})

/** OWASP REST Security Cheat Sheet: what a JSON API answer needs; personal data is never cached on the way. */
const apiHeaders: Record<string, string> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security':
    pageHeaders['strict-transport-security'] ?? 'max-age=31536000; includeSubDomains',
}

/** The headers by kind of answer, for answers sent outside the hooks (the router's own refusals). */
export const securityHeaders = { page: pageHeaders, api: apiHeaders } as const

/**
 * Security headers on every response: helmet's full set on HTML, the REST set on everything else.
 * @fastify/helmet rebuilds helmet's middleware on every request, which cost about a sixth of the
 * authenticated read path's throughput; the headers are the same, so they are built once.
 */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onSend', (_request, reply, payload, done) => {
      const type = reply.getHeader('content-type')
      const html = typeof type === 'string' && type.startsWith('text/html')
      for (const [name, value] of Object.entries(html ? pageHeaders : apiHeaders)) {
        if (!reply.hasHeader(name)) reply.header(name, value)
      }
      done(null, payload)
    })
  },
  { name: 'security-headers' },
)
