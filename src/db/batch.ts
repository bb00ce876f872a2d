import type { Database, Executor } from './client'
import { shareTransaction } from './transactions'

type Work<T> = (tx: Executor) => Promise<T>

interface Pending {
  work: Work<unknown>
  resolve(value: unknown): void
  reject(error: unknown): void
}

/** The most pieces of work one shared transaction takes. */
const MAX_BATCH = 32

/**
 * Group commit for small transactions that do not depend on each other (a worker's bookkeeping
 * for its concurrent jobs): work that arrives while a batch is running waits for the next one,
 * and a batch runs all its work concurrently in one transaction, so their statements share the
 * round trips and one COMMIT. On loopback a round trip costs more CPU than most statements.
 *
 * Nothing of one piece of work becomes another's: if the shared transaction fails for any
 * reason (one piece threw, a deadlock, a lost connection), it is rolled back whole and every
 * piece runs again in a transaction of its own, so each ends exactly as it would have alone.
 * The work must therefore touch nothing but the transaction, and, as any transaction that is
 * retried, be safe to run again when the connection was lost with COMMIT in flight (its outcome
 * is then unknown). Alone (no other work waiting), a
 * piece runs in a transaction of its own at once: batching never delays an idle service.
 */
class TransactionBatcher {
  private waiting: Pending[] = []
  private running = false

  constructor(private readonly db: Database) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work, resolve: resolve as (value: unknown) => void, reject })
      this.next()
    })
  }

  private next(): void {
    if (this.running || this.waiting.length === 0) return
    this.running = true
    const batch = this.waiting.splice(0, MAX_BATCH)
    void this.runBatch(batch).finally(() => {
      this.running = false
      this.next()
    })
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    if (batch.length > 1) {
      const outcomes = await this.db
        .transaction(async (tx) => {
          shareTransaction(tx)
          // Settled, not Promise.all: the transaction ends only when every piece has stopped.
          const settled = await Promise.allSettled(batch.map((pending) => pending.work(tx)))
          if (settled.some((outcome) => outcome.status === 'rejected')) throw new SharedTransactionFailed()
          return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value)
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

const batchers = new WeakMap<Database, Map<string, TransactionBatcher>>()

/**
 * Runs `work` in a transaction shared with the other work of the same `lane` that is waiting
 * (see TransactionBatcher); its result is what it would have been in a transaction of its own.
 */
export function batchedTransaction<T>(db: Database, lane: string, work: Work<T>): Promise<T> {
  const lanes = batchers.get(db) ?? new Map<string, TransactionBatcher>()
  batchers.set(db, lanes)
  const batcher = lanes.get(lane) ?? new TransactionBatcher(db)
  lanes.set(lane, batcher)
  return batcher.run(work)
}
