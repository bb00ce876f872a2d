import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createRedis, ensureRedis } from '../../src/queue/connection'

const dataDir = mkdtempSync(join(tmpdir(), 'candor-redis-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('finding Redis on a bare machine', () => {
  it('uses REDIS_URL when it is set, without probing', async () => {
    expect(await ensureRedis({ url: 'redis://redis.example:6390', dataDir })).toEqual({
      target: { url: 'redis://redis.example:6390' },
    })
  })

  it('starts a private redis-server on a socket under DATA_DIR when nothing answers, and stops it', async () => {
    const ensured = await ensureRedis({ dataDir, localUrl: 'redis://127.0.0.1:1' })
    expect(ensured.target).toEqual({ path: join(dataDir, 'redis', 'redis.sock') })
    const redis = createRedis(ensured.target, { lazyConnect: true })
    try {
      await redis.connect()
      expect(await redis.ping()).toBe('PONG')
      // BullMQ needs keys never evicted.
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction'])
    } finally {
      redis.disconnect()
      await ensured.stop?.()
    }
  })

  it('says exactly what to install or set when there is no Redis and no redis-server', async () => {
    const path = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      await expect(ensureRedis({ dataDir, localUrl: 'redis://127.0.0.1:1' })).rejects.toThrow(
        /apt-get install redis-server[\s\S]*REDIS_URL/,
      )
    } finally {
      process.env.PATH = path
    }
  })
})
