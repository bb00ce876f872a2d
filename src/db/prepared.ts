import { type SQL, sql } from 'drizzle-orm'
import { type PgColumn, PgTransaction } from 'drizzle-orm/pg-core'
import type { Executor } from './client'

interface Preparable<Result> {
  prepare(name: string): { execute(values?: Record<string, unknown>): Promise<Result> }
}

/**
 * Runs a query as a named prepared statement (drizzle's `.prepare()`): postgres.js then parses
 * it once per connection, where a query with parameters run unprepared is first described, a
 * round trip more every time. Only for statements whose text is the same on every call (no
 * lists of varying length): each distinct text stays prepared on its connection.
 */
export function prepared<Result>(query: Preparable<Result>): Promise<Result> {
  return query.prepare('candor').execute()
}

/**
 * `column = any($1)`: a list as one array parameter, so the statement's text does not change
 * with the list's length.
 */
export const anyOf = (column: PgColumn, values: readonly unknown[]): SQL =>
  sql`${column} = any(${sql.param(values)})`

interface Prepared<Result> {
  execute(values?: Record<string, unknown>): Promise<Result>
}

/**
 * A statement drizzle builds once and prepares on the database (its documented `.prepare()`
 * with `sql.placeholder()` for the inputs): for hot reads outside a transaction, where building
 * the SQL would cost more than running it. Inside a transaction the query is built there as
 * usual: a statement prepared on the database runs on the pool and would not see the
 * transaction's own writes.
 */
export function preparedOnce<Values extends Record<string, unknown>, Result>(
  build: (executor: Executor) => Preparable<Result>,
): (executor: Executor, values: Values) => Promise<Result> {
  const onDatabase = new WeakMap<Executor, Prepared<Result>>()
  return (executor, values) => {
    if (executor instanceof PgTransaction) return build(executor).prepare('candor').execute(values)
    let statement = onDatabase.get(executor)
    if (!statement) {
      statement = build(executor).prepare('candor')
      onDatabase.set(executor, statement)
    }
    return statement.execute(values)
  }
}
