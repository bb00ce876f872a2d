import { addWorkingDays, endOfLocalDay, localDate } from '../../lib/deadlines'
import { AppError } from '../../lib/problems'
import { jobsToRequeue } from '../../queue/queues'
import { addSendJobs, listStalePending, sendJobPayload } from '../messages/messages.service'
import { openConsentRequests, uncontactedNoticesDueBy } from './outreach.repository'
import { enqueueOutreach, type OutreachDeps } from './outreach.service'

/**
 * Re-creates the job of every message still pending in PostgreSQL whose job Redis no longer
 * has (Redis lost its data, a crash between commit and enqueue): no mail is silently lost.
 */
export async function reconcileOutreach(
  deps: OutreachDeps,
  options: { olderThanMs?: number; batch?: number } = {},
) {
  const olderThan = new Date(deps.clock.now().getTime() - (options.olderThanMs ?? 60_000))
  const pending = await listStalePending(deps.db, olderThan, options.batch ?? 1000)
  // The job id is the message id.
  const missing = await jobsToRequeue(
    deps.queues.outreach,
    pending.map((message) => message.id),
  )
  if (missing.length > 0) {
    await addSendJobs(
      deps,
      missing.map(({ id, finishedData }) => {
        // A job that failed after its mail was accepted keeps that: the new one records it, never resends.
        const acceptedAs = sendJobPayload.safeParse(finishedData).data?.acceptedAs
        return acceptedAs ? { messageId: id, acceptedAs } : { messageId: id }
      }),
    )
  }
  return { checked: pending.length, requeued: missing.length }
}

/**
 * Art. 14(3)(a): a legitimate-interest candidacy nobody has written to gets its notice no later
 * than three working days before the one-month deadline: it is queued `leadWorkingDays` ahead.
 */
export async function scheduleArt14Notices(deps: OutreachDeps, leadWorkingDays: number): Promise<number> {
  const jurisdiction = deps.config.JURISDICTION
  const threshold = addWorkingDays(localDate(deps.clock.now(), jurisdiction), leadWorkingDays, jurisdiction)
  const due = await uncontactedNoticesDueBy(deps.db, endOfLocalDay(threshold, jurisdiction))
  let queued = 0
  for (const candidacyId of due) {
    try {
      const { created } = await enqueueOutreach(deps, null, candidacyId, 'art14_notice', {
        dedupeKey: `once:art14_notice:${candidacyId}`,
      })
      if (created) queued++
    } catch (error) {
      // A candidacy that cannot be mailed (no deliverable address, restricted) stays on /dpo/notices.
      if (!(error instanceof AppError)) throw error
    }
  }
  return queued
}

/**
 * Reminds a candidate of an unanswered consent request 7 and 2 days before its link runs out —
 * the nearer one only, once each, and never after an answer (the check before sending cancels it).
 */
export async function scheduleConsentReminders(deps: OutreachDeps): Promise<number> {
  const now = deps.clock.now()
  const open = await openConsentRequests(deps.db, now, new Date(now.getTime() + 7 * 86_400_000))
  let queued = 0
  for (const { candidacyId, expiresAt } of open) {
    const daysLeft = (expiresAt.getTime() - now.getTime()) / 86_400_000
    const reminder = daysLeft <= 2 ? 2 : 7
    try {
      const { created } = await enqueueOutreach(deps, null, candidacyId, 'consent_reminder', {
        dedupeKey: `once:consent_reminder:${candidacyId}:${expiresAt.toISOString()}:${reminder}`,
      })
      if (created) queued++
    } catch (error) {
      if (!(error instanceof AppError)) throw error
    }
  }
  return queued
}
