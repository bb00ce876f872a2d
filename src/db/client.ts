import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { SQL } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import type { ExtractTablesWithRelations } from 'drizzle-orm/relations'
import { StartupError } from '../lib/exit'
import type * as schema from './schema'
import { postgresTarget } from './url'

export type Schema = typeof schema
// drizzle is given no schema at run time: Candor writes its queries with the SQL-like builder
// only, and a schema would make drizzle build a relational query builder on every transaction.
export type Database = PgDatabase<PgQueryResultHKT, Schema>
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>
/** What repositories take: the database (one statement) or a transaction on it. */
export type Executor = Database | Transaction

export interface DatabaseHandle {
  db: Database
  kind: 'postgres' | 'pglite'
  close(): Promise<void>
}

/** How long the service waits on PostgreSQL before it gives up and answers 503. */
export interface DatabaseLimits {
  /** For a free connection (postgres.js `queue_timeout`): the query is then never sent. */
  waitSeconds: number
  /** For one statement to run (PostgreSQL `statement_timeout`). */
  statementTimeoutSeconds: number
  /** For a row lock another transaction holds (PostgreSQL `lock_timeout`). */
  lockTimeoutSeconds: number
  /**
   * For a transaction whose caller went quiet (PostgreSQL `idle_in_transaction_session_timeout`):
   * the session ends and gives its locks and connection back.
   */
  idleInTransactionSeconds: number
  /** For a new connection to be ready (postgres.js `connect_timeout`, 30 s of its own). */
  connectTimeoutSeconds: number
}

export const defaultLimits: DatabaseLimits = {
  waitSeconds: 5,
  statementTimeoutSeconds: 60,
  lockTimeoutSeconds: 10,
  idleInTransactionSeconds: 60,
  connectTimeoutSeconds: 5,
}

export interface DatabaseOptions {
  /** postgres:// URL; without one the embedded PGlite database under `dataDir` is used. */
  url?: string | undefined
  dataDir: string
  poolSize?: number
  limits?: Partial<DatabaseLimits>
}

export async function createDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url)
    return connectServer(options.url, options.poolSize ?? 10, { ...defaultLimits, ...options.limits })
  return openEmbedded(options.dataDir)
}

/**
 * A PostgreSQL server through postgres.js, with every wait bounded by the driver's and the
 * server's own documented settings, so that a request meets an error (503), never a hang.
 */
async function connectServer(url: string, poolSize: number, limits: DatabaseLimits): Promise<DatabaseHandle> {
  const { default: postgres } = await import('postgres')
  const { drizzle } = await import('drizzle-orm/postgres-js')
  const target = postgresTarget(url)
  const milliseconds = (seconds: number) => Math.round(seconds * 1000)
  const client = postgres(target.url, {
    ...target.options,
    max: poolSize,
    // Never let the driver print queries or parameters: they can hold personal data.
    debug: false,
    onnotice: () => {},
    // A server that does not answer fails the connection soon, not after postgres.js's 30 s.
    connect_timeout: limits.connectTimeoutSeconds,
    // A query that finds every connection busy waits this long and is then never sent.
    queue_timeout: limits.waitSeconds,
    // The backstop for a server or network gone silent, where statement_timeout cannot act:
    // TCP would take many minutes to notice.
    query_timeout: limits.waitSeconds + limits.statementTimeoutSeconds + 5,
    // Connections a burst opened are closed again once it is over.
    idle_timeout: 60,
    connection: {
      application_name: 'candor',
      statement_timeout: milliseconds(limits.statementTimeoutSeconds),
      lock_timeout: milliseconds(limits.lockTimeoutSeconds),
      // A transaction left open by a stuck caller gives its locks and its connection back.
      idle_in_transaction_session_timeout: milliseconds(limits.idleInTransactionSeconds),
    },
  })
  return {
    db: drizzle(client) as unknown as Database,
    kind: 'postgres',
    close: () => client.end({ timeout: 5 }),
  }
}

/** The embedded database of a bare machine: PostgreSQL compiled to WebAssembly, in this process. */
async function openEmbedded(dataDir: string): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite')
  const { drizzle } = await import('drizzle-orm/pglite')
  const directory = resolve(dataDir, 'pglite')
  mkdirSync(directory, { recursive: true })
  const releaseLock = lockEmbeddedDatabase(directory)
  try {
    const client = await PGlite.create({ dataDir: directory })
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

/** Raw SQL for the few places drizzle's builder cannot express; both drivers answer in their own shape. */
export async function queryRows<Row>(executor: Executor, query: SQL): Promise<Row[]> {
  const result = (await executor.execute(query)) as unknown as Row[] | { rows: Row[] }
  return Array.isArray(result) ? result : result.rows
}
