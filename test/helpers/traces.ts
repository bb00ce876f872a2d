import postgres from 'postgres'

/**
 * The test's own no-trace check, independent of the service's: every text-like column of every
 * table in every user schema, searched with plain SQL for each value.
 */
export async function findTraces(databaseUrl: string, values: string[]): Promise<string[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    const columns = await sql<Array<{ table_schema: string; table_name: string; column_name: string }>>`
      select c.table_schema, c.table_name, c.column_name
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema not in ('pg_catalog', 'information_schema')
        and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')`
    const found: string[] = []
    for (const { table_schema, table_name, column_name } of columns) {
      for (const value of values) {
        const [row] = await sql`select count(*)::int as n from ${sql(table_schema)}.${sql(table_name)}
                                where position(lower(${value}) in lower(${sql(column_name)}::text)) > 0`
        if (row!.n > 0)
          found.push(`${table_schema}.${table_name}.${column_name} contains ${JSON.stringify(value)}`)
      }
    }
    return found
  } finally {
    await sql.end()
  }
}
