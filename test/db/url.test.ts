import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { describe, expect, it } from 'vitest'
import { createDatabase } from '../../src/db/client'
import { postgresTarget } from '../../src/db/url'
import { adminDatabaseUrl } from '../helpers/databases'

describe('PostgreSQL URLs', () => {
  it('passes a URL without a socket directory as it is', () => {
    const url = 'postgres://candor@db.internal:5433/candor?sslmode=require'
    expect(postgresTarget(url)).toEqual({ url, options: {} })
  })

  it("takes libpq's ?host=/dir out of the URL and gives it as the host option", () => {
    const target = postgresTarget(
      'postgres://candor@localhost:5432/candor?host=/run/postgresql&sslmode=disable',
    )
    expect(target.options).toEqual({ host: '/run/postgresql' })
    expect(new URL(target.url).searchParams.has('host')).toBe(false)
    expect(new URL(target.url).searchParams.get('sslmode')).toBe('disable')
    expect(new URL(target.url).pathname).toBe('/candor')
  })

  it('refuses a host parameter that is not a socket directory', () => {
    expect(() => postgresTarget('postgres://candor@localhost/candor?host=db.internal')).toThrow(
      /socket directory/,
    )
  })

  it('connects over the Unix socket the URL names', async () => {
    const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} })
    const [setting] = await admin<{ unix_socket_directories: string }[]>`show unix_socket_directories`
    await admin.end()
    const directory = String(setting?.unix_socket_directories).split(',')[0]!.trim()
    expect(directory.startsWith('/')).toBe(true)
    const url = new URL(adminDatabaseUrl())
    url.searchParams.set('host', directory)
    const database = await createDatabase({ url: url.toString(), dataDir: '/nonexistent' })
    try {
      const rows = await database.db.execute(
        sql`select inet_server_addr() as address, current_database() as database`,
      )
      const [row] = rows as unknown as Array<{ address: string | null; database: string }>
      // No server address: the connection is a Unix socket, not TCP.
      expect(row).toEqual({ address: null, database: url.pathname.slice(1) })
    } finally {
      await database.close()
    }
  })
})
