import type { FastifyInstance } from 'fastify'
import type { JobDefinition } from '../../plugins/workers'
import { deleteUnmatchedBefore } from './tracking.service'

export function trackingJobs(app: FastifyInstance): JobDefinition[] {
  return [
    {
      queue: 'maintenance',
      name: 'tracking-unmatched-cleanup',
      repeat: { pattern: '30 3 * * *' },
      // Events about no message of ours hold addresses and IPs for nothing: they go after a few days.
      process: () =>
        deleteUnmatchedBefore(
          app.db,
          new Date(app.clock.now().getTime() - app.config.TRACKING_UNMATCHED_DAYS * 86_400_000),
        ),
    },
  ]
}
