import { sql } from 'drizzle-orm'
import { type Database, type Executor, queryRows } from './client'
import { shareTransaction } from './transactions'

type Work<T> = (tx: Executor) => Promise<T>

/**
 * A kind of work batched together, declared once (a constant) by the module that owns the work:
 * batches are kept per lane object. `concurrent` batches of a lane may run at once: more for
 * requests that spend their time waiting on round trips (and so that one batch waiting on a lock
 * does not hold up the lane), one for CPU-bound work, whose batches then grow largest.
 */
export interface BatchLane {
  readonly concurrent: number
}

interface Pending {
  work: Work<unknown>
  resolve(value: unknown): void
  reject(error: unknown): void
}

/** The most pieces of work one shared transaction takes. */
const MAX_BATCH = 32
/**
 * How long a shared transaction waits for a lock held elsewhere before it gives up and its pieces
 * run alone: then only the piece that needs the lock waits for it, not its whole batch. Pieces
 * lock in their own orders, so a batch can close a cycle with a transaction that takes two of
 * the same rows (a withdrawal, while two mails of the same person are prepared): well below
 * PostgreSQL's deadlock_timeout (1 s), the batch gives way before the deadlock check could abort
 * the other transaction.
 */
const SHARED_LOCK_WAIT = '200ms'
/** A lane that may run several batches at once starts another only when this many wait. */
const FULL_BATCH = 8

/**
 * Group commit for small transactions that do not depend on each other (a worker's bookkeeping
 * for its concurrent jobs): work that arrives while a batch is running waits for the next one,
 * and a batch runs all its work concurrently in one transaction, so their statements share the
 * round trips and one COMMIT. On loopback a round trip costs more CPU than most statements.
 *
 * Nothing of one piece of work becomes another's: if the shared transaction fails for any
 * reason (one piece threw, a deadlock, a lost connection), it is rolled back whole and every
 * piece runs again in a transaction of its own, so each ends exactly as it would have alone.
 * Pieces of one batch are not isolated from each other: they hold the same locks and may read
 * what another has not written yet. Batch only work whose conflicting writes a unique key
 * refuses — the ledger's chain key (candidacy, seq) for anything that changes a candidacy, a
 * dedupe key — so that two pieces racing for one thing fail the batch and then run one by one.
 * A piece that opens a savepoint (`tx.transaction`) fails its batch, caught or not, and runs
 * alone: rolling back to the savepoint would also undo what the other pieces wrote since.
 * The work must touch nothing but the transaction, and, as any transaction that is retried, be
 * safe to run again when the connection was lost with COMMIT in flight (its outcome is then
 * unknown). Alone (no other work waiting), a piece runs in a transaction of its own at once:
 * batching never delays an idle service.
 */
class TransactionBatcher {
  private waiting: Pending[] = []
  private running = 0

  constructor(
    private readonly db: Database,
    private readonly concurrent: number,
  ) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work, resolve: resolve as (value: unknown) => void, reject })
      this.next()
    })
  }

  private next(): void {
    while (this.waiting.length > 0 && this.mayStart()) {
      this.running++
      void this.runBatch(this.waiting.splice(0, MAX_BATCH)).finally(() => {
        this.running--
        this.next()
      })
    }
  }

  private mayStart(): boolean {
    return this.running === 0 || (this.running < this.concurrent && this.waiting.length >= FULL_BATCH)
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    if (batch.length > 1) {
      const outcomes = await this.db
        .transaction(async (tx) => {
          shareTransaction(tx)
          let savepointRefused = false
          // The pieces' savepoints are refused (an own property over drizzle's method, on this
          // transaction only: the object keeps its prototype, so hot code stays monomorphic).
          Object.defineProperty(tx, 'transaction', {
            value: () => {
              savepointRefused = true
              return Promise.reject(new SharedTransactionFailed())
            },
          })
          // Issued first, in the same write as the pieces' first statements.
          const bounded = queryRows(tx, sql`set local lock_timeout = ${sql.raw(`'${SHARED_LOCK_WAIT}'`)}`)
          // Settled, not Promise.all: the transaction ends only when every piece has stopped.
          const settled = await Promise.allSettled([bounded, ...batch.map((pending) => pending.work(tx))])
          if (savepointRefused || settled.some((outcome) => outcome.status === 'rejected')) {
            throw new SharedTransactionFailed()
          }
          return settled.slice(1).map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value)
        })
        .catch(() => undefined)
      if (outcomes) {
        for (const [index, pending] of batch.entries()) pending.resolve(outcomes[index])
        return
      }
    }
    await Promise.all(
      batch.map((pending) => this.db.transaction(pending.work).then(pending.resolve, pending.reject)),
    )
  }
}

class SharedTransactionFailed extends Error {}

const batchers = new WeakMap<Database, WeakMap<BatchLane, TransactionBatcher>>()

/**
 * Runs `work` in a transaction shared with the other work of the same `lane` that is waiting
 * (see TransactionBatcher); its result is what it would have been in a transaction of its own.
 */
export function batchedTransaction<T>(db: Database, lane: BatchLane, work: Work<T>): Promise<T> {
  const lanes = batchers.get(db) ?? new WeakMap<BatchLane, TransactionBatcher>()
  batchers.set(db, lanes)
  const batcher = lanes.get(lane) ?? new TransactionBatcher(db, lane.concurrent)
  lanes.set(lane, batcher)
  return batcher.run(work)
}
