import type { Executor } from './client'

type PostgresClient = import('postgres').Sql
type ReservedClient = import('postgres').ReservedSql
type Query = Promise<unknown> & {
  handler: (query: Query) => unknown
  execute(): Query
  reject(error: unknown): void
  args: unknown[]
  cancelled: unknown
  command?: string
}
type Result = { command?: string }

/**
 * What one transaction on a reserved connection has sent, so it can tell whether the server
 * committed it: every statement's first error (even one the caller caught: the server has then
 * aborted the transaction), and whether COMMIT already left with the last statements.
 */
class TransactionState {
  firstError: unknown
  created = 0
  sent = 0
  depth = 0
  /** Several callers' work runs in the transaction (src/db/batch.ts): none may commit early. */
  shared = false
  /** COMMIT once it has been sent early (`commitWithLast`); nothing may follow it. */
  commit: Promise<Result> | undefined
  closed = false
  /** Why the connection closed under the transaction, if it did: nothing more may be sent on it. */
  lostBecause: Error | undefined
  /** postgres.js's connection under the reservation, as its BEGIN reports it. */
  connection: DriverConnection | undefined
  private onLost: ((error: Error) => void) | undefined
  /** Rejects when the connection closes under the transaction; its statements may never answer then. */
  readonly lost = new Promise<never>((_, reject) => {
    this.onLost = reject
  })

  constructor() {
    this.lost.catch(() => undefined)
  }

  track(query: Query): Query {
    if (this.lostBecause) throw this.lostBecause
    if (this.closed) throw new Error('statement after the end of its transaction')
    this.created++
    const send = query.handler
    query.handler = (sending: Query) => {
      this.sent++
      sending.catch((error: unknown) => {
        this.firstError ??= error
      })
      // postgres.js 3.4 blames a statement it cannot encode on the statement being answered
      // (here BEGIN) and then waits for ever for the one it never sent: refuse it here instead.
      const unsendable = unsendableBecause(sending.args)
      if (unsendable) return sending.reject(unsendable)
      return send(sending)
    }
    guardRetries(query)
    return query
  }

  lose(error: Error | undefined): void {
    this.lostBecause = error ?? new Error('the connection to the database closed')
    this.onLost?.(this.lostBecause)
  }
}

const transactionQueries = new WeakSet<object>()
const retriedBecause = new WeakMap<object, unknown>()
let retriesGuarded = false

/**
 * postgres.js re-sends a cached statement whose plan went stale (a column's type changed) at the
 * end of what is already pipelined: behind an early COMMIT it would run on its own. In a
 * transaction the server has aborted everything anyway, so such a statement fails instead. The
 * driver marks a retry by setting `retried`; an accessor on its Query prototype (defined once,
 * so no query changes shape, which would slow every query down) catches it for our statements.
 */
function guardRetries(query: Query): void {
  transactionQueries.add(query)
  if (retriesGuarded) return
  retriesGuarded = true
  Object.defineProperty(Object.getPrototypeOf(query), 'retried', {
    configurable: true,
    get(this: object) {
      return retriedBecause.get(this)
    },
    set(this: Query, error: unknown) {
      if (!transactionQueries.has(this)) {
        retriedBecause.set(this, error)
        return
      }
      this.cancelled = true // the driver's execute() then sends nothing
      this.reject(error)
    },
  })
}

/** The part of postgres.js's internal connection a transaction watches (as its own `begin` does). */
interface DriverConnection {
  onclose: ((error?: Error) => void) | null
}

const states = new WeakMap<object, TransactionState>()

/** The driver's error for "current transaction is aborted": the first error says why. */
const isAbortedTransaction = (error: unknown) => (error as { code?: string })?.code === '25P02'

export class RolledBackError extends Error {
  override name = 'RolledBackError'
  constructor() {
    super('the database rolled the transaction back')
  }
}

