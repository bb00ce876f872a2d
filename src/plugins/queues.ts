import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { settlesWithin } from '../lib/time'
import { createRedis, type RedisTarget } from '../queue/connection'
import { createQueues, type Queues } from '../queue/queues'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
    queues: Queues
    queuePrefix: string
  }
}

export const queuesPlugin = fp(
  async (app: FastifyInstance, options: { target: RedisTarget; prefix: string; retryDelayMs?: number }) => {
    // A producer connection: commands fail after a few reconnection attempts instead of waiting
    // forever, so a request never hangs on a Redis outage (blocking worker connections differ).
    const redis = createRedis(options.target, { maxRetriesPerRequest: 3 })
    // Without a listener ioredis prints unhandled errors; readiness reports the outage instead.
    redis.on('error', (error) => app.log.warn({ err: error }, 'redis connection error'))
    const queues = createQueues(redis, options.prefix, options.retryDelayMs)
    for (const queue of Object.values(queues)) {
      queue.on('error', (error) => app.log.warn({ err: error, queue: queue.name }, 'queue error'))
    }
    app.decorate('redis', redis)
    app.decorate('queues', queues)
    app.decorate('queuePrefix', options.prefix)
    app.addHook('onClose', async () => {
      // With Redis gone, close() would wait for a connection that never comes.
      const closed = await settlesWithin(
        Promise.all(Object.values(queues).map((queue) => queue.close())),
        3000,
      )
      if (closed && redis.status === 'ready') await redis.quit().catch(() => redis.disconnect())
      else redis.disconnect()
    })
  },
  { name: 'queues' },
)
