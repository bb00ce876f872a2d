import { type Job, type Processor, UnrecoverableError, Worker } from 'bullmq'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createRedis, type RedisTarget } from '../queue/connection'
import type { QueueName } from '../queue/queues'

/** One processor per job name; a module's `*.jobs.ts` contributes these for its queue. */
export interface JobDefinition {
  queue: QueueName
  name: string
  process: (job: Job) => Promise<unknown>
  /** A repeating job (BullMQ job scheduler), upserted at start so every replica agrees on it. */
  repeat?: { pattern: string } | { every: number }
}

export interface WorkerSettings {
  concurrency?: number
  limiter?: { max: number; duration: number }
}

export const workersPlugin = fp(
  async (
    app: FastifyInstance,
    options: {
      target: RedisTarget
      prefix: string
      jobs: (app: FastifyInstance) => JobDefinition[]
      settings: Partial<Record<QueueName, WorkerSettings>>
      /** How often the job schedulers are checked and re-created if Redis lost them. */
      schedulerCheckMs: number
    },
  ) => {
    const definitions = options.jobs(app)
    const byQueue = new Map<QueueName, Map<string, JobDefinition>>()
    for (const definition of definitions) {
      const jobs = byQueue.get(definition.queue) ?? new Map<string, JobDefinition>()
      jobs.set(definition.name, definition)
      byQueue.set(definition.queue, jobs)
    }
    const workers: Worker[] = []
    for (const [queue, jobs] of byQueue) {
      const processor: Processor = async (job) => {
        const definition = jobs.get(job.name)
        // An unknown name will never become known by retrying.
        if (!definition) throw new UnrecoverableError(`no processor for job ${job.name}`)
        return definition.process(job)
      }
      const worker = new Worker(queue, processor, {
        connection: createRedis(options.target),
        prefix: options.prefix,
        autorun: false,
        ...options.settings[queue],
      })
      worker.on('error', (error) => app.log.error({ err: error, queue }, 'worker error'))
      worker.on('failed', (job, error) =>
        app.log.warn(
          { err: error, queue, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade },
          'job failed',
        ),
      )
      workers.push(worker)
    }
    const scheduled = definitions.filter((definition) => definition.repeat)
    const upsertSchedulers = async (onlyMissing: boolean) => {
      for (const { queue, name, repeat } of scheduled) {
        // Only a lost one is created again; one that exists keeps its next run as it is.
        if (onlyMissing && (await app.queues[queue].getJobScheduler(name))) continue
        await app.queues[queue].upsertJobScheduler(name, repeat!, { name })
      }
    }
    await upsertSchedulers(false)
    // Redis can lose its data while the service runs (a restart without persistence, eviction).
    // The schedulers, the reconcilers among them, then come back without waiting for a restart.
    let schedulerCheck: NodeJS.Timeout | undefined
    app.addHook('onReady', async () => {
      for (const worker of workers) void worker.run()
      schedulerCheck = setInterval(() => {
        upsertSchedulers(true).catch((error) => app.log.warn({ err: error }, 'job scheduler check failed'))
      }, options.schedulerCheckMs)
      schedulerCheck.unref()
    })
    app.addHook('onClose', async () => {
      clearInterval(schedulerCheck)
      // Lets running jobs finish (graceful shutdown); their locks would otherwise make them stall and re-run.
      await Promise.all(workers.map((worker) => worker.close()))
    })
  },
  { name: 'workers', dependencies: ['queues', 'database'] },
)
