import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import { createDatabase, type DatabaseHandle } from '../../src/db/client'
import { migrateDatabase } from '../../src/db/migrate'
import { cloneTemplate } from './databases'

/** Both drivers the service ships with, each a fresh migrated database: for `describe.each`. */
export const drivers: Array<[string, () => Promise<{ handle: DatabaseHandle; dispose(): Promise<void> }>]> = [
  [
    'postgres',
    async () => {
      const database = await cloneTemplate(inject('templateDatabase'))
      const handle = await createDatabase({ url: database.url, dataDir: '' })
      return { handle, dispose: database.drop }
    },
  ],
  [
    'pglite',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'candor-driver-'))
      const handle = await createDatabase({ dataDir })
      await migrateDatabase(handle)
      return { handle, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) }
    },
  ],
]