/** The transaction committed (its COMMIT had left early), but its callback failed afterwards. */
export class CommittedWithError extends Error {
  override name = 'CommittedWithError'
  constructor(cause: unknown) {
    super('the transaction committed, then its callback failed', { cause })
  }
}

/** The most parameters one statement can carry in PostgreSQL's protocol. */
const MAX_PARAMETERS = 65_534

function unsendableBecause(args: unknown[] | undefined): Error | undefined {
  if (!Array.isArray(args)) return undefined
  if (args.length >= MAX_PARAMETERS) return new Error(`a statement with ${args.length} parameters`)
  if (args.includes(undefined)) return new Error('a statement parameter is undefined')
  return undefined
}

/**
 * Transactions of one pool: `close()` lets those running finish before the pool ends (postgres.js
 * ends reserved connections only at its timeout) and refuses new ones.
 */
export class TransactionGate {
  private running = 0
  private closing = false
  private drained: (() => void) | undefined

  async run<T>(transaction: () => Promise<T>): Promise<T> {
    if (this.closing) throw new Error('the database pool is closing')
    this.running++
    try {
      return await transaction()
    } finally {
      this.running--
      if (this.running === 0) this.drained?.()
    }
  }

  close(): Promise<void> {
    this.closing = true
    return this.running === 0 ? Promise.resolve() : new Promise((done) => (this.drained = done))
  }
}

/**
 * A transaction on a reserved connection whose BEGIN leaves in the same socket write as its first
 * statement, and whose COMMIT can leave with its last ones (`commitWithLast`): two round trips and
 * two writes less than postgres.js's `begin`, which waits for BEGIN's answer before the first
 * statement and for the last statement's answer before COMMIT. On loopback each write costs more
 * CPU than most statements' parameters. Reported as committed only when every statement succeeded
 * and the server answered COMMIT (not ROLLBACK, its answer for an aborted transaction).
 *
 * If the connection closes under the transaction (the server restarted, the backend was
 * terminated), the transaction fails at once and sends nothing more: postgres.js 3.4 would throw
 * from a timer writing to the closed socket, or leave the statement waiting for ever. The closed
 * connection is then not handed back, which would put it among the open ones; the driver has
 * taken it back to reconnect it. (Left to the driver: 3.4 keeps the error of a statement that was
 * running when its connection closed and gives it to the first statement after the reconnect.)
 */
export async function pipelinedTransaction<T>(
  client: PostgresClient,
  wrap: (connection: PostgresClient) => PostgresClient,
  callback: (connection: PostgresClient) => T | Promise<T>,
): Promise<T> {
  const reserved = await client.reserve()
  const state = new TransactionState()
  const connection = transactionConnection(reserved, state, wrap)
  states.set(connection, state)
  const watch = (driverConnection: DriverConnection) => {
    state.connection = driverConnection
    driverConnection.onclose = (error) => state.lose(error)
    return true // the connection takes the next statement at once, before BEGIN's answer
  }
  const begun = state.track(reserved.unsafe('begin', [], { onexecute: watch } as never) as unknown as Query)
  begun.execute().catch(() => undefined)
  try {
    let result: T
    try {
      result = await Promise.race([callback(connection), state.lost])
      await Promise.race([begun, state.lost])
    } catch (error) {
      state.closed = true
      if (state.lostBecause) throw state.lostBecause
      if (state.commit) {
        const committed = await Promise.race([state.commit, state.lost]).catch(() => undefined)
        // Nothing can be undone: say so, so that nobody retries what is already stored.
        if (committed?.command === 'COMMIT') throw new CommittedWithError(error)
      } else await rollback(state, reserved)
      throw (isAbortedTransaction(error) && state.firstError) || error
    }
    if (!state.commit && state.firstError !== undefined) {
      state.closed = true
      await rollback(state, reserved)
      throw state.firstError
    }
    const commit =
      state.commit ?? (state.track(reserved.unsafe('commit') as unknown as Query) as Promise<Result>)
    state.closed = true
    const committed = await Promise.race([commit, state.lost])
    if (committed.command !== 'COMMIT') throw state.firstError ?? new RolledBackError()
    if (state.firstError !== undefined) throw state.firstError
    return result
  } finally {
    if (!state.lostBecause) {
      if (state.connection?.onclose) state.connection.onclose = null
      reserved.release()
    }
  }
}

