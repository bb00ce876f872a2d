import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { batchedTransaction } from '../../src/db/batch'
import { type DatabaseHandle, type Executor, queryRows } from '../../src/db/client'
import { commitWithLast } from '../../src/db/transactions'
import { drivers } from '../helpers/drivers'

// Group commit (src/db/batch.ts): work that waits shares one transaction, and each piece still
// ends as it would have alone — its own result or error, its writes stored or not, whatever the
// others did.
describe.each(drivers)('batched transactions (%s)', (_driver, open) => {
  let handle: DatabaseHandle
  let dispose: () => Promise<void>
  beforeAll(async () => {
    ;({ handle, dispose } = await open())
    await queryRows(handle.db, sql`create table batch_probe (n int primary key)`)
  }, 60_000)
  afterAll(async () => {
    await handle?.close()
    await dispose?.()
  })

  let lane = 0
  /** Each test its own lane, so no batch of an earlier test is still running. */
  const nextLane = () => `test-${++lane}`
  const transactionId = async (tx: Executor) =>
    (await queryRows<{ id: string }>(tx, sql`select txid_current()::text as id`))[0]!.id
  const insert = (tx: Executor, n: number) => queryRows(tx, sql`insert into batch_probe values (${n})`)
  const stored = async (...ns: number[]) =>
    (
      await queryRows<{ n: number }>(
        handle.db,
        sql`select n from batch_probe where n = any(${`{${ns.join(',')}}`}::int[]) order by n`,
      )
    ).map((row) => row.n)

  it('runs work that arrives while a batch runs in one transaction, and commits all of it', async () => {
    const lane = nextLane()
    const piece = (n: number) =>
      batchedTransaction(handle.db, lane, async (tx) => {
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
    const lane = nextLane()
    const run = <T>(work: (tx: Executor) => Promise<T>) => batchedTransaction(handle.db, lane, work)
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

  it('leaves COMMIT to the end of a shared transaction when a piece asks to commit with its last write', async () => {
    const lane = nextLane()
    const run = <T>(work: (tx: Executor) => Promise<T>) => batchedTransaction(handle.db, lane, work)
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
