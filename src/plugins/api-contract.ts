import type { FastifyInstance, FastifySchema } from 'fastify'
import fp from 'fastify-plugin'
import { z } from 'zod'
import { problemSchema } from '../lib/schemas'

type Responses = Record<string | number, unknown>

/** A page documents its own answers (HTML, per status); the API's shared problems are not added to it. */
const isPage = (response: Responses) =>
  Object.values(response).some(
    (entry) =>
      typeof entry === 'object' && entry !== null && 'content' in entry && !(entry instanceof z.ZodType),
  )

/**
 * What every API operation shares, declared once instead of on each route:
 * - a query parameter the operation does not know is refused (400), the same everywhere: a
 *   route without a querystring schema gets an empty strict one;
 * - the problems any operation can answer are in its documented responses: 400 for a query
 *   it does not take or a NUL character (see text-input.ts), 503 when the
 *   database or the service is not available, 413 and 415 for a body, 414 for a path parameter
 *   longer than the router takes.
 */
export const apiContractPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRoute', (route) => {
      const schema: FastifySchema | undefined = route.schema
      // Candidate pages ignore parameters a mail client appends and answer in HTML (errors.ts).
      if (!schema || schema.hide || route.config?.candidatePage) return
      schema.response ??= {}
      const response = schema.response as Responses
      if (isPage(response)) return
      schema.querystring ??= z.strictObject({})
      const document = (status: number) => {
        response[status] ??= problemSchema
      }
      document(400)
      document(503)
      if (schema.body) {
        document(413)
        document(415)
      }
      if (schema.params) document(414)
    })
  },
  { name: 'api-contract' },
)
