import { sql } from 'drizzle-orm'
import { describe, expect, it, inject as provided, vi } from 'vitest'
import { buildApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { testSecrets } from '../helpers/app'
import { cloneTemplate, testRedisUrl } from '../helpers/databases'

describe('graceful shutdown', () => {
  it('answers the requests in flight before closing the database and the queues', async () => {
    const database = await cloneTemplate(provided('templateDatabase'))
    const config = loadConfig({
      DATABASE_URL: database.url,
      DB_MIGRATE_ON_START: 'false',
      RUN_WORKERS: 'false',
      LOG_LEVEL: 'silent',
      QUEUE_PREFIX: `candor-shutdown-${process.pid}`,
      ...testSecrets(),
    })
    const app = await buildApp({ config, redis: { url: testRedisUrl() } })
    let entered = 0
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    // A request that is still working when the stop arrives, and needs the database after it.
    app.get('/test/slow', { config: { access: { public: 'test' } } }, async () => {
      entered++
      await released
      const [row] = (await app.db.execute(sql`select 42 as answer`)) as unknown as Array<{ answer: number }>
      return { answer: row?.answer }
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }

    const answers = Array.from({ length: 5 }, () =>
      fetch(`http://127.0.0.1:${port}/test/slow`).then(async (response) => ({
        status: response.status,
        body: await response.json(),
        connection: response.headers.get('connection'),
      })),
    )
    // All five are inside the handler, waiting.
    await vi.waitFor(() => expect(entered).toBe(5), { timeout: 15_000, interval: 10 })
    let closed = false
    const closing = app.close().then(() => {
      closed = true
    })
    // Closing has begun: a new request is refused (503, or no connection at all) …
    await vi.waitFor(
      async () => {
        const refused = await fetch(`http://127.0.0.1:${port}/health/live`).then(
          (response) => response.status,
          () => 'refused',
        )
        expect([503, 'refused']).toContain(refused)
      },
      { timeout: 15_000, interval: 50 },
    )
    // … and yet the app is not closed while the five are still in flight.
    expect(closed).toBe(false)

    release()
    for (const answer of await Promise.all(answers)) {
      expect(answer).toEqual({ status: 200, body: { answer: 42 }, connection: 'close' })
    }
    await closing
    expect(closed).toBe(true)
    await database.drop()
  })
})
