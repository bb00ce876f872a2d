import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BatchLane, batchedTransaction } from '../../src/db/batch'
import { type DatabaseHandle, type Executor, queryRows } from '../../src/db/client'
import { commitWithLast } from '../../src/db/transactions'
import { drivers } from '../helpers/drivers'

// Group commit (src/db/batch.ts): work that waits shares one transaction, and each piece still
// ends as it would have alone — its own result or error, its writes stored or not, whatever the
// others did.

/** A fresh database with a probe table, and what the tests do with it. */
function withProbe(open: (typeof drivers)[number][1]) {
  const probe = {
    handle: undefined as unknown as DatabaseHandle,
    /** A lane of its own (no batch of an earlier test is still running in it), to run work in. */
    lane: () => {
      const own: BatchLane = { concurrent: 1 }
      return <T>(work: (tx: Executor) => Promise<T>) => batchedTransaction(probe.handle.db, own, work)
    },
    transactionId: async (tx: Executor) =>
      (await queryRows<{ id: string }>(tx, sql`select txid_current()::text as id`))[0]!.id,
    insert: (tx: Executor, n: number) => queryRows(tx, sql`insert into batch_probe values (${n})`),
    stored: async (...ns: number[]) =>
      (
        await queryRows<{ n: number }>(
          probe.handle.db,
          sql`select n from batch_probe where n = any(${`{${ns.join(',')}}`}::int[]) order by n`,
        )
      ).map((row) => row.n),
  }
  let dispose: () => Promise<void>
  beforeAll(async () => {
    ;({ handle: probe.handle, dispose } = await open())
    await queryRows(probe.handle.db, sql`create table batch_probe (n int primary key)`)
  }, 60_000)
  afterAll(async () => {
    await probe.handle?.close()
    await dispose?.()
  })
  return probe
}

describe.each(drivers)('batched transactions (%s)', (_driver, open) => {
  const probe = withProbe(open)
  const { transactionId, insert, stored } = probe

  it('runs work that arrives while a batch runs in one transaction, and commits all of it', async () => {
    const run = probe.lane()
    const piece = (n: number) =>
      run(async (tx) => {
        await insert(tx, n)
        return transactionId(tx)
      })
    // The first runs at once, alone; the three asked for meanwhile wait for it, then go together.
    const [alone, ...together] = await Promise.all([piece(1), piece(2), piece(3), piece(4)])
    expect(new Set(together).size).toBe(1)
    expect(together[0]).not.toBe(alone)
    expect(await stored(1, 2, 3, 4)).toEqual([1, 2, 3, 4])
  })

  it('gives a failing piece its own error and stores nothing of it, and the others commit', async () => {
    const run = probe.lane()
    const outcomes = await Promise.allSettled([
      run((tx) => insert(tx, 10)),
      run((tx) => insert(tx, 11)),
      run(async (tx) => {
        await insert(tx, 12)
        throw new Error('piece 12 refuses')
      }),
      // A statement error aborts the shared transaction in the server: the others are not lost to it.
      run((tx) => insert(tx, 10)),
      run((tx) => insert(tx, 13)),
    ])
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ])
    expect((outcomes[2] as PromiseRejectedResult).reason.message).toBe('piece 12 refuses')
    expect(String((outcomes[3] as PromiseRejectedResult).reason.cause ?? outcomes[3])).toMatch(
      /duplicate key/,
    )
    expect(await stored(10, 11, 12, 13)).toEqual([10, 11, 13])
  })

  it('runs a piece that opens a savepoint alone, where rolling back to it undoes only its own work', async () => {
    const run = probe.lane()
    const outcomes = await Promise.allSettled([
      run((tx) => insert(tx, 40)),
      run((tx) => insert(tx, 41)),
      run(async (tx) => {
        await insert(tx, 42)
        await tx
          .transaction(async (inner) => {
            await insert(inner, 43)
            throw new Error('undo 43')
          })
          .catch(() => undefined)
        // Caught or not, a refused savepoint fails the batch: this one is stored only if the
        // piece ran again alone.
        await tx.transaction((inner) => insert(inner, 46)).catch(() => undefined)
      }),
      // Its second insert leaves after the savepoint above: rolling back to it would take 45 along.
      run(async (tx) => {
        await insert(tx, 44)
        await insert(tx, 45)
      }),
    ])
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ])
    expect(await stored(40, 41, 42, 43, 44, 45, 46)).toEqual([40, 41, 42, 44, 45, 46])
  })

  it('leaves COMMIT to the end of a shared transaction when a piece asks to commit with its last write', async () => {
    const run = probe.lane()
    const outcomes = await Promise.allSettled([
      run((tx) => insert(tx, 20)),
      run((tx) => commitWithLast(tx, insert(tx, 21))),
      // Still writing after the other piece's early commit would have gone.
      run(async (tx) => {
        await insert(tx, 22)
        await new Promise((done) => setImmediate(done))
        await insert(tx, 23)
      }),
    ])
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    expect(await stored(20, 21, 22, 23)).toEqual([20, 21, 22, 23])
  })
})

// PGlite is one connection: a lock held by another transaction there holds up everything.
describe('batched transactions waiting on a lock (postgres)', () => {
  const probe = withProbe(drivers[0]![1])
  const { insert, stored } = probe

  it('lets the other pieces of a batch finish while one waits for a lock held elsewhere', async () => {
    const run = probe.lane()
    await insert(probe.handle.db, 30)
    let release: () => void = () => {}
    let locked: () => void = () => {}
    const holding = new Promise<void>((done) => (locked = done))
    // Another transaction holds row 30 until the test lets it go.
    const holder = probe.handle.db.transaction(async (tx) => {
      await queryRows(tx, sql`select n from batch_probe where n = 30 for update`)
      locked()
      await new Promise<void>((done) => (release = done))
    })
    await holding
    const first = run((tx) => insert(tx, 31))
    const waiting = run((tx) => queryRows(tx, sql`update batch_probe set n = 32 where n = 30`))
    const free = run((tx) => insert(tx, 33))
    await Promise.all([first, free])
    expect(await stored(31, 33)).toEqual([31, 33])
    release()
    await Promise.all([holder, waiting])
    expect(await stored(30, 32)).toEqual([32])
  })
})