async function rollback(state: TransactionState, reserved: ReservedClient): Promise<void> {
  if (state.lostBecause) return
  await Promise.race([reserved.unsafe('rollback'), state.lost]).catch(() => undefined)
}

/** The reserved connection as the transaction's callback sees it: statements tracked, savepoints nested. */
function transactionConnection(
  reserved: ReservedClient,
  state: TransactionState,
  wrap: (connection: PostgresClient) => PostgresClient,
): PostgresClient {
  const tracked = new Proxy(reserved, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (...args: Parameters<ReservedClient['unsafe']>) =>
          state.track(target.unsafe(...args) as unknown as Query)
      }
      if (property === 'savepoint') return (...args: unknown[]) => savepoint(connection, state, args)
      if (property === 'begin') {
        return () => Promise.reject(new Error('a transaction inside a transaction: use a savepoint'))
      }
      return Reflect.get(target, property, receiver)
    },
  }) as unknown as PostgresClient
  const connection = wrap(tracked)
  return connection
}

let savepoints = 0

/** A nested transaction (drizzle's `tx.transaction`): a savepoint, released or rolled back to. */
async function savepoint(connection: PostgresClient, state: TransactionState, args: unknown[]) {
  const callback = args.find((arg) => typeof arg === 'function') as (tx: PostgresClient) => unknown
  savepoints++
  const name = `candor_savepoint_${savepoints}`
  await connection.unsafe(`savepoint ${name}`)
  // An error inside the savepoint is forgiven once the transaction is back at the savepoint.
  const errorBefore = state.firstError
  state.depth++
  try {
    const result = await callback(connection)
    await connection.unsafe(`release savepoint ${name}`)
    return result
  } catch (error) {
    await connection.unsafe(`rollback to savepoint ${name}`)
    state.firstError = errorBefore
    throw error
  } finally {
    state.depth--
  }
}

/**
 * Lets COMMIT leave in the same write as the transaction's last statements, which `last` has
 * just issued: one round trip less. Only for the tail of a transaction, made of statements that
 * need no answer of each other (not "insert, and if nothing was inserted, select"); the callback
 * must return right after: a statement issued later is refused, and an error thrown later cannot
 * undo the commit (`CommittedWithError`). COMMIT waits for the next turn of the event loop, so
 * every statement issued in this turn is handed to the connection first; it stays with the
 * ordinary end of the transaction if one was not (nothing is then lost, only the round trip),
 * inside a savepoint, or on PGlite.
 */
export function commitWithLast<T>(tx: Executor, last: Promise<T>): Promise<T> {
  const { client, state } = stateOf(tx)
  if (!state || state.shared || state.depth > 0 || state.commit || state.closed) return last
  setImmediate(() => {
    const unsent = state.created !== state.sent
    if (state.closed || state.commit || state.lostBecause || unsent || state.firstError !== undefined) return
    // Through the transaction's own connection, so COMMIT is tracked like any statement.
    state.commit = (client as PostgresClient).unsafe('commit').execute() as unknown as Promise<Result>
    state.commit.catch(() => undefined)
    state.closed = true
  })
  return last
}

/** Marks a transaction as holding several callers' work: `commitWithLast` then leaves COMMIT to its end. */
export function shareTransaction(tx: Executor): void {
  const { state } = stateOf(tx)
  if (state) state.shared = true
}

/** The pipelined transaction under a drizzle transaction, if it is one (not PGlite's). */
function stateOf(tx: Executor): { client: object | undefined; state: TransactionState | undefined } {
  const client = (tx as unknown as { session?: { client?: object } }).session?.client
  return { client, state: client ? states.get(client) : undefined }
}
