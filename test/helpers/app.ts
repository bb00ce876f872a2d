import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { Redis } from 'ioredis'
import { inject as provided } from 'vitest'
import { buildApp } from '../../src/app'
import { loadConfig, type ResolvedConfig, resolvedConfig } from '../../src/config'
import { ManualClock } from '../../src/lib/clock'
import { hashPassword, type VerifyPassword } from '../../src/lib/passwords'
import { insertUser } from '../../src/modules/auth/auth.repository'
import type { Role } from '../../src/modules/auth/auth.tables'
import { cloneTemplate, testRedisUrl } from './databases'

export const TEST_PASSWORD = 'a test password of some length'
let passwordHash: Promise<string> | undefined
/** scrypt at production cost takes a moment: hash the shared test password once per file. */
const testPasswordHash = () => {
  passwordHash ??= hashPassword(TEST_PASSWORD)
  return passwordHash
}

export interface TestUser {
  id: string
  email: string
  role: Role
  clientId: string | null
  token: string
  /** `authorization` header for inject(). */
  auth: { authorization: string }
}

export interface TestApp {
  app: FastifyInstance
  clock: ManualClock
  config: ResolvedConfig
  databaseUrl: string
  /** Every log line the app wrote, raw. */
  logs: string[]
  user(role: Role, options?: { clientId?: string; email?: string }): Promise<TestUser>
  request(options: InjectOptions & { as?: TestUser }): Promise<LightMyRequestResponse>
  /** Another instance of the service on the same database, queues and clock (e.g. a worker process). */
  sibling(env?: Record<string, string>): Promise<FastifyInstance>
  close(): Promise<void>
}

export function testSecrets(): Record<string, string> {
  return {
    JWT_SECRET: randomBytes(32).toString('hex'),
    SERVER_SECRET: randomBytes(32).toString('hex'),
    FIELD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  }
}

/** The real app on its own cloned database and queue prefix, with a manual clock and captured logs. */
export async function startTestApp(
  options: {
    env?: Record<string, string>
    clock?: ManualClock
    /** A migrated database of the test's own (a private server); a clone of the template otherwise. */
    database?: { url: string; drop(): Promise<void> }
    /** How logins check passwords (to count or hold them); scrypt otherwise. */
    verifyPassword?: VerifyPassword
  } = {},
): Promise<TestApp> {
  const database = options.database ?? (await cloneTemplate(provided('templateDatabase')))
  const dataDir = mkdtempSync(join(tmpdir(), 'candor-test-'))
  const prefix = `candor-test-${randomBytes(4).toString('hex')}`
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    DB_MIGRATE_ON_START: 'false',
    DATA_DIR: dataDir,
    QUEUE_PREFIX: prefix,
    RUN_WORKERS: 'false',
    LOG_LEVEL: 'info',
    PUBLIC_BASE_URL: 'http://candor.test',
    RATE_LIMIT_PUBLIC_PER_MINUTE: '10000',
    ...testSecrets(),
    ...options.env,
  }
  const config = resolvedConfig(loadConfig(env))
  const siblings: FastifyInstance[] = []
  const logs: string[] = []
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk))
      done()
    },
  })
  const clock = options.clock ?? new ManualClock()
  const app = await buildApp({
    config,
    redis: { url: testRedisUrl() },
    clock,
    logStream,
    verifyPassword: options.verifyPassword,
  })
  await app.ready()

  const testApp: TestApp = {
    app,
    clock,
    config,
    databaseUrl: database.url,
    logs,
    async user(role, { clientId, email } = {}) {
      const address = email ?? `${role}-${randomUUID().slice(0, 8)}@staff.test`
      const user = await insertUser(app.db, {
        email: address,
        passwordHash: await testPasswordHash(),
        role,
        clientId: clientId ?? null,
        displayName: `${role} user`,
        createdAt: clock.now(),
      })
      if (!user) throw new Error('test user e-mail address taken')
      const token = app.signAccessToken({ userId: user.id, role, clientId: user.clientId })
      return {
        id: user.id,
        email: address,
        role,
        clientId: user.clientId,
        token,
        auth: { authorization: `Bearer ${token}` },
      }
    },
    request({ as, headers, ...rest }) {
      return app.inject({ ...rest, headers: { ...headers, ...(as ? as.auth : {}) } })
    },
    async sibling(overrides = {}) {
      const instance = await buildApp({
        config: loadConfig({ ...env, ...overrides }),
        redis: { url: testRedisUrl() },
        clock,
        logStream,
      })
      await instance.ready()
      siblings.push(instance)
      return instance
    },
    async close() {
      for (const instance of siblings) await instance.close()
      await app.close()
      await deleteQueueKeys(prefix)
      await database.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return testApp
}

/** Removes this file's BullMQ keys only; other test files share the Redis server. */
export async function deleteQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis(testRedisUrl())
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}
