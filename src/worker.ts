import closeWithGrace from 'close-with-grace'
import { buildApp } from './app'
import { loadDotEnv, withDevelopmentSecrets } from './bootstrap'
import { loadConfig } from './config'
import { exitWith } from './lib/exit'
import { ensureRedis } from './queue/connection'

/** Worker entry point: BullMQ workers and job schedulers, no HTTP. Scale it apart from the API. */
async function main(): Promise<void> {
  loadDotEnv()
  const config = withDevelopmentSecrets({ ...loadConfig(), RUN_WORKERS: true })
  const redis = await ensureRedis({ url: config.REDIS_URL, dataDir: config.DATA_DIR })
  const app = await buildApp({ config, redis: redis.target })
  if (redis.stop) app.addHook('onClose', redis.stop)
  closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.ready()
  app.log.info('Candor workers are running')
}

main().catch(exitWith)
