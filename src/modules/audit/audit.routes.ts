import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { dateOut, pageQuery, responses } from '../../lib/schemas'
import { allow } from '../../plugins/access'
import { listAccessLog } from './audit.service'
import { accessActions } from './audit.tables'

const accessEntryView = z
  .object({
    id: z.number().int(),
    userId: z.uuid(),
    personId: z.uuid().nullable(),
    candidacyId: z.uuid().nullable(),
    action: z.enum(accessActions),
    route: z.string(),
    at: dateOut,
  })
  .meta({ id: 'AccessLogEntry' })

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
