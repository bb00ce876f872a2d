import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { JobDefinition } from '../../plugins/workers'
import { reconcileErasures, runErasure } from './erasure.service'
import { remindDpos } from './reminders.service'
import { deleteExpiredArtefacts } from './requests.service'

const erasurePayload = z.strictObject({ requestId: z.uuid() })

export function requestJobs(app: FastifyInstance): JobDefinition[] {
  const deps = app.services
  return [
    {
      queue: 'maintenance',
      name: 'erasure',
      process: async (job) => runErasure(deps, erasurePayload.parse(job.data).requestId),
    },
    {
      queue: 'maintenance',
      name: 'reconcile-erasures',
      repeat: { every: app.config.RECONCILE_INTERVAL_SECONDS * 1000 },
      process: () => reconcileErasures(deps, { olderThanMs: app.config.RECONCILE_AFTER_SECONDS * 1000 }),
    },
    {
      queue: 'maintenance',
      name: 'dpo-deadline-reminders',
      repeat: { pattern: '0 7 * * *' },
      process: () => remindDpos(deps),
    },
    {
      queue: 'maintenance',
      name: 'request-artefacts-cleanup',
      repeat: { pattern: '45 3 * * *' },
      // An access answer holds everything about the person: it does not outlive its download link.
      process: () => deleteExpiredArtefacts(app.db, app.clock.now()),
    },
  ]
}
