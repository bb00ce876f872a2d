import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { JobDefinition } from '../../plugins/workers'
import {
  reconcileOutreach,
  scheduleArt14Notices,
  scheduleConsentReminders,
  sendMessage,
} from './outreach.service'

/** Job payloads carry ids only: BullMQ keeps them in clear text in Redis. */
const sendPayload = z.strictObject({ messageId: z.uuid() })

export function outreachJobs(app: FastifyInstance): JobDefinition[] {
  const deps = app.services
  const { config } = app
  return [
    {
      queue: 'outreach',
      name: 'send',
      process: async (job) => {
        const { messageId } = sendPayload.parse(job.data)
        const number = job.attemptsMade + 1
        return sendMessage(deps, messageId, { number, last: number >= (job.opts.attempts ?? 1) })
      },
    },
    {
      queue: 'maintenance',
      name: 'reconcile-outreach',
      repeat: { every: config.RECONCILE_INTERVAL_SECONDS * 1000 },
      process: () => reconcileOutreach(deps, { olderThanMs: config.RECONCILE_AFTER_SECONDS * 1000 }),
    },
    {
      queue: 'maintenance',
      name: 'art14-notices',
      repeat: { pattern: '0 * * * *' },
      process: () => scheduleArt14Notices(deps, config.NOTICE_LEAD_WORKING_DAYS),
    },
    {
      queue: 'maintenance',
      name: 'consent-reminders',
      repeat: { pattern: '15 * * * *' },
      process: () => scheduleConsentReminders(deps),
    },
  ]
}
