import closeWithGrace from 'close-with-grace'
import { buildApp } from './app'
import { loadDotEnv, withDevelopmentSecrets } from './bootstrap'
import { loadConfig } from './config'
import { exitWith } from './lib/exit'
import { ensureRedis } from './queue/connection'

/** HTTP entry point: the API and the candidate pages; with RUN_WORKERS (default) the workers too. */
async function main(): Promise<void> {
  loadDotEnv()
  const config = withDevelopmentSecrets(loadConfig())
  const redis = await ensureRedis({ url: config.REDIS_URL, dataDir: config.DATA_DIR })
  const app = await buildApp({ config, redis: redis.target })
  if (redis.stop) app.addHook('onClose', redis.stop)

  // SIGTERM/SIGINT: stop accepting connections, finish requests in flight, close workers, queues and database.
  closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })

  await app.listen({ port: config.PORT, host: config.HOST })
  app.log.info({ docs: `${config.publicBaseUrl}/docs`, workers: config.RUN_WORKERS }, 'Candor is ready')
}

main().catch(exitWith)
