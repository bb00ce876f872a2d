import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createDatabase, type Database, type DatabaseHandle, type DatabaseOptions } from '../db/client'
import { migrateDatabase } from '../db/migrate'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    database: DatabaseHandle
  }
}

export const databasePlugin = fp(
  async (app: FastifyInstance, options: DatabaseOptions & { migrate: boolean }) => {
    const handle = await createDatabase(options)
    try {
      if (options.migrate) await migrateDatabase(handle)
    } catch (error) {
      await handle.close()
      throw error
    }
    app.decorate('database', handle)
    app.decorate('db', handle.db)
    app.addHook('onClose', async () => {
      await handle.close()
    })
    app.log.info({ database: handle.kind }, 'database ready')
  },
  { name: 'database' },
)
