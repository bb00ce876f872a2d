import cluster from 'node:cluster'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app'
import { loadDotEnv, withDevelopmentSecrets } from './bootstrap'
import { processMessages, superviseProcesses } from './cluster'
import { type Config, loadConfig } from './config'
import { exitWith, StartupError } from './lib/exit'
import { ensureRedis } from './queue/connection'

/**
 * HTTP entry point: the API and the candidate pages; with RUN_WORKERS (default) the workers too.
 * WEB_CONCURRENCY above 1 runs that many such processes under a supervising primary.
 */
async function main(): Promise<void> {
  loadDotEnv()
  // The primary reads (or first creates) the development secrets, so its processes share them.
  const config = withDevelopmentSecrets(loadConfig())
  if (cluster.isPrimary && config.WEB_CONCURRENCY > 1) {
    // The processes reach the Redis the primary found: a private redis-server is one process's.
    const redis = await ensureRedis({ url: config.REDIS_URL, dataDir: config.DATA_DIR })
    if (!('url' in redis.target)) {
      await redis.stop?.()
      throw new StartupError(
        'WEB_CONCURRENCY above 1 needs a Redis server every process reaches: set REDIS_URL',
      )
    }
    return superviseProcesses(config, redis.target.url)
  }
  return cluster.isWorker ? serveUnderPrimary(config) : serve(config)
}

async function start(config: Config): Promise<FastifyInstance> {
  const redis = await ensureRedis({ url: config.REDIS_URL, dataDir: config.DATA_DIR })
  const app = await buildApp({ config, redis: redis.target })
  if (redis.stop) app.addHook('onClose', redis.stop)
  return app
}

/**
 * SIGTERM/SIGINT (unless `skip`ped), an uncaught error, or `close()`: stop accepting connections,
 * finish requests in flight, close workers, queues and database.
 */
function closeGracefully(app: FastifyInstance, skip: Array<'SIGINT' | 'SIGTERM'> = []) {
  return closeWithGrace({ delay: 15_000, skip }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
}

async function serve(config: Config): Promise<void> {
  const app = await start(config)
  closeGracefully(app)
  await app.listen({ port: config.PORT, host: config.HOST })
  app.log.info({ docs: `${config.publicBaseUrl}/docs`, workers: config.RUN_WORKERS }, 'Candor is ready')
}

/**
 * One of the primary's processes: it listens when told and stops when told. Signals are the
 * primary's to handle: a terminal's Ctrl-C reaches every process of the group, and a second
 * signal would cut close-with-grace's grace period short. A primary that is gone (killed) makes
 * node:cluster end this process at once, so it never serves on alone; BullMQ hands its unfinished
 * jobs to another worker as stalled.
 */
async function serveUnderPrimary(config: Config): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {})
  let app: FastifyInstance | undefined
  let closing: { close: () => unknown } | undefined
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    // Not built yet: nothing is served, and the workers start only once the app is ready.
    if (!closing) process.exit(0)
    void closing.close()
  }
  process.on('message', (message) => {
    if (message === processMessages.shutdown) stop()
    if (message === processMessages.listen && app && !stopping) {
      // The primary sees this process exit and stops the service.
      app.listen({ port: config.PORT, host: config.HOST }).catch((err) => {
        app?.log.error({ err }, 'could not listen')
        stop()
      })
    }
  })
  app = await start(config)
  closing = closeGracefully(app, ['SIGINT', 'SIGTERM'])
  process.send?.(processMessages.built)
}

main().catch(exitWith)
