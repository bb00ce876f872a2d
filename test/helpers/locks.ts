import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { expect, vi } from 'vitest'
import { queryRows } from '../../src/db/client'
import type { TestApp } from './app'

/** How many sessions of the test's database wait on a lock right now. */
export async function sessionsWaitingOnLocks(t: TestApp): Promise<number> {
  const [row] = await queryRows<{ count: string }>(
    t.app.db,
    sql`select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  )
  return Number(row!.count)
}

/**
 * Meets one of the service's transactions with another one held open in the middle: `hold` takes
 * the other's first locks in a raw transaction, `start` begins the service's work, and once that
 * waits on a lock `closeCycle` takes the lock that closes a cycle if the service took its locks in
 * another order (PostgreSQL would abort one of the two with 40P01). Resolves as `start` does,
 * after the raw transaction committed.
 */
export async function meetHeldTransaction<T>(
  t: TestApp,
  steps: {
    hold: (tx: postgres.TransactionSql) => Promise<unknown>
    start: () => Promise<T>
    closeCycle?: (tx: postgres.TransactionSql) => Promise<unknown>
  },
): Promise<T> {
  const raw = postgres(t.databaseUrl, { max: 1, onnotice: () => {} })
  let running: Promise<T> | undefined
  try {
    await raw.begin(async (tx) => {
      await steps.hold(tx)
      running = steps.start()
      // Its failure is the caller's to see, after the raw transaction is done with.
      running.catch(() => {})
      await vi.waitFor(async () => expect(await sessionsWaitingOnLocks(t)).toBeGreaterThan(0), {
        timeout: 15_000,
        interval: 50,
      })
      await steps.closeCycle?.(tx)
    })
  } finally {
    await raw.end()
  }
  return running!
}
