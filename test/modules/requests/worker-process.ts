/**
 * `src/worker.ts` for a test that kills it: the same buildApp with RUN_WORKERS, in a process of
 * its own on the test's database and queues, with the test's clock time (TEST_CLOCK) instead of
 * the system clock, so what it writes is dated like everything else in the test. What src/worker.ts
 * adds (.env, generated secrets, a private redis-server, graceful close) plays no part in a SIGKILL.
 */
import { buildApp } from '../../../src/app'
import { loadConfig } from '../../../src/config'
import { ManualClock } from '../../../src/lib/clock'

async function main(): Promise<void> {
  const config = { ...loadConfig(), RUN_WORKERS: true }
  const app = await buildApp({
    config,
    redis: { url: config.REDIS_URL! },
    clock: new ManualClock(process.env.TEST_CLOCK!),
  })
  await app.ready()
  process.stdout.write('workers ready\n')
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`)
  process.exit(1)
})
