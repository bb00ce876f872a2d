/**
 * `npm run bench [-- case …]`: each case loads Candor and its baselines in the same run on the
 * same machine against the real PostgreSQL and Redis, and prints a table of rates and ratios.
 * BENCH_DURATION (seconds, default 10) and BENCH_CONNECTIONS (default 50) tune the load.
 */
import { randomBytes } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import { Redis } from 'ioredis'
import { createDatabase, type DatabaseHandle } from '../../src/db/client'
import { migrateDatabase } from '../../src/db/migrate'
import { ManualClock } from '../../src/lib/clock'
import { benchCases } from './cases'
import {
  benchDatabase,
  CONNECTIONS,
  DURATION_SECONDS,
  load,
  POOL_SIZE,
  printTable,
  REDIS_URL,
  type Row,
  startProcess,
} from './harness'
import { printTimings, type Timing } from './timed'

export interface BenchContext {
  database: DatabaseHandle
  databaseUrl: string
  env: Record<string, string>
  token: (claims: { sub: string; role: string; cid?: string }) => string
  clock: ManualClock
  rows: Row[]
  timings: Timing[]
  load: typeof load
  startProcess: typeof startProcess
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2)
  const cases = benchCases.filter((benchCase) => wanted.length === 0 || wanted.includes(benchCase.name))
  if (cases.length === 0)
    throw new Error(`no such case; cases: ${benchCases.map((benchCase) => benchCase.name).join(', ')}`)

  const db = await benchDatabase()
  const database = await createDatabase({ url: db.url, dataDir: '/nonexistent', poolSize: 10 })
  await migrateDatabase(database)
  const secret = randomBytes(32).toString('hex')
  const prefix = `candor-bench-${randomBytes(3).toString('hex')}`
  const env = {
    NODE_ENV: 'development',
    DATABASE_URL: db.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    RUN_WORKERS: 'false',
    LOG_LEVEL: 'warn',
    JWT_SECRET: secret,
    SERVER_SECRET: randomBytes(32).toString('hex'),
    FIELD_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    RATE_LIMIT_PUBLIC_PER_MINUTE: '100000000',
    PUBLIC_BASE_URL: 'http://candor.bench',
    DB_MIGRATE_ON_START: 'false',
    DATABASE_POOL_SIZE: String(POOL_SIZE),
  }
  const sign = createSigner({
    key: secret,
    algorithm: 'HS256',
    iss: 'candor',
    aud: 'candor-api',
    expiresIn: 3_600_000,
  })
  const context: BenchContext = {
    database,
    databaseUrl: db.url,
    env,
    token: (claims) => sign(claims),
    clock: new ManualClock(new Date()),
    rows: [],
    timings: [],
    load,
    startProcess,
  }
  process.stdout.write(
    `Candor benchmarks: ${DURATION_SECONDS}s per measurement, ${CONNECTIONS} connections, cases: ${cases.map((c) => c.name).join(', ')}\n`,
  )
  try {
    for (const benchCase of cases) {
      process.stdout.write(`- ${benchCase.name}: ${benchCase.description}\n`)
      const before = context.rows.length
      await benchCase.run(context)
      // Each case's rows as soon as they are measured: a long run interrupted later keeps them.
      if (context.rows.length > before) printTable(context.rows.slice(before))
    }
  } finally {
    await database.close()
    await db.drop()
    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  }
  if (cases.length > 1 && context.rows.length > 0) printTable(context.rows)
  printTimings(context.timings)
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : error}\n`)
  process.exit(1)
})
