import { type SQL, sql } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'

interface Preparable<Result> {
  prepare(name: string): { execute(): Promise<Result> }
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
