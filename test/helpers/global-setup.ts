import postgres from 'postgres'
import { createDatabase } from '../../src/db/client'
import { migrateDatabase } from '../../src/db/migrate'
import { adminDatabaseUrl, databaseUrl, templateDatabaseName } from './databases'

/** Builds one template database with the real migrations; each test file clones it (CREATE DATABASE … TEMPLATE). */
export async function setup({ provide }: { provide: (key: 'templateDatabase', value: string) => void }) {
  const name = templateDatabaseName()
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`)
    await admin.unsafe(`create database "${name}"`)
    const handle = await createDatabase({ url: databaseUrl(name), dataDir: '/nonexistent', poolSize: 1 })
    await migrateDatabase(handle)
    await handle.close()
  } finally {
    await admin.end()
  }
  provide('templateDatabase', name)
  return async () => {
    const cleanup = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} })
    await cleanup.unsafe(`drop database if exists "${name}" with (force)`)
    await cleanup.end()
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string
  }
}
