import { z } from 'zod'
import { addJobsTogether } from '../../queue/queues'
import type { Services } from '../../services'

// The mail Candor has recorded, as other modules reach it: through this service, never the repository.
export {
  cancelPendingMessages,
  findMessage,
  insertMessageOnce,
  listStalePending,
  lockMessage,
  type MessageChanges,
  type MessageRow,
  type NewMessage,
  releasedDedupeKey,
  sentUnlessReported,
  updateMessage,
} from './messages.repository'

export const SEND_JOB = 'send'

/** A send job's payload: ids only, since BullMQ keeps payloads in clear text in Redis. */
export const sendJobPayload = z.strictObject({
  messageId: z.uuid(),
  /** Our Message-ID, set once the mail server accepted the mail but recording that failed. */
  acceptedAs: z.string().max(998).optional(),
})
export type SendJobPayload = z.infer<typeof sendJobPayload>

/** Adds send jobs; the job id is the message id, so adding one twice (a retry, the reconciler) is a no-op. */
export function addSendJobs(deps: Pick<Services, 'queues'>, payloads: SendJobPayload[]) {
  return addJobsTogether(
    deps.queues.outreach,
    payloads.map((data) => ({ name: SEND_JOB, data, opts: { jobId: data.messageId } })),
  )
}

/** Adds the jobs of messages already recorded in PostgreSQL (after their transaction committed). */
export async function queueMessages(deps: Pick<Services, 'queues'>, messageIds: string[]): Promise<void> {
  await addSendJobs(
    deps,
    messageIds.map((messageId) => ({ messageId })),
  )
}

/** After the transaction that cancelled messages commits: their waiting jobs leave the queue too. */
export async function removeCancelledJobs(
  deps: Pick<Services, 'queues'>,
  messageIds: string[],
): Promise<void> {
  await Promise.all(
    messageIds.map(async (id) => {
      const job = await deps.queues.outreach.getJob(id)
      // A mail the server already accepted (recording it failed) keeps its job: the mail went,
      // and the job's retry records that instead of leaving it marked cancelled.
      if (!job || job.data?.acceptedAs) return
      // A job already running is not removed; its own check just before sending cancels it.
      await job.remove().catch(() => undefined)
    }),
  )
}
