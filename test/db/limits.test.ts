/**
 * Every wait on PostgreSQL is bounded, so a request meets an error (503), never a hang: each
 * limit of src/db/client.ts meets the trouble it is there for. Limits are a second here.
 */
import net from 'node:net'
import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createDatabase, type DatabaseHandle, queryRows } from '../../src/db/client'
import { databaseErrorCode, isDatabaseUnavailable } from '../../src/db/errors'
import { cloneTemplate } from '../helpers/databases'

/** Each test shortens the limit it is about; the others stay out of its way. */
const generous = {
  waitSeconds: 10,
  statementTimeoutSeconds: 10,
  lockTimeoutSeconds: 10,
  idleInTransactionSeconds: 10,
  connectTimeoutSeconds: 10,
}

let database: Awaited<ReturnType<typeof cloneTemplate>>
let raw: postgres.Sql
const pools: DatabaseHandle[] = []

beforeAll(async () => {
  database = await cloneTemplate(inject('templateDatabase'))
  raw = postgres(database.url, { max: 2, onnotice: () => {} })
  await raw`create table probe (n int primary key)`
  await raw`insert into probe values (0)`
})
afterAll(async () => {
  for (const pool of pools) await pool.close()
  await raw?.end()
  await database?.drop()
})

async function pool(
  poolSize: number,
  limits: Partial<typeof generous>,
  url = database.url,
): Promise<DatabaseHandle> {
  const handle = await createDatabase({ url, dataDir: '', poolSize, limits: { ...generous, ...limits } })
  pools.push(handle)
  return handle
}

/** The error a promise rejects with (it must reject). */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('it succeeded')
    },
    (error: unknown) => error,
  )

const probes = async () => (await raw<{ n: number }[]>`select n from probe order by n`).map((row) => row.n)

