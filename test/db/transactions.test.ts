import { once } from 'node:events'
import net from 'node:net'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createDatabase, type DatabaseHandle, queryRows } from '../../src/db/client'
import { commitWithLast } from '../../src/db/transactions'
import { cloneTemplate } from '../helpers/databases'

// A transaction the server rolled back must never be reported as committed: postgres.js keeps
// the first error of any statement in it, even one the caller caught, and throws it at the end.
describe('transactions on the PostgreSQL driver', () => {
  let handle: DatabaseHandle
  let database: Awaited<ReturnType<typeof cloneTemplate>>
  beforeAll(async () => {
    database = await cloneTemplate(inject('templateDatabase'))
    handle = await createDatabase({ url: database.url, dataDir: '', poolSize: 3 })
  }, 60_000)
  afterAll(async () => {
    await handle?.close()
    await database?.drop()
  })

  /** drizzle wraps the driver's error ("Failed query: …"); the reason is in its cause. */
  const failure = async (promise: Promise<unknown>): Promise<string> => {
    const error = await within(promise).then(
      () => undefined,
      (thrown: Error) => thrown,
    )
    if (!error) throw new Error('the transaction succeeded')
    const reasons: string[] = []
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) reasons.push(cause.message)
    return reasons.join(' ← ')
  }
  const within = <T>(promise: Promise<T>, ms = 10_000) =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
    ])

  it('reports a transaction the server rolled back as failed, even when the error was caught', async () => {
    const attempt = handle.db.transaction(async (tx) => {
      await queryRows(tx, sql`create temporary table scratch (n int primary key) on commit drop`)
      await queryRows(tx, sql`insert into scratch values (1)`)
      await queryRows(tx, sql`insert into scratch values (1)`).catch(() => undefined)
      return 'done'
    })
    await expect(within(attempt)).rejects.toThrow(/duplicate key/)
  })

  // BEGIN leaves with the first statement and COMMIT can leave with the last (src/db/transactions.ts):
  // these prove the transaction is still one — seen by nobody until it commits, all or nothing.
  describe('pipelined BEGIN and COMMIT', () => {
    let outside: DatabaseHandle
    beforeAll(async () => {
      outside = await createDatabase({ url: database.url, dataDir: '', poolSize: 1 })
      await queryRows(outside.db, sql`create table probe (n int primary key)`)
    })
    afterAll(() => outside?.close())

    const stored = async () =>
      (await queryRows<{ n: number }>(outside.db, sql`select n from probe order by n`)).map((row) => row.n)
    const insert = (tx: Parameters<Parameters<typeof handle.db.transaction>[0]>[0], n: number) =>
      queryRows(tx, sql`insert into probe values (${n})`)
    /** A pool of its own for one test, closed after it. */
    const withPool = async (
      poolSize: number,
      use: (pool: DatabaseHandle) => Promise<void>,
      url = database.url,
    ) => {
      const pool = await createDatabase({ url, dataDir: '', poolSize })
      try {
        await use(pool)
      } finally {
        await pool.close()
      }
    }

    const backendPid = async (tx: Parameters<typeof insert>[0]) =>
      (await queryRows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`))[0]!.pid
    /** Ends a connection from the server's side, as an administrator or a restart would. */
    const terminate = (pid: number) => queryRows(outside.db, sql`select pg_terminate_backend(${pid}::int)`)
    /** A transaction that inserts `n`, then holds its connection until `release()`, then runs `after`. */
    const holdOpen = (
      pool: DatabaseHandle,
      n: number,
      after?: (tx: Parameters<typeof insert>[0]) => Promise<unknown>,
    ) => {
      let release!: () => void
      let begun!: () => void
      const held = new Promise<void>((done) => (release = done))
      const inFlight = new Promise<void>((done) => (begun = done))
      const running = pool.db.transaction(async (tx) => {
        await insert(tx, n)
        begun()
        await held
        await after?.(tx)
      })
      return { inFlight, release, running }
    }
    /** A proxy in front of PostgreSQL that stands in for an outage: `down()`, then `up()` on the same port. */
    const outage = async () => {
      const target = new URL(database.url)
      const forward = (client: net.Socket) => {
        const server = net.connect(Number(target.port || 5432), target.hostname)
        client.pipe(server).pipe(client)
        client.on('error', () => server.destroy())
        server.on('error', () => client.destroy())
      }
      let proxy = net.createServer(forward)
      proxy.listen(0, '127.0.0.1')
      await once(proxy, 'listening')
      const proxied = new URL(database.url)
      proxied.port = String((proxy.address() as net.AddressInfo).port)
      return {
        url: proxied.toString(),
        /** New connections are refused; those made stay. */
        down: () => proxy.close(),
        up: async () => {
          proxy = net.createServer(forward)
          proxy.listen(Number(proxied.port), '127.0.0.1')
          await once(proxy, 'listening')
        },
      }
    }

    it('shows nobody the rows before COMMIT (BEGIN really came first)', async () => {
      await handle.db.transaction(async (tx) => {
        await insert(tx, 1)
        expect(await stored()).not.toContain(1)
      })
      expect(await stored()).toContain(1)
    })

    it('commits with the last statements', async () => {
      await handle.db.transaction(async (tx) => {
        await insert(tx, 2)
        await commitWithLast(tx, Promise.all([insert(tx, 3), insert(tx, 4)]))
      })
      expect(await stored()).toEqual(expect.arrayContaining([2, 3, 4]))
    })

    // Past Node's default 16 KB held in the socket, postgres.js would take the connection for full
    // and send the rest one statement a round trip (src/db/socket.ts).
    it('sends big statements issued together in one write', () =>
      withPool(1, async (single) => {
        await queryRows(outside.db, sql`create table bodies (n int primary key, body text)`)
        const body = 'x'.repeat(9000)
        const insertBody = (tx: Parameters<typeof insert>[0], n: number) =>
          queryRows(tx, sql`insert into bodies values (${n}, ${body})`)
        // Prepared once, so that the measured transaction sends only executions.
        await single.db.transaction((tx) => insertBody(tx, 0))
        const sockets = net.Socket.prototype as unknown as Record<'_write' | '_writev', () => void>
        const writes = [vi.spyOn(sockets, '_write'), vi.spyOn(sockets, '_writev')]
        try {
          await single.db.transaction((tx) =>
            commitWithLast(tx, Promise.all([1, 2, 3, 4, 5, 6].map((n) => insertBody(tx, n)))),
          )
          // The six in one write; COMMIT, issued on the next turn (`commitWithLast`), in a second.
          expect(writes.reduce((sum, write) => sum + write.mock.calls.length, 0)).toBe(2)
        } finally {
          for (const write of writes) write.mockRestore()
        }
        const rows = await queryRows<{ n: number }>(outside.db, sql`select n from bodies order by n`)
        expect(rows.map((row) => row.n)).toEqual([0, 1, 2, 3, 4, 5, 6])
      }))

    it('rolls the whole transaction back when a last statement fails with COMMIT already sent', async () => {
      const attempt = handle.db.transaction(async (tx) => {
        await insert(tx, 5)
        await commitWithLast(tx, insert(tx, 1))
      })
      expect(await failure(attempt)).toMatch(/duplicate key/)
      expect(await stored()).not.toContain(5)
    })

    // COMMIT really left with the last statements: the transaction is over when they answer.
    it('refuses a statement after the early COMMIT, which never runs', async () => {
      const attempt = handle.db.transaction(async (tx) => {
        await commitWithLast(tx, insert(tx, 6))
        await insert(tx, 7)
      })
      // Committed all the same: said so, so that nobody retries what is stored.
      expect(await failure(attempt)).toMatch(
        /committed, then its callback failed[\s\S]*after the end of its transaction/,
      )
      const rows = await stored()
      expect(rows).toContain(6)
      expect(rows).not.toContain(7)
    })

    it('rolls back when the callback throws, and the connection serves the next transaction', async () => {
      const attempt = handle.db.transaction(async (tx) => {
        await insert(tx, 8)
        throw new Error('changed my mind')
      })
      await expect(within(attempt)).rejects.toThrow('changed my mind')
      expect(await stored()).not.toContain(8)
      await handle.db.transaction((tx) => insert(tx, 9))
      expect(await stored()).toContain(9)
    })

    it('rolls a failed savepoint back and commits the rest', async () => {
      await handle.db.transaction(async (tx) => {
        await insert(tx, 10)
        expect(await failure(tx.transaction((inner) => insert(inner, 10)))).toMatch(/duplicate key/)
        await insert(tx, 11)
      })
      expect(await stored()).toEqual(expect.arrayContaining([10, 11]))
    })

    // postgres.js 3.4 alone would, after such a close, throw from a timer writing to the closed
    // socket (a crashed process) or leave the statement unanswered for ever.
    it.each([
      ['while the next statement is on its way', false],
      ['before the next statement', true],
    ])('fails, not hangs, when the server ends the connection %s', async (_, awaitClose) => {
      const first = 20 + Number(awaitClose) * 10
      const attempt = handle.db.transaction(async (tx) => {
        await insert(tx, first)
        const pid = await backendPid(tx)
        await terminate(pid)
        if (awaitClose) {
          while (
            (await queryRows(outside.db, sql`select 1 from pg_stat_activity where pid = ${pid}::int`)).length
          )
            await new Promise((next) => setImmediate(next))
          await new Promise((next) => setImmediate(next))
        }
        await insert(tx, first + 1)
      })
      expect(await failure(attempt)).toMatch(/terminat|closed|ECONNRESET|CONNECTION/i)
      const rows = await stored()
      expect(rows).not.toContain(first)
      expect(rows).not.toContain(first + 1)
      // The pool reconnects and every connection serves again. postgres.js 3.4 hands the error of
      // a statement running at the close to the first statement after the reconnect: one may fail.
      const again = await Promise.allSettled(
        [2, 3, 4].map((n) => within(handle.db.transaction((tx) => insert(tx, first + n)))),
      )
      const failed = again.flatMap((outcome, index) =>
        outcome.status === 'rejected' ? [first + 2 + index] : [],
      )
      expect(failed.length).toBeLessThanOrEqual(1)
      for (const n of failed) await within(handle.db.transaction((tx) => insert(tx, n)))
      expect(await stored()).toEqual(expect.arrayContaining([first + 2, first + 3, first + 4]))
    })

    // postgres.js 3.4.9 hands a waiting reserve() to the reconnect of the connection that closed,
    // which drops it (porsager/postgres#1195): the waiting transaction never ran (src/db/pool.ts).
    it('runs a transaction that waited for the connection whose backend was terminated', () =>
      withPool(1, async (single) => {
        let pid!: number
        let begun!: () => void
        const running = new Promise<void>((done) => (begun = done))
        const holding = single.db.transaction(async (tx) => {
          pid = await backendPid(tx)
          begun()
          await new Promise(() => {}) // holds the only connection until it is taken away
        })
        holding.catch(() => undefined)
        await running
        const waiting = single.db.transaction((tx) => insert(tx, 80))
        await new Promise((next) => setImmediate(next))
        await terminate(pid)
        expect(await failure(holding)).toMatch(/terminat|closed|CONNECTION/i)
        await within(waiting)
        expect(await stored()).toContain(80)
      }))

    // Another's connect failed meanwhile: the pool was replaced, and its queue ended with it.
    it('runs a transaction that waited while the pool was replaced', async () => {
      const postgres = await outage()
      await withPool(
        2,
        async (flaky) => {
          const holding = holdOpen(flaky, 81)
          await within(holding.inFlight)
          // The second connection cannot be made: its transaction fails, the third waits in the queue.
          postgres.down()
          const refused = flaky.db.transaction((tx) => insert(tx, 82))
          const waiting = flaky.db.transaction((tx) => insert(tx, 83))
          expect(await failure(refused)).toMatch(/ECONNREFUSED/)
          await postgres.up()
          try {
            await within(waiting, 4_000) // the old pool's end would fail it after 5 s
            holding.release()
            await within(holding.running)
            expect(await stored()).toEqual(expect.arrayContaining([81, 83]))
          } finally {
            holding.release()
          }
        },
        postgres.url,
      ).finally(postgres.down)
    })

    it('fails a statement whose cached plan went stale instead of re-sending it after COMMIT', () =>
      withPool(1, async (single) => {
        await queryRows(outside.db, sql`create table plans (n int primary key, m int)`)
        const insertReturning = (tx: Parameters<typeof insert>[0], n: number) =>
          queryRows(tx, sql`insert into plans values (${n}, ${n}) returning m`)
        await single.db.transaction((tx) => commitWithLast(tx, insertReturning(tx, 1)))
        // A migration elsewhere changes the type the cached statement returns.
        await queryRows(outside.db, sql`alter table plans alter column m type bigint`)
        const attempt = single.db.transaction(async (tx) => {
          await insert(tx, 40)
          await commitWithLast(tx, insertReturning(tx, 41))
        })
        expect(await failure(attempt)).toMatch(/cached plan|result type/)
        const plans = await queryRows<{ n: number }>(outside.db, sql`select n from plans`)
        expect(plans.map((row) => row.n)).toEqual([1])
        expect(await stored()).not.toContain(40)
        // The statement is prepared again next time.
        await within(single.db.transaction((tx) => commitWithLast(tx, insertReturning(tx, 42))))
      }))

    it('refuses a statement the driver cannot send, and the connection serves on', () =>
      withPool(1, async (single) => {
        const attempt = single.db.transaction((tx) => queryRows(tx, sql`select ${sql.param(undefined)}::int`))
        expect(await failure(attempt)).toMatch(/undefined/)
        await within(single.db.transaction((tx) => insert(tx, 50)))
        expect(await stored()).toContain(50)
      }))

    it('lets a running transaction finish when the pool closes, and refuses new ones', async () => {
      const closing = await createDatabase({ url: database.url, dataDir: '', poolSize: 2 })
      const { inFlight, release, running } = holdOpen(closing, 60, (tx) => insert(tx, 61))
      await within(inFlight)
      expect(await stored()).not.toContain(60)
      const closed = closing.close()
      release()
      await within(running)
      await within(closed)
      expect(await stored()).toEqual(expect.arrayContaining([60, 61]))
      expect(await failure(closing.db.transaction((tx) => insert(tx, 62)))).toMatch(/closing|ended/i)
    })

    it('reconnects after PostgreSQL could not be reached', async () => {
      const postgres = await outage()
      postgres.down()
      await withPool(
        2,
        async (flaky) => {
          for (const n of [70, 71, 72])
            expect(await failure(flaky.db.transaction((tx) => insert(tx, n)))).toMatch(/ECONNREFUSED/)
          await postgres.up()
          await within(Promise.all([73, 74, 75].map((n) => flaky.db.transaction((tx) => insert(tx, n)))))
          expect(await stored()).toEqual(expect.arrayContaining([73, 74, 75]))
        },
        postgres.url,
      ).finally(postgres.down)
    })
  })
})
