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

async function serve(config: Config): Promise<void> {
  const app = await start(config)
  // SIGTERM/SIGINT: stop accepting connections, finish requests in flight, close workers, queues and database.
  closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ port: config.PORT, host: config.HOST })
  app.log.info({ docs: `${config.publicBaseUrl}/docs`, workers: config.RUN_WORKERS }, 'Candor is ready')
}

/**
 * One of the primary's processes: it listens when told and stops when told. Signals are the
 * primary's to handle: a terminal's Ctrl-C reaches every process of the group, and a second
 * signal would cut close-with-grace's grace period short.
 */
async function serveUnderPrimary(config: Config): Promise<void> {
  let app: FastifyInstance | undefined
  let closing: { close: () => unknown } | undefined
  let stopRequested = false
  const stop = () => {
    if (stopRequested) return
    stopRequested = true
    // Not built yet: nothing to close, nor any request in flight.
    if (!closing) process.exit(0)
    void closing.close()
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {})
  process.on('message', (message) => {
    if (message === processMessages.shutdown) stop()
    if (message === processMessages.listen && app && !stopRequested) {
      app.listen({ port: config.PORT, host: config.HOST }).catch((error) => {
        app?.log.error({ err: error }, 'could not listen')
        stop()
      })
    }
  })
  // A primary that is gone (killed): node:cluster then ends this process at once (exit 0), so it
  // never serves on alone; BullMQ hands its unfinished jobs to another worker as stalled.

  app = await start(config)
  const built = app
  closing = closeWithGrace({ delay: 15_000, skip: ['SIGINT', 'SIGTERM'] }, async ({ err }) => {
    if (err) built.log.error({ err }, 'shutting down after an error')
    else built.log.info('shutting down')
    await built.close()
  })
  if (stopRequested) return void closing.close()
  process.send?.(processMessages.built)
}

main().catch(exitWith)
