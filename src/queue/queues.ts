import { Queue, type QueueOptions } from 'bullmq'
import type { Redis } from 'ioredis'

/**
 * Queue names and their default job options. Payloads carry ids only: BullMQ keeps them
 * in clear text in Redis, which is not where personal data may live.
 */
export const queueNames = ['outreach', 'maintenance'] as const
export type QueueName = (typeof queueNames)[number]

export type Queues = Record<QueueName, Queue>

export function createQueues(connection: Redis, prefix: string, retryDelayMs = 5_000): Queues {
  const options = (attempts: number): QueueOptions => ({
    connection,
    prefix,
    defaultJobOptions: {
      attempts,
      backoff: { type: 'exponential', delay: retryDelayMs },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 14 * 24 * 3600 },
    },
  })
  return {
    outreach: new Queue('outreach', options(8)),
    maintenance: new Queue('maintenance', options(3)),
  }
}

/**
 * Of the jobs these ids name, those Redis no longer holds, or holds as finished for good (removed,
 * so the id can be used again): the ones to add again. PostgreSQL is the record and every job can
 * be re-derived from it, so losing Redis loses nothing (a reconciler calls this on a schedule).
 */
export async function jobsToRequeue(
  queue: Queue,
  jobIds: string[],
): Promise<Array<{ id: string; finishedData?: unknown }>> {
  const missing: Array<{ id: string; finishedData?: unknown }> = []
  for (const id of jobIds) {
    const job = await queue.getJob(id)
    const state = job ? await job.getState() : 'unknown'
    if (job && (state === 'completed' || state === 'failed')) {
      await job.remove()
      // What the job had kept (e.g. that its mail was already accepted) goes on with the new one.
      missing.push({ id, finishedData: job.data })
    } else if (!job || state === 'unknown') missing.push({ id })
  }
  return missing
}

type BulkJobs = Parameters<Queue['addBulk']>[0]

const gathering = new WeakMap<Queue, { jobs: BulkJobs; added: Promise<unknown> }>()

/**
 * Adds jobs together with those other callers add to the same queue in the same turn of the event
 * loop: one `addBulk`, one round trip to Redis (requests arriving together queue their mails at
 * once). Each caller learns whether its jobs went in; a failure fails them all, and the
 * jobs are then re-derived from PostgreSQL like any lost job.
 */
export function addJobsTogether(queue: Queue, jobs: BulkJobs): Promise<unknown> {
  let gathered = gathering.get(queue)
  if (!gathered) {
    const turn: BulkJobs = []
    const added = new Promise((next) => setImmediate(next)).then(() => {
      gathering.delete(queue)
      return queue.addBulk(turn)
    })
    gathered = { jobs: turn, added }
    gathering.set(queue, gathered)
  }
  gathered.jobs.push(...jobs)
  return gathered.added
}
