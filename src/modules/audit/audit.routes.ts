import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { pageQuery, responses } from '../../lib/schemas'
import { allow } from '../../plugins/access'
import { accessEntryView } from './audit.schemas'
import { listAccessLog } from './audit.service'

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/audit/access',
    {
      config: allow('dpo', 'admin'),
      schema: {
        tags: ['audit'],
        summary: "Who read or exported a person's data, when and through which route",
        querystring: z.strictObject({
          personId: z.uuid().optional(),
          userId: z.uuid().optional(),
          ...pageQuery,
        }),
        response: responses({ 200: z.array(accessEntryView) }),
      },
    },
    async (request) => listAccessLog(app.db, request.query),
  )
}
