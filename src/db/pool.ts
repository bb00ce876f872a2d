type PostgresClient = import('postgres').Sql
type ReservedClient = import('postgres').ReservedSql

/** A transaction waiting for a connection, and the attempt whose outcome it takes. */
interface Waiter {
  latest: Promise<ReservedClient> | undefined
  resolve(reserved: ReservedClient): void
  reject(error: unknown): void
}

/**
 * The postgres.js pool, with two of its 3.4.9 ways of losing a transaction's `reserve()` mended:
 *
 * - A failed `reserve()` (PostgreSQL could not be reached) stays in the driver's queue, and once
 *   PostgreSQL is back it takes a connection that nobody will ever release: after as many
 *   failures as the pool has connections, every transaction would wait for ever. The pool is then
 *   replaced by a fresh one and ended; the fresh one gets the type parsers drizzle set on the
 *   first (it changes them in place).
 * - A `reserve()` waiting in the driver's queue when one of its connections closes (the server
 *   restarted, the backend was terminated) is handed to that connection's reconnect, which drops
 *   it: it never settles (porsager/postgres#1195). So is one waiting in a pool just replaced.
 *
 * So every transaction waiting for a connection asks again, of the current pool, when a
 * connection closes or the pool is replaced. It takes the first connection it gets; one that
 * comes to an earlier request later is handed back at once.
 */
export class ReplaceablePool {
  private current: PostgresClient
  private readonly first: PostgresClient
  private readonly waiting = new Set<Waiter>()
  /** What drizzle and the transactions use: always the current pool. */
  readonly client: PostgresClient

  /** `connect` makes a pool that calls `onclose` whenever one of its connections closes. */
  constructor(private readonly connect: (onclose: () => void) => PostgresClient) {
    this.current = this.first = this.open()
    // postgres.js's functions are closures over their pool (none uses `this`): handed out as they are.
    const reserve = () => this.reserve()
    this.client = new Proxy(this.first, {
      get: (_target, property) => (property === 'reserve' ? reserve : Reflect.get(this.current, property)),
    })
  }

  end(): Promise<void> {
    return this.current.end({ timeout: 5 })
  }

  private open(): PostgresClient {
    const client = this.connect(() => {
      // After the driver's own handling of the close, which is what may drop a waiting request.
      if (client === this.current) queueMicrotask(() => this.askAgain())
    })
    return client
  }

  private reserve(): Promise<ReservedClient> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { latest: undefined, resolve, reject }
      this.waiting.add(waiter)
      this.attempt(waiter)
    })
  }

  private attempt(waiter: Waiter): void {
    const client = this.current
    const attempt = client.reserve()
    waiter.latest = attempt
    attempt.then(
      (reserved) => {
        if (this.waiting.delete(waiter)) waiter.resolve(reserved)
        else reserved.release() // another attempt served it first
      },
      (error: unknown) => {
        // Only the latest attempt speaks for the waiter: an earlier one may have been dropped.
        if (waiter.latest === attempt && this.waiting.delete(waiter)) waiter.reject(error)
        if (client === this.current) this.replace(client)
      },
    )
  }

  private askAgain(): void {
    for (const waiter of this.waiting) this.attempt(waiter)
  }

  private replace(client: PostgresClient): void {
    const fresh = this.open()
    Object.assign(fresh.options.parsers, this.first.options.parsers)
    Object.assign(fresh.options.serializers, this.first.options.serializers)
    this.current = fresh
    void client.end({ timeout: 5 }).catch(() => undefined)
    this.askAgain()
  }
}
