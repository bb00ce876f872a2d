import type { FastifyInstance } from 'fastify'
import type { JobDefinition } from '../../plugins/workers'
import { SEND_JOB, sendJobPayload } from '../messages/messages.service'
import { reconcileOutreach, scheduleArt14Notices, scheduleConsentReminders } from './schedulers.service'
import { sendMessage } from './sending.service'

export function outreachJobs(app: FastifyInstance): JobDefinition[] {
  const deps = app.services
  const { config } = app
  return [
    {
      queue: 'outreach',
      name: SEND_JOB,
      process: async (job) => {
        const payload = sendJobPayload.parse(job.data)
        const number = job.attemptsMade + 1
        return sendMessage(deps, payload.messageId, {
          number,
          last: number >= (job.opts.attempts ?? 1),
          acceptedAs: payload.acceptedAs,
          rememberAccepted: (acceptedAs) => job.updateData({ ...payload, acceptedAs }),
        })
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
