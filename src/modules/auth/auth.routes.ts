import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { responses } from '../../lib/schemas'
import { allow, principalOf, publicRoute } from '../../plugins/access'
import { newUserBody, principalView, tokenRequest, tokenResponse, userView } from './auth.schemas'
import { authenticate, createUser, listUsers } from './auth.service'

export const authRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/auth/token',
    {
      config: { ...publicRoute('login'), rateLimit: app.publicRateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Exchange e-mail address and password for a 15-minute access token',
        body: tokenRequest,
        response: responses({ 200: tokenResponse }, [429, 503]),
      },
    },
    async (request) => {
      const user = await authenticate(app.services, request.body.email, request.body.password)
      const accessToken = app.signAccessToken({ userId: user.id, role: user.role, clientId: user.clientId })
      return { accessToken, tokenType: 'Bearer' as const, expiresIn: app.config.ACCESS_TOKEN_TTL_SECONDS }
    },
  )

  app.get(
    '/auth/me',
    {
      config: allow('admin', 'recruiter', 'dpo', 'client'),
      schema: {
        tags: ['auth'],
        summary: 'Who the access token belongs to',
        response: responses({ 200: principalView }),
      },
    },
    async (request) => principalOf(request),
  )

  app.post(
    '/users',
    {
      config: allow('admin'),
      schema: {
        tags: ['auth'],
        summary: 'Create a user (admin)',
        body: newUserBody,
        response: responses({ 201: userView }, [404, 409]),
      },
    },
    async (request, reply) => {
      const user = await createUser({ db: app.db, clock: app.clock }, request.body)
      return reply.code(201).send(user)
    },
  )

  app.get(
    '/users',
    {
      config: allow('admin'),
      schema: {
        tags: ['auth'],
        summary: 'List users (admin)',
        response: responses({ 200: z.array(userView) }),
      },
    },
    async () => listUsers(app.db),
  )
}
