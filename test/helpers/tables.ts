import postgres from 'postgres'

export interface TableState {
  rows: number
  /** md5 over every row's text, in order: changes when any row is inserted, updated or deleted. */
  digest: string
}

/**
 * Row count and content digest of every base table in every user schema, read with plain SQL:
 * "changes nothing" checked for all tables, including ones added after the test was written.
 */
export async function tableStates(databaseUrl: string): Promise<Record<string, TableState>> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    const tables = await sql<Array<{ table_schema: string; table_name: string }>>`
      select table_schema, table_name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
      order by table_schema, table_name`
    const states: Record<string, TableState> = {}
    for (const { table_schema, table_name } of tables) {
      const [row] = await sql<Array<{ rows: number; digest: string }>>`
        select count(*)::int as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as digest
        from ${sql(table_schema)}.${sql(table_name)} t`
      const name = table_schema === 'public' ? table_name : `${table_schema}.${table_name}`
      states[name] = { rows: row!.rows, digest: row!.digest }
    }
    return states
  } finally {
    await sql.end()
  }
}

/** Just the row counts of `tableStates`. */
export const rowCounts = (states: Record<string, TableState>): Record<string, number> =>
  Object.fromEntries(Object.entries(states).map(([table, state]) => [table, state.rows]))
