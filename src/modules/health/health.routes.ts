import { sql } from 'drizzle-orm'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { within } from '../../lib/time'
import { publicRoute } from '../../plugins/access'

const checkView = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z.record(z.string(), z.enum(['ok', 'unavailable'])),
  })
  .meta({ id: 'Health' })

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health/live',
    {
      config: publicRoute('liveness probe'),
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        summary: 'The process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/health/ready',
    {
      config: publicRoute('readiness probe'),
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        summary: 'PostgreSQL and Redis answer (503 otherwise)',
        response: { 200: checkView, 503: checkView },
      },
    },
    async (_request, reply) => {
      const probe = async (check: () => Promise<unknown>) => {
        try {
          await within(check(), 2000)
          return 'ok' as const
        } catch {
          return 'unavailable' as const
        }
      }
      const [database, redis] = await Promise.all([
        probe(() => app.db.execute(sql`select 1`)),
        probe(() => app.redis.ping()),
      ])
      const healthy = database === 'ok' && redis === 'ok'
      return reply
        .code(healthy ? 200 : 503)
        .send({ status: healthy ? 'ok' : 'unavailable', checks: { database, redis } })
    },
  )
}
