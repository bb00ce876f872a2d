import type { Executor } from './client'

const statements = new WeakMap<Executor, Map<string, unknown>>()

/**
 * A statement built once per database handle, with `sql.placeholder()` for its inputs.
 * Building a drizzle query costs more than running a simple one, and a named statement
 * is parsed and planned once per connection: hot read paths use this.
 */
export function preparedOnce<Statement>(db: Executor, name: string, build: () => Statement): Statement {
  let byName = statements.get(db)
  if (!byName) {
    byName = new Map()
    statements.set(db, byName)
  }
  let statement = byName.get(name) as Statement | undefined
  if (!statement) {
    statement = build()
    byName.set(name, statement)
  }
  return statement
}
