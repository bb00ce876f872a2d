import { localDate, workingDaysBefore } from '../../lib/deadlines'
import { AppError } from '../../lib/problems'
import type { Services } from '../../services'
import { queueMessages } from '../messages/messages.service'
import { recordDirectMail } from '../outreach/direct-mail.service'
import { dpoAddresses, openRequests } from './requests.repository'
import { effectiveDueAt } from './requests.service'

const REMIND_AT_WORKING_DAYS = [7, 2]

/**
 * Seven and two working days before a request's deadline, every DPO is mailed (once each):
 * nobody has to remember a deadline (Art. 12(3)).
 */
export async function remindDpos(
  deps: Pick<Services, 'db' | 'clock' | 'config' | 'templates' | 'queues'>,
): Promise<number> {
  const now = deps.clock.now()
  const today = localDate(now, deps.config.JURISDICTION)
  const recipients = await dpoAddresses(deps.db)
  let queued = 0
  for (const request of await openRequests(deps.db)) {
    const due = localDate(effectiveDueAt(request), deps.config.JURISDICTION)
    for (const days of REMIND_AT_WORKING_DAYS) {
      if (workingDaysBefore(due, days, deps.config.JURISDICTION) !== today) continue
      const ids = await deps.db.transaction(async (tx) => {
        const created: string[] = []
        for (const { email } of recipients) {
          try {
            const id = await recordDirectMail(deps, tx, {
              subjectRequestId: request.id,
              template: 'dpo_deadline_reminder',
              to: email,
              dedupeKey: `once:dpo_deadline_reminder:${request.id}:${days}:${email}`,
              language: 'en',
              requestLink: `${deps.config.publicBaseUrl}/requests/${request.id}`,
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
