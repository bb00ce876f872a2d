import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { localDate, workingDaysBefore } from '../../lib/deadlines'
import { AppError } from '../../lib/problems'
import type { JobDefinition } from '../../plugins/workers'
import { queueMessages, recordRequestMail } from '../outreach/outreach.service'
import { deleteExpiredArtefacts, dpoAddresses, openRequests } from './requests.repository'
import { effectiveDueAt, reconcileErasures, runErasure } from './requests.service'

const erasurePayload = z.strictObject({ requestId: z.uuid() })
const REMIND_AT_WORKING_DAYS = [7, 2]

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
      process: () => remindDpos(app),
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

/**
 * Seven and two working days before a request's deadline, every DPO is mailed (once each):
 * nobody has to remember a deadline (Art. 12(3)).
 */
export async function remindDpos(app: FastifyInstance): Promise<number> {
  const deps = app.services
  const now = app.clock.now()
  const today = localDate(now, app.config.JURISDICTION)
  const recipients = await dpoAddresses(app.db)
  let queued = 0
  for (const request of await openRequests(app.db)) {
    const due = localDate(effectiveDueAt(request), app.config.JURISDICTION)
    for (const days of REMIND_AT_WORKING_DAYS) {
      if (workingDaysBefore(due, days, app.config.JURISDICTION) !== today) continue
      const ids = await app.db.transaction(async (tx) => {
        const created: string[] = []
        for (const { email } of recipients) {
          try {
            const id = await recordRequestMail(deps, tx, {
              subjectRequestId: request.id,
              template: 'dpo_deadline_reminder',
              to: email,
              dedupeKey: `once:dpo_deadline_reminder:${request.id}:${days}:${email}`,
              language: 'en',
              requestLink: `${app.config.publicBaseUrl}/requests/${request.id}`,
              facts: {
                person: null,
                request: {
                  type: request.type,
                  status: request.status,
                  receivedAt: request.receivedAt,
                  dueAt: effectiveDueAt(request),
                  workingDaysLeft: days,
                },
              },
            })
            if (id) created.push(id)
          } catch (error) {
            if (!(error instanceof AppError)) throw error
          }
        }
        return created
      })
      await queueMessages(deps, ids)
      queued += ids.length
    }
  }
  return queued
}
