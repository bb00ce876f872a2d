import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { SQL } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import type { ExtractTablesWithRelations } from 'drizzle-orm/relations'
import { StartupError } from '../lib/exit'
import { ReplaceablePool } from './pool'
import type * as schema from './schema'
import { coalescingSocket } from './socket'
import { pipelinedTransaction, TransactionGate } from './transactions'
import { postgresTarget } from './url'

export type Schema = typeof schema
// drizzle is given no schema at run time: it would build a relational query builder for every
// table on every transaction, and Candor writes its queries with the SQL-like builder only.
export type Database = PgDatabase<PgQueryResultHKT, Schema>
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>
/** What repositories take: the database or a transaction on it. */
export type Executor = Database | Transaction

export interface DatabaseHandle {
  db: Database
  kind: 'postgres' | 'pglite'
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** postgres:// URL; without one the embedded PGlite database under `dataDir` is used. */
  url?: string | undefined
  dataDir: string
  poolSize?: number
}

export async function createDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const { default: postgres } = await import('postgres')
    const { drizzle } = await import('drizzle-orm/postgres-js')
    const target = postgresTarget(options.url)
    const connect = (onclose: () => void) =>
      postgres(target.url, {
        ...target.options,
        max: options.poolSize ?? 10,
        // Never let the driver print queries or parameters: they can hold personal data.
        debug: false,
        onnotice: () => {},
        connection: { application_name: 'candor' },
        // A transaction's tail and its COMMIT in one socket write (src/db/socket.ts).
        socket: coalescingSocket,
        onclose,
      } as Parameters<typeof postgres>[1])
    const pool = new ReplaceablePool(connect)
    const transactions = new TransactionGate()
    return {
      db: drizzle(alwaysPrepared(pool.client, transactions)) as unknown as Database,
      kind: 'postgres',
      close: async () => {
        await transactions.close()
        await pool.end()
      },
    }
  }
  const { PGlite } = await import('@electric-sql/pglite')
  const { drizzle } = await import('drizzle-orm/pglite')
  const dataDir = resolve(options.dataDir, 'pglite')
  mkdirSync(dataDir, { recursive: true })
  const releaseLock = lockEmbeddedDatabase(dataDir)
  try {
    const client = await PGlite.create({ dataDir })
    return {
      db: drizzle(client) as unknown as Database,
      kind: 'pglite',
      close: async () => {
        await client.close()
        releaseLock()
      },
    }
  } catch (error) {
    releaseLock()
    throw error
  }
}

/** PGlite is a single-process database: a second process opening the same files would corrupt them. */
function lockEmbeddedDatabase(dataDir: string): () => void {
  const lockFile = resolve(dataDir, '..', 'pglite.lock')
  try {
    const holder = Number(readFileSync(lockFile, 'utf8'))
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new StartupError(
        `The embedded database in ${dataDir} is in use by process ${holder} (a running \`npm start\`?).\n` +
          'Stop that process first, or set DATABASE_URL to a PostgreSQL server that several processes can share.',
      )
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  writeFileSync(lockFile, String(process.pid))
  return () => rmSync(lockFile, { force: true })
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

type PostgresClient = import('postgres').Sql

/**
 * drizzle asks postgres.js for unnamed statements unless a query is built with `.prepare()`,
 * which costs a describe round trip on every query with parameters. Named (cached) statements
 * halve the round trips of a sourcing transaction: postgres.js caches them per connection by
 * SQL text, and drizzle's text is stable per query shape. Transactions are pipelined
 * (src/db/transactions.ts) and get the same treatment.
 */
function alwaysPrepared(client: PostgresClient, transactions?: TransactionGate): PostgresClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (query: string, params?: unknown[], options?: Record<string, unknown>) =>
          target.unsafe(query, params as never, { ...options, prepare: true })
      }
      // The pool's transactions; inside one, `begin` is the transaction's own (it refuses).
      if (property === 'begin' && transactions) {
        // drizzle passes only the callback: isolation levels and the like go by SET TRANSACTION.
        return (callback: (tx: PostgresClient) => unknown) =>
          transactions.run(() => pipelinedTransaction(target, (inner) => alwaysPrepared(inner), callback))
      }
      return Reflect.get(target, property, receiver)
    },
  })
}

/** Raw SQL for the few places drizzle's builder cannot express; both drivers answer in their own shape. */
export async function queryRows<Row>(executor: Executor, query: SQL): Promise<Row[]> {
  const result = (await executor.execute(query)) as unknown as Row[] | { rows: Row[] }
  return Array.isArray(result) ? result : result.rows
}
