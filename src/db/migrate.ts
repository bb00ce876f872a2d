import { fileURLToPath } from 'node:url'
import type { DatabaseHandle } from './client'

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

/** Applies the committed drizzle-kit migrations; a no-op when the database is current. */
export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  if (handle.kind === 'postgres') {
    const { migrate } = await import('drizzle-orm/postgres-js/migrator')
    await migrate(handle.db as never, { migrationsFolder })
  } else {
    const { migrate } = await import('drizzle-orm/pglite/migrator')
    await migrate(handle.db as never, { migrationsFolder })
  }
}
