import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { StartupError } from '../lib/exit'

export type RedisTarget = { url: string } | { path: string }

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

/** BullMQ needs `maxRetriesPerRequest: null` on connections that block (workers). */
export function createRedis(target: RedisTarget, options: RedisOptions = {}): Redis {
  const base: RedisOptions = { maxRetriesPerRequest: null, connectionName: 'candor', ...options }
  return 'url' in target ? new Redis(target.url, base) : new Redis({ ...base, path: target.path })
}

export function describeRedisTarget(target: RedisTarget): string {
  return 'url' in target ? new URL(target.url).host : `unix:${target.path}`
}

async function answers(target: RedisTarget): Promise<boolean> {
  const probe = createRedis(target, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  })
  probe.on('error', () => {})
  try {
    await probe.connect()
    return (await probe.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}

export interface EnsuredRedis {
  target: RedisTarget
  /** Set when this process started its own redis-server; stops it. */
  stop?: () => Promise<void>
}

/**
 * REDIS_URL if set; else the local default; else a private redis-server for this process
 * (socket under DATA_DIR), so `npm start` works on a bare machine that has Redis installed.
 */
export async function ensureRedis(options: {
  url?: string | undefined
  dataDir: string
  /** Where a Redis is looked for first when none is configured. */
  localUrl?: string
}): Promise<EnsuredRedis> {
  if (options.url) return { target: { url: options.url } }
  const local = { url: options.localUrl ?? DEFAULT_REDIS_URL }
  if (await answers(local)) return { target: local }

  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' })
  if (found.error || found.status !== 0) {
    throw new StartupError(
      'Candor needs Redis for its job queues, and none could be reached.\n' +
        `Nothing answers at ${local.url} and redis-server is not on the PATH.\n` +
        'Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis),\n' +
        'or set REDIS_URL to a Redis you have (redis://host:port).',
    )
  }
  const dir = resolve(options.dataDir, 'redis')
  mkdirSync(dir, { recursive: true })
  const socket = resolve(dir, 'redis.sock')
  rmSync(socket, { force: true })
  // Nothing on disk and no TCP port: this Redis lives and dies with the process. noeviction is what BullMQ requires.
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--unixsocket',
      socket,
      '--unixsocketperm',
      '700',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  )
  const target = { path: socket }
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await answers(target)) {
      return {
        target,
        stop: async () => {
          child.kill('SIGTERM')
        },
      }
    }
    await new Promise((done) => setTimeout(done, 100))
  }
  child.kill('SIGKILL')
  throw new StartupError(`Started redis-server on ${socket}, but it did not answer within 5 seconds.`)
}