describe('database limits', () => {
  it('a query that finds every connection busy fails after DATABASE_WAIT_SECONDS and is never sent', async () => {
    const single = await pool(1, { waitSeconds: 1 })
    let release!: () => void
    const holding = single.db.transaction(async (tx) => {
      await queryRows(tx, sql`select 1`)
      await new Promise<void>((resolve) => (release = resolve))
    })
    await vi.waitFor(() => expect(release).toBeTypeOf('function'))
    const waiting = single.db.transaction((tx) => queryRows(tx, sql`insert into probe values (1)`))
    const error = await failure(waiting)
    expect(databaseErrorCode(error)).toBe('QUEUE_TIMEOUT')
    release()
    await holding
    expect(await probes()).not.toContain(1)
  })

  it('a statement that runs too long is cancelled by PostgreSQL (statement_timeout)', async () => {
    const handle = await pool(1, { statementTimeoutSeconds: 1 })
    const error = await failure(queryRows(handle.db, sql`select pg_sleep(30)`))
    expect(databaseErrorCode(error)).toBe('57014')
    expect(await queryRows(handle.db, sql`select 1 as one`)).toEqual([{ one: 1 }])
  })

  it('a row lock held elsewhere is waited for a while, not for ever (lock_timeout)', async () => {
    const handle = await pool(1, { lockTimeoutSeconds: 1 })
    let release!: () => void
    const held = raw.begin(async (tx) => {
      await tx`select n from probe where n = 0 for update`
      await new Promise<void>((resolve) => (release = resolve))
    })
    await vi.waitFor(() => expect(release).toBeTypeOf('function'))
    const error = await failure(
      handle.db.transaction((tx) => queryRows(tx, sql`update probe set n = n where n = 0`)),
    )
    expect(databaseErrorCode(error)).toBe('55P03')
    release()
    await held
  })

  it('a transaction left idle gives its locks back (idle_in_transaction_session_timeout)', async () => {
    const handle = await pool(1, { idleInTransactionSeconds: 1 })
    let resume!: () => void
    const idle = handle.db.transaction(async (tx) => {
      await queryRows(tx, sql`select n from probe where n = 0 for update`)
      await new Promise<void>((resolve) => (resume = resolve))
      await queryRows(tx, sql`insert into probe values (2)`)
    })
    idle.catch(() => undefined)
    await vi.waitFor(() => expect(resume).toBeTypeOf('function'))
    // PostgreSQL ends the idle session: another can take the row.
    await vi.waitFor(
      async () => expect(await raw`select n from probe where n = 0 for update nowait`).toHaveLength(1),
      { timeout: 5_000, interval: 100 },
    )
    resume()
    expect(isDatabaseUnavailable(await failure(idle))).toBe(true)
    expect(await probes()).not.toContain(2)
    expect(await queryRows(handle.db, sql`select 1 as one`)).toEqual([{ one: 1 }])
  })

  it('a server that accepts the connection and says nothing fails it (connect_timeout)', async () => {
    const silent = net.createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as net.AddressInfo
    try {
      const handle = await pool(
        1,
        { connectTimeoutSeconds: 1 },
        `postgres://postgres@127.0.0.1:${port}/candor`,
      )
      const error = await failure(queryRows(handle.db, sql`select 1`))
      expect(databaseErrorCode(error)).toBe('CONNECT_TIMEOUT')
    } finally {
      silent.close()
    }
  })

  it('a server gone silent in the middle of a query fails it (query_timeout)', async () => {
    // A proxy to PostgreSQL that stops passing anything on when told.
    let frozen = false
    const sockets = new Set<net.Socket>()
    const target = new URL(database.url)
    const proxy = net.createServer((client) => {
      const server = net.connect(Number(target.port || 5432), target.hostname)
      for (const socket of [client, server]) {
        sockets.add(socket)
        socket.on('error', () => undefined)
      }
      client.on('data', (chunk) => frozen || server.write(chunk))
      server.on('data', (chunk) => frozen || client.write(chunk))
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const url = new URL(database.url)
    url.port = String((proxy.address() as net.AddressInfo).port)
    try {
      // Silent past the backstop: waiting (1 s) and running (1 s) and a margin.
      const handle = await pool(1, { waitSeconds: 1, statementTimeoutSeconds: 1 }, url.toString())
      expect(await queryRows(handle.db, sql`select 1 as one`)).toEqual([{ one: 1 }])
      frozen = true
      const error = await failure(queryRows(handle.db, sql`select 2`))
      expect(isDatabaseUnavailable(error)).toBe(true)
    } finally {
      for (const socket of sockets) socket.destroy()
      proxy.close()
    }
  }, 20_000)

  // postgres.js 3.4 crashed the process from a timer here (porsager/postgres#1208, #1154) and left
  // statements queued in the transaction unanswered (#1186); 4.x rejects them.
  it('a backend ended in the middle of a transaction fails it, the process lives on, and the pool serves again', async () => {
    const handle = await pool(2, {})
    let backend: number | undefined
    const attempt = handle.db.transaction(async (tx) => {
      const [row] = await queryRows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`)
      backend = row!.pid
      await queryRows(tx, sql`insert into probe values (3)`)
      // In flight when the backend ends: the driver's own ROLLBACK then met a closed socket.
      await queryRows(tx, sql`select pg_sleep(5)`).catch(() => undefined)
      await queryRows(tx, sql`insert into probe values (4)`)
    })
    await vi.waitFor(() => expect(backend).toBeTypeOf('number'))
    await vi.waitFor(async () =>
      expect(
        await raw`select 1 from pg_stat_activity where pid = ${backend!} and query like '%pg_sleep%'`,
      ).toHaveLength(1),
    )
    await raw`select pg_terminate_backend(${backend!})`
    expect(isDatabaseUnavailable(await failure(attempt))).toBe(true)
    expect(await probes()).not.toContain(3)
    expect(await probes()).not.toContain(4)
    await vi.waitFor(
      async () => expect(await queryRows(handle.db, sql`select 1 as one`)).toEqual([{ one: 1 }]),
      { timeout: 5_000, interval: 50 },
    )
  })
})
