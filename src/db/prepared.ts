import { eq, is, SQL, sql } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import { drizzle } from 'drizzle-orm/postgres-js'
import type { Database, Executor } from './client'

/** What drizzle hands its session when a query is prepared: the SQL text, its parameters and how to map rows. */
type PrepareArguments = unknown[]

interface Session {
  prepareQuery(...args: PrepareArguments): {
    execute(values?: Record<string, unknown>): Promise<unknown>
    joinsNotNullableMap?: unknown
  }
}

interface Preparable<Result> {
  prepare(name: string): { execute(values?: Record<string, unknown>): Promise<Result> }
}

/** A database that only records what a builder would prepare; it never runs anything. */
function recorder(): { db: Database; take(): { args: PrepareArguments; joins: unknown } } {
  const db = drizzle.mock() as unknown as Database & { session: Session }
  type Target = { execute(): Promise<undefined>; setToken(): Target; joinsNotNullableMap?: unknown }
  let recorded: { args: PrepareArguments; target: Target } | undefined
  db.session.prepareQuery = (...args: PrepareArguments) => {
    // Selects finish with `.setToken()` on what they were given.
    const target: Target = { execute: async () => undefined, setToken: () => target }
    recorded = { args, target }
    return target
  }
  return {
    db,
    take: () => {
      if (!recorded) throw new Error('the builder prepared nothing')
      return { args: recorded.args, joins: recorded.target.joinsNotNullableMap }
    },
  }
}

/**
 * A query built once (with `sql.placeholder()` for its inputs) that runs on any executor,
 * inside a transaction too. drizzle's own `.prepare()` binds a statement to the connection it
 * was built on; this keeps the built SQL and its row mapping and asks the executor's session to
 * prepare it, which costs nothing next to building it again (100–300 µs a query on this kind of
 * machine, more than the database needs to run it).
 */
export function statement<Values extends Record<string, unknown>, Result>(
  build: (db: Database) => Preparable<Result>,
): (executor: Executor, values: Values) => Promise<Result> {
  let built: { args: PrepareArguments; joins: unknown } | undefined
  return (executor, values) => {
    if (!built) {
      const { db, take } = recorder()
      build(db).prepare('candor_statement')
      built = take()
    }
    const [query, fields, , arrayMode, ...rest] = built.args
    const prepared = (executor as unknown as { session: Session }).session.prepareQuery(
      query,
      fields,
      undefined,
      arrayMode,
      ...rest,
    )
    if (built.joins !== undefined) prepared.joinsNotNullableMap = built.joins
    return prepared.execute(values) as Promise<Result>
  }
}

/**
 * `column = any($n)`: a list as one array parameter, so the statement's text (and the statement
 * built once) does not change with the list's length.
 */
export const anyOf = (column: PgColumn, name: string) => sql`${column} = any(${sql.placeholder(name)})`

type Row = Record<string, unknown>

/**
 * The values of a built statement: a placeholder for each column given, a literal NULL for each
 * given as null (drizzle would pass a placeholder's null through the column's encoder), and an SQL
 * expression as itself. The shape — which columns, which null, which expression — names the statement.
 */
const expressionIds = new WeakMap<SQL, number>()
let expressionCount = 0
function expressionId(expression: SQL): number {
  const known = expressionIds.get(expression)
  if (known !== undefined) return known
  expressionCount++
  expressionIds.set(expression, expressionCount)
  return expressionCount
}

interface Shape {
  id: string
  keys: string[]
  nulls: string[]
  expressions: Map<string, SQL>
}

function shapeOf(row: Row): Shape {
  const keys = Object.keys(row)
    .filter((key) => row[key] !== undefined)
    .sort()
  const nulls = keys.filter((key) => row[key] === null)
  const expressions = new Map(
    keys.flatMap((key) => (is(row[key], SQL) ? [[key, row[key] as SQL] as const] : [])),
  )
  const named = [...expressions].map(([key, expression]) => `${key}=${expressionId(expression)}`)
  return { id: `${keys.join(',')}|${nulls.join(',')}|${named.join(',')}`, keys, nulls, expressions }
}
/** The values of a row of this shape; `name` names each placeholder (a row's index, when several). */
const placeholders = ({ keys, nulls, expressions }: Shape, name = (key: string) => key) =>
  Object.fromEntries(
    keys.map((key) => [
      key,
      expressions.get(key) ?? (nulls.includes(key) ? sql`null` : sql.placeholder(name(key))),
    ]),
  )

