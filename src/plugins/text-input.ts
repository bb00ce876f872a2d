import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../lib/problems'

/** The first string (or key) holding U+0000, as a field path like `body.facts.0.value`; undefined if none. */
export function nulField(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, inner] of Object.entries(value)) {
    const field = `${path}.${key}`
    if (key.includes('\u0000')) return path
    const found = nulField(inner, field)
    if (found) return found
  }
  return undefined
}

/**
 * PostgreSQL cannot store U+0000 in text (SQLSTATE 22021) or jsonb (22P05): refused before
 * validation with a field error, on every route, instead of failing in the database as a 500.
 */
export const textInputPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('preValidation', async (request) => {
      const field =
        nulField(request.params, 'params') ??
        nulField(request.query, 'querystring') ??
        nulField(request.body, 'body')
      if (field) {
        throw new AppError('request.invalid', 'Some fields are missing or not valid', {
          errors: [{ field, message: 'must not contain the NUL character (U+0000)' }],
        })
      }
    })
  },
  { name: 'text-input' },
)