/**
 * Inserts one row of a table with a statement built once per set of columns given (the common
 * case on hot paths: one person, one candidacy, one ledger event).
 */
export interface RowInserter<Table extends PgTable, Returned> {
  insert(executor: Executor, row: Table['$inferInsert']): Promise<void>
  /**
   * Several rows: those of one set of columns in one statement (built once per set and count),
   * so a mail's links cost one statement, not one each.
   */
  insertAll(executor: Executor, rows: Array<Table['$inferInsert']>): Promise<void>
  /** The row as stored. */
  insertReturning(executor: Executor, row: Table['$inferInsert']): Promise<Returned>
}

export function rowInserter<Table extends PgTable>(table: Table): RowInserter<Table, Table['$inferSelect']>
/** Skips a row whose `ignoreConflictsOn` value is taken: `insertReturning` then answers undefined. */
export function rowInserter<Table extends PgTable>(
  table: Table,
  options: { ignoreConflictsOn: PgColumn },
): RowInserter<Table, Table['$inferSelect'] | undefined>
export function rowInserter<Table extends PgTable>(
  table: Table,
  options: { ignoreConflictsOn?: PgColumn } = {},
): RowInserter<Table, Table['$inferSelect'] | undefined> {
  const plain = new Map<string, (executor: Executor, values: Row) => Promise<unknown>>()
  const returning = new Map<string, (executor: Executor, values: Row) => Promise<unknown>>()
  const insertOf = (db: Database, shape: Shape, count?: number) => {
    const insert = db
      .insert(table)
      .values(
        (count === undefined
          ? placeholders(shape)
          : Array.from({ length: count }, (_, index) =>
              placeholders(shape, (key) => `${key}_${index}`),
            )) as never,
      )
    return options.ignoreConflictsOn
      ? insert.onConflictDoNothing({ target: options.ignoreConflictsOn })
      : insert
  }
  const several = new Map<string, (executor: Executor, values: Row) => Promise<unknown>>()
  const inserter: RowInserter<Table, Table['$inferSelect'] | undefined> = {
    async insertAll(executor: Executor, rows: Array<Table['$inferInsert']>): Promise<void> {
      const byShape = new Map<string, { shape: Shape; rows: Row[] }>()
      for (const row of rows) {
        const shape = shapeOf(row)
        const group = byShape.get(shape.id) ?? { shape, rows: [] }
        group.rows.push(row)
        byShape.set(shape.id, group)
      }
      await Promise.all(
        [...byShape.values()].map(({ shape, rows: group }) => {
          if (group.length === 1) return inserter.insert(executor, group[0] as Table['$inferInsert'])
          const id = `${group.length}:${shape.id}`
          let run = several.get(id)
          if (!run) {
            // Placeholders named by row: `address` of the second row is `address_1`.
            run = statement((db) => insertOf(db, shape, group.length))
            several.set(id, run)
          }
          const values: Row = {}
          group.forEach((row, index) => {
            for (const key of shape.keys) values[`${key}_${index}`] = row[key]
          })
          return run(executor, values)
        }),
      )
    },
    async insert(executor: Executor, row: Table['$inferInsert']): Promise<void> {
      const shape = shapeOf(row)
      let run = plain.get(shape.id)
      if (!run) {
        run = statement((db) => insertOf(db, shape))
        plain.set(shape.id, run)
      }
      await run(executor, row)
    },
    async insertReturning(executor: Executor, row: Table['$inferInsert']) {
      const shape = shapeOf(row)
      let run = returning.get(shape.id)
      if (!run) {
        run = statement((db) => insertOf(db, shape).returning() as never)
        returning.set(shape.id, run)
      }
      const [inserted] = (await run(executor, row)) as Array<Table['$inferSelect']>
      return inserted
    },
  }
  return inserter
}

/** Updates one row by its key column, with a statement built once per set of columns changed. */
export function rowUpdater<Table extends PgTable>(table: Table, key: PgColumn) {
  const built = new Map<string, (executor: Executor, values: Row) => Promise<unknown>>()
  return async (
    executor: Executor,
    id: string,
    changes: { [K in keyof Table['$inferInsert']]?: Table['$inferInsert'][K] | SQL },
  ): Promise<void> => {
    const shape = shapeOf(changes)
    let run = built.get(shape.id)
    if (!run) {
      run = statement((db) =>
        db
          .update(table)
          .set(placeholders(shape) as never)
          .where(eq(key, sql.placeholder('__key'))),
      )
      built.set(shape.id, run)
    }
    await run(executor, { ...changes, __key: id })
  }
}
